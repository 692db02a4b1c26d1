"""Maps: boundaries read and joined to units (``boundaries``), simplified (``simplify``),
invented for the demo county (``demo``), GCJ-02/BD-09 coordinates moved to WGS84 and back
(``gcj02``), coloured by the engine's verdict (``choropleth``: a map's frame, legend and
funnel plot) and drawn with folium (``maps``). What can go wrong is a key with parameters
and both texts (``messages``), so a page shows it in its language.

Imports ``queries.engine`` and ``queries.store``; never Streamlit."""
