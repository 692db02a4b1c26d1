"""The running app's process: ``settings`` (the database URL, the first-run demo),
``data`` (the one engine, every cached read keyed by ``Source(url, data version)``, the
derived tables' check on each page run), ``jobs`` (long work in the background with
progress), ``logs`` (the rotating log and error references).

Imports ``queries``, ``geo`` and ``dashboard.i18n``; the pages reach the data only through
``data``, whose every function is keyed by plain values and the data version."""
