"""Maps: boundaries read and joined to units (``boundaries``), simplified (``simplify``),
invented for the demo county (``demo``), coloured by the engine's verdict (``choropleth``:
a map's frame, legend and funnel plot) and drawn with folium (``maps``).

Imports ``queries.engine`` and ``queries.store``; never Streamlit."""
