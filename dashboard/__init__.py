"""The Streamlit app around ``queries`` and ``geo``.

- ``app``: the entry point: sidebar, navigation, the error boundary.
- ``cli``: ``python -m dashboard import|indicators|demo|report``.
- ``i18n``: every text in Chinese and English.
- ``runtime``: the process: settings, the one engine, cached data keyed by the data version,
  background jobs, the log.
- ``components``: widgets, one job a module: filters, URL state, cards and tables, exports,
  the map's Leaflet assets, the assessment's tables.
- ``papers``: the year-end assessment papers (workbook and PDF).

Pages (``pages/``) read their filters, call ``runtime.data`` and render components; they
hold no SQL and no arithmetic. A new page: a file in ``pages/``, an entry in ``app.MENU``,
its numbers in ``queries.services``, its texts in ``i18n``.
"""
