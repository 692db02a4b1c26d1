"""Page widgets, one job a module: ``filters`` (the sidebar), ``url_state`` (every view a
link; bad parameters named), ``navigation`` (page paths, a view's URL parameters, the page
header), ``values`` (a value, a change and a verdict as text), ``cards`` (the overview's
cards), ``tables`` (the styled scorecard and unit tables), ``charts`` (Altair charts),
``exports`` (CSV/xlsx downloads, formula-safe), ``leaflet`` (the map's assets served
locally), ``assessment_view`` (the assessment's tables), ``import_errors`` (an import's
errors grouped into a table).

Imports ``dashboard.i18n``, ``dashboard.runtime`` and ``queries``' definitions (the registry's
formats and labels, the clock, the levels, a period, the assessment's rule type, an import's
errors and their wording); no SQL, no
sums: a component renders what ``runtime.data`` returns."""
