"""The folium map of a :class:`geo.choropleth.MapFrame`, light and offline.

- **Offline**: folium's map loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs
  and tiles from OpenStreetMap. Here the map loads only Leaflet's JS and CSS, from the
  URLs in :class:`LeafletAssets` (the app serves them from an installed package), and
  draws no base tiles unless a tile URL is given (an intranet tile server). Tiles in GCJ-02
  (the ``tile_crs`` setting) get the shapes moved to GCJ-02 too (:func:`geometries_json`).
- **Light**: one GeoJSON layer with simplified shapes, coordinates rounded to 5 decimals
  (about 1 m) and only the properties the tooltip shows; styles are grouped by folium
  into one small lookup rather than repeated per feature. Above ``CANVAS_ABOVE`` features
  Leaflet draws on a canvas instead of one SVG path per unit.
- **Clickable**: every feature carries its unit ``code``, so a click can open the unit.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from geo.choropleth import LegendEntry, MapFrame
from geo.gcj02 import FROM_WGS84, transform_geometries
from geo.simplify import GRID_DEGREES

CANVAS_ABOVE = 2000
DECIMALS = 5
TOOLTIP_FIELDS_INTERVAL = ("name", "value", "interval", "births", "target", "status")
TOOLTIP_FIELDS = ("name", "value", "target", "status")
# tooltip field → (the frame's column, the feature property: one letter keeps 5,000 features light)
_FIELD = {
    "name": ("name", "n"),
    "value": ("value_text", "v"),
    "interval": ("interval_text", "i"),
    "births": ("births_text", "b"),
    "target": ("target_text", "t"),
    "status": ("status_text", "s"),
}


@dataclass(frozen=True)
class LeafletAssets:
    """Where the browser loads Leaflet from (relative to the map's own document)."""

    js: str
    css: str


def _rounded(coords):
    if isinstance(coords, (float, int)):
        return round(float(coords), DECIMALS)
    return [_rounded(c) for c in coords]


def geometry_json(geom) -> dict:
    """A GeoJSON geometry with coordinates on the 5-decimal grid."""
    geom = shapely.set_precision(geom, GRID_DEGREES, mode="pointwise")
    mapping = shapely.geometry.mapping(geom)
    return {"type": mapping["type"], "coordinates": _rounded(mapping["coordinates"])}


def geometries_json(shapes: gpd.GeoDataFrame, tile_crs: str = "wgs84") -> dict[str, dict]:
    """Unit code → GeoJSON geometry, for the (already simplified, WGS84) shapes of one level;
    moved to GCJ-02 when the base tiles are (``tile_crs``), so the shapes sit on them."""
    geoms = shapes.geometry.to_numpy()
    if tile_crs in FROM_WGS84:
        geoms = transform_geometries(geoms, FROM_WGS84[tile_crs])
    return {str(c): geometry_json(g) for c, g in zip(shapes["code"], geoms, strict=True)}


def tooltip_fields(frame: MapFrame) -> tuple[str, ...]:
    return TOOLTIP_FIELDS_INTERVAL if frame.by_interval else TOOLTIP_FIELDS


def feature_collection(geometries: dict[str, dict], frame: MapFrame) -> dict:
    """The GeoJSON the browser receives: units with a shape, in the frame's drawing order
    (marked units last, so their outline is on top). Each feature has its unit ``code``,
    ``k`` (its style in :func:`styles`) and the tooltip's text, HTML-escaped, under the
    one-letter keys of ``_FIELD``."""
    fields = tooltip_fields(frame)
    _, index = styles(frame)
    units = frame.units
    keys = [_FIELD[f][1] for f in fields]
    columns = [units[_FIELD[f][0]].tolist() for f in fields]
    features = []
    for n, code in enumerate(units["code"].tolist()):
        geom = geometries.get(code)
        if geom is None:
            continue
        props = {"code": code, "k": index[code]}
        for key, column in zip(keys, columns, strict=True):
            props[key] = html.escape(str(column[n]))
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": features}


def styles(frame: MapFrame) -> tuple[list[dict], dict[str, int]]:
    """The distinct unit styles of the frame, and each unit's index into them."""
    table: dict[tuple, int] = {}
    distinct: list[dict] = []
    index: dict[str, int] = {}
    units = frame.units
    for code, colour, faded, marked, verdict in zip(
        *(units[c].tolist() for c in ("code", "colour", "faded", "marked", "verdict")), strict=True
    ):
        key = (colour, bool(faded), bool(marked), verdict == "significantly_low")
        if key not in table:
            table[key] = len(distinct)
            distinct.append(
                unit_style({"colour": colour, "faded": faded, "marked": marked, "verdict": verdict})
            )
        index[code] = table[key]
    return distinct, index


def unit_style(row) -> dict:
    """Leaflet path style of one unit of the frame."""
    style = {
        "fillColor": row["colour"],
        "color": "#4d4d4d",
        "weight": 0.6,
        "opacity": 0.8,
        "fillOpacity": 0.85,
    }
    if row["faded"]:
        style.update(fillOpacity=0.3, color="#9a9a9a", weight=0.5)
    if row["marked"]:
        style.update(color="#000000", weight=2.6, opacity=1.0, fillOpacity=0.9)
        if row["verdict"] == "significantly_low":
            style["dashArray"] = "5 3"
    return style


def legend_html(title: str, entries: tuple[LegendEntry, ...], note: str = "") -> str:
    """The legend as one compact HTML block (shown under the map): a swatch and what it means."""
    items = []
    for e in entries:
        if e.kind == "fill":
            swatch = f"background:{e.colour};border:1px solid #888"
        elif e.kind == "faded":
            swatch = f"background:{e.colour};opacity:0.35;border:1px solid #bbb"
        else:
            line = "dashed" if e.kind == "dashed" else "solid"
            swatch = f"background:#fff;border:2.5px {line} {e.colour}"
        items.append(
            "<span style='display:inline-flex;align-items:center;gap:4px;margin:2px 10px 2px 0;white-space:nowrap'>"
            f"<span style='display:inline-block;width:16px;height:11px;{swatch}'></span>{html.escape(e.label)}</span>"
        )
    extra = f"<div style='color:#666;margin-top:2px'>{html.escape(note)}</div>" if note else ""
    return (
        "<div class='popdash-legend' style='font-size:0.85em;line-height:1.5'>"
        f"<b style='margin-right:10px'>{html.escape(title)}</b>{''.join(items)}{extra}</div>"
    )


class RenderClock(MacroElement):
    """Marks when the map's script starts (``window.__popdash.start``), the start of the
    render-time measurement that :class:`FitOnce` ends when the polygons are painted."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (window.__popdash = window.__popdash || {}).start = performance.now();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "RenderClock"


class FitOnce(MacroElement):
    """Fit the map to the units once the map's frame has its final size (a fit made
    while the component is still being laid out leaves the county small)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var fit = function () {
                map.invalidateSize();
                map.fitBounds({{ this.bounds|tojson }}, {padding: [6, 6]});
            };
            fit();
            setTimeout(fit, 120);
            // When the polygons are on screen, for the render-time measurements.
            var mark = window.__popdash = window.__popdash || {};
            mark.fitted = performance.now();
            requestAnimationFrame(function () {
                requestAnimationFrame(function () { mark.painted = performance.now(); });
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitOnce"
        self.bounds = bounds


def _script_json(value) -> str:
    """Compact JSON that is safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class ChoroplethLayer(MacroElement):
    """The units as one Leaflet GeoJSON layer: styles from a small table by index, a
    tooltip built from the feature's properties when shown, a highlight on hover.

    folium's own GeoJson layer repeats each style per feature and writes every Chinese
    character as a 6-byte escape; this writes the data once, compactly."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var styles = {{ this.styles_json }};
            var fields = {{ this.fields_json }};
            var layer = L.geoJson({{ this.data_json }}, {
                smoothFactor: 0.5,
                style: function (feature) { return styles[feature.properties.k]; },
                onEachFeature: function (feature, item) {
                    item.bindTooltip(function () {
                        var p = feature.properties, rows = "";
                        for (var i = 0; i < fields.length; i++) {
                            var v = p[fields[i][0]];
                            if (v === undefined || v === "") continue;
                            rows += "<tr><th>" + fields[i][1] + "</th><td>" + v + "</td></tr>";
                        }
                        return "<table class='popdash-tip'>" + rows + "</table>";
                    }, {sticky: true});
                    item.on("mouseover", function (e) {
                        e.target.setStyle({weight: 3.2, color: "#1f6f6b", opacity: 1});
                    });
                    item.on("mouseout", function (e) { layer.resetStyle(e.target); });
                }
            });
            layer.addTo(map);
            return layer;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, collection: dict, style_table: list[dict], fields: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "ChoroplethLayer"
        self.data_json = _script_json(collection)
        self.styles_json = _script_json(style_table)
        self.fields_json = _script_json([[key, html.escape(label)] for key, label in fields])


def build_map(
    collection: dict,
    frame: MapFrame,
    aliases: dict[str, str],
    assets: LeafletAssets,
    tile_url: str | None = None,
    tile_attribution: str | None = None,
) -> folium.Map:
    """The choropleth as a folium map that requests nothing but ``assets`` (and
    ``tile_url``'s tiles when one is given)."""
    features = collection["features"]
    bounds = _bounds(features)
    m = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        prefer_canvas=len(features) > CANVAS_ABOVE,
        attribution_control=bool(tile_url),
        zoom_snap=0.25,
    )
    RenderClock().add_to(m)
    m.default_js = [("leaflet", assets.js)]
    m.default_css = [("leaflet_css", assets.css)]
    root = m.get_root()
    assert isinstance(root, Figure)  # a folium Map's root is always its Figure
    root.header.add_child(
        Element(
            "<style>.leaflet-container{background:#f3f5f2}"
            ".popdash-tip{font-size:13px;border-collapse:collapse}"
            ".popdash-tip th{text-align:left;padding:1px 10px 1px 0;font-weight:600}</style>"
        )
    )
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution or "intranet tiles", name="base", control=False, max_zoom=18
        ).add_to(m)
    if features:
        fields = [(_FIELD[f][1], aliases.get(f, f)) for f in tooltip_fields(frame)]
        ChoroplethLayer(collection, styles(frame)[0], fields).add_to(m)
        FitOnce(bounds).add_to(m)
    return m


