"""Page widgets, one job a module: ``filters`` (the sidebar), ``url_state`` (every view a
link; bad parameters named), ``widgets`` (cards, tables, charts), ``exports`` (CSV/xlsx
downloads, formula-safe), ``leaflet`` (the map's assets served locally),
``assessment_view`` (the assessment's tables)."""
