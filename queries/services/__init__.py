"""What pages, papers and the command line ask for, from the engine's judged table.

- ``shape``: a page's shaping of the judged table: overview, scorecard, units behind,
  unit detail, check and migrant progress.
- ``trends``: months and years: monthly checks and births, trends, migrant flows,
  service mix, the pooled sex ratio.
- ``projection``: the chance to meet a check target by year end.
- ``assessment``: the year-end assessment rules (config/assessment.toml) and scores.
- ``catalogue``: which units and years exist, whether a period has records.

Imports the engine, ``queries.analytics.read``, ``queries.store`` and ``queries.formats``;
never ``queries.ingest``, ``geo`` or ``dashboard``. A new page's numbers go here, as a
function of (connection, root, period…) returning a frame.
"""
