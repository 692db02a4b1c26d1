"""Map weight and render time: the demo county (400 villages) and a 5,000-village city.

    python benchmarks/map_bench.py [--sizes 400,5000] [--repeat 3] [--write]

For each size: a demo county is built and imported into a temporary SQLite file, its
indicators computed, demo boundaries generated, joined, simplified, and the sex-ratio map
built exactly as the map page builds it. Reported: the GeoJSON and the HTML/JS the page
sends to the browser (the st_folium component's script, header and html), the Python
time to build them, and the browser's time to draw the map — the map as one standalone
page served from 127.0.0.1 with the app's own Leaflet, in headless Chromium, timed by the
map's own clock (script start to polygons painted, geo.maps.RenderClock / FitOnce).

Prints a Markdown section; ``--write`` puts it into docs/benchmarks.md under "## Maps"
(replacing that section, keeping the others).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import maps  # noqa: E402
from geo.boundaries import join_units  # noqa: E402
from geo.choropleth import map_frame  # noqa: E402
from geo.demo import demo_boundaries  # noqa: E402
from geo.simplify import simplify_coverage, vertex_count  # noqa: E402
from queries.demo.county import COUNTY_CODE, create_demo  # noqa: E402
from queries.engine import registry  # noqa: E402
from queries.engine.indicators import compute  # noqa: E402
from queries.engine.period import make_period  # noqa: E402
from queries.services.catalogue import units_frame  # noqa: E402
from queries.store.db import make_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
APP_TIMINGS = ROOT / "test-output" / "map_timings.json"  # written by tests/browser/test_map_browser.py
SIZES = {
    400: dict(villages=388, communities=12, townships=15),
    5000: dict(villages=4880, communities=120, townships=150),
}
UNTIL = date(2025, 11, 15)
WORDS = dict(
    normal="正常",
    marked_high="粗框：显著偏高",
    marked_low="虚线框：显著偏低",
    faded="淡色：在随机波动范围内",
    no_data="无数据",
    not_met="粗框：未达到目标",
    births_of="出生",
)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def sent_to_browser(m) -> int:
    """Bytes of what st_folium sends for the map: the Leaflet script, header and html."""
    import streamlit_folium as sf

    m.get_root().render()
    html, header = sf._get_html(m), sf._get_header(m)
    script = sf._get_map_string(m)
    return len(script.encode()) + len(header.encode()) + len(html.encode())


def build(size: int, workdir: Path) -> dict:
    url = f"sqlite:///{workdir}/county{size}.sqlite"
    eng = make_engine(url)
    t0 = time.perf_counter()
    create_demo(eng, years=1, until=UNTIL, **SIZES[size])
    with eng.connect() as conn:
        units = units_frame(conn)
        table = compute(conn, COUNTY_CODE, make_period(UNTIL.year, UNTIL))
    eng.dispose()
    data_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    shapes = demo_boundaries(units)
    demo_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    joined = join_units(shapes, units, code_column="code", source="demo")
    villages = joined.level("village")
    simple = simplify_coverage(villages.geometry.to_numpy())
    geometries = maps.geometries_json(villages.set_geometry(list(simple)))
    prep_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    frame = map_frame(table, registry.interval_judged().code, "village", WORDS, "zh")
    collection = maps.feature_collection(geometries, frame)
    assets = maps.LeafletAssets(js="leaflet.js", css="leaflet.css")
    m = maps.build_map(collection, frame, {"name": "单位"}, assets)
    page = m.get_root().render()
    page_s = time.perf_counter() - t0
    fresh = maps.build_map(collection, frame, {"name": "单位"}, assets)
    return {
        "size": size,
        "features": len(collection["features"]),
        "vertices": vertex_count(simple),
        "geojson_bytes": maps.geojson_size(collection),
        "sent_bytes": sent_to_browser(fresh),
        "html_bytes": len(page.encode()),
        "canvas": len(collection["features"]) > maps.CANVAS_ABOVE,
        "data_s": data_s,
        "demo_s": demo_s,
        "prep_s": prep_s,
        "page_s": page_s,
        "page": page,
    }


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def render_times(page: str, repeat: int) -> tuple[list[float], list[float]]:
    """(script start → painted, navigation → painted) in ms, ``repeat`` times."""
    from playwright.sync_api import sync_playwright
    from xstatic.pkg import leaflet

    site = Path(tempfile.mkdtemp(prefix="map-bench-"))
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copy(Path(leaflet.BASE_DIR) / name, site / name)
    (site / "map.html").write_text(page, encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/map.html"
    render, total = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for _ in range(repeat):
                ctx = browser.new_context(viewport={"width": 1000, "height": 700})
                pg = ctx.new_page()
                pg.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1") else r.abort(),
                )
                pg.goto(url)
                pg.wait_for_function("() => window.__popdash && window.__popdash.painted", timeout=60_000)
                mark = pg.evaluate("() => window.__popdash")
                render.append(mark["painted"] - mark["start"])
                total.append(mark["painted"])
                ctx.close()
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(site, ignore_errors=True)
    return render, total


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def section(rows: list[dict], repeat: int) -> str:
    lines = [
        "## Maps",
        "",
        f"`python benchmarks/map_bench.py` — {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, headless Chromium, best and median of {repeat} loads. "
        "The sex-ratio map of all villages of a demo county (demo boundaries, simplified, "
        "coordinates to 5 decimals). *Sent* is what the map page sends for the map (the st_folium "
        "component's Leaflet script with the embedded GeoJSON, header and html); *render* is the "
        "browser from the map's script starting to the polygons painted; *load* adds parsing the "
        "page and Leaflet. Goal: under 1 MB and 1 s for 400 villages, under 3 s for 5,000.",
        "",
        "| villages | vertices | GeoJSON | sent | standalone HTML | Python build | render (best / median) "
        "| load (median) | drawn as |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['features']:,} | {r['vertices']:,} | {kb(r['geojson_bytes'])} | {kb(r['sent_bytes'])} "
            f"| {kb(r['html_bytes'])} | {r['page_s']:.2f} s | {min(r['render']):,.0f} / "
            f"{statistics.median(r['render']):,.0f} ms | {statistics.median(r['total']):,.0f} ms "
            f"| {'canvas' if r['canvas'] else 'SVG paths'} |"
        )
    lines += [
        "",
        "Generating the demo boundaries takes "
        + ", ".join(f"{r['demo_s']:.1f} s for {r['features']:,} villages" for r in rows)
        + "; joining and simplifying "
        + ", ".join(f"{r['prep_s']:.1f} s" for r in rows)
        + " (both once per server, cached).",
        "",
    ]
    if APP_TIMINGS.exists():
        app = json.loads(APP_TIMINGS.read_text(encoding="utf-8"))
        lines += [
            f"In the app (`tests/browser/test_map_browser.py`, {app['villages']} villages, the map page served by "
            f"`streamlit run`): map render {app['map_render_ms_median']:,.0f} ms median "
            f"({', '.join(f'{x:,.0f}' for x in app['map_render_ms'])} ms); opening the page until the map is "
            f"painted {', '.join(f'{x:.1f}' for x in app['page_to_map_warm_s'])} s with warm caches "
            f"(most of it Streamlit's own page), {app['page_to_map_cold_s']:.0f} s on the server's first visit "
            "(demo boundaries built, indicators computed).",
            "",
        ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start = doc.find("\n## Maps\n")
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        end = doc.find("\n## ", start + 1)
        doc = doc[: start + 1] + text + (doc[end + 1 :] if end >= 0 else "")
    DOC.write_text(doc, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="400,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="put the section into docs/benchmarks.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="map-bench-db-") as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            row = build(size, Path(workdir))
            row["render"], row["total"] = render_times(row.pop("page"), args.repeat)
            rows.append(row)
            print(f"{size}: { ({k: v for k, v in row.items()}) }", file=sys.stderr)
    text = section(rows, args.repeat)
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
