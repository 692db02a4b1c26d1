"""The synthetic demo county the app builds on first run (``county``): units, five years
of events, targets and reported figures, written through the importer like any file.
Only the command line, the first-run setup and tests use the generator; ``identity`` (who
the demo county is) is what the rest may ask. Imports ``queries.ingest`` (it loads through
the importer), ``queries.analytics``, the engine's registry and ``queries.store``."""
