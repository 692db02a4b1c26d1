"""Everything that reads or writes the population database; nothing here imports Streamlit.

Sub-packages, lowest layer first (a module imports only its own package or lower layers;
tests/test_layers.py holds the order and docs/architecture.md draws it):

- ``store``: the settings, the bureau's clock, the engine, the raw tables and the closure
  table, the data version, running SQL into frames.
- ``engine`` (definitions): the indicator registry, periods, statistics, the verdict.
- ``formats``: files we write (one xlsx writer).
- ``analytics``: the derived tables: their columns, how each is populated, their life cycle,
  and reading them.
- ``engine.indicators``: every indicator for every unit of a subtree, judged.
- ``ingest``: the interchange format, checking and loading files and targets.
- ``services``: what the pages and papers ask for: scorecards, trends, projections,
  the year-end assessment, catalogues.
- ``demo``: the synthetic demo county.
"""