def _bounds(features: list[dict]) -> list[list[float]]:
    """[[south, west], [north, east]] of the features (a point in China when there are none)."""
    if not features:
        return [[29.2, 119.5], [29.2, 119.5]]
    rings: list[list] = []
    for feature in features:
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        rings.extend(polygon[0] for polygon in polygons)  # the outer ring holds the extent
    coords = np.concatenate([np.asarray(ring, dtype=float) for ring in rings])
    return [
        [float(coords[:, 1].min()), float(coords[:, 0].min())],
        [float(coords[:, 1].max()), float(coords[:, 0].max())],
    ]


def external_urls(m: folium.Map) -> list[str]:
    """Every http(s) URL the rendered map would make the browser load (none, offline)."""
    text = m.get_root().render()
    links = []
    for elem in _walk(m):
        links += [u for _, u in getattr(elem, "default_js", [])] + [
            u for _, u in getattr(elem, "default_css", [])
        ]
    found = [u for u in links if u.startswith(("http:", "https:", "//"))]
    for marker in ('src="http', "src='http", 'href="http', "href='http", "url(http"):
        if marker in text:
            found.append(marker)
    return found


def _walk(elem):
    yield elem
    for child in getattr(elem, "_children", {}).values():
        yield from _walk(child)


def html_size(m: folium.Map) -> int:
    """Bytes of the map as one standalone HTML page."""
    return len(m.get_root().render().encode())


def geojson_size(collection: dict) -> int:
    return len(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode())
