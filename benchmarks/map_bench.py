"""Map weight and render time: the demo county (400 villages) and a 5,000-village city.

    python -m benchmarks.map_bench [--sizes 400,5000] [--repeat 3] [--no-app] [--write]

For each size: a demo county is built and imported into a temporary SQLite file, its
indicators computed, demo boundaries generated, joined, simplified, and the sex-ratio map
built exactly as the map page builds it. Reported: the GeoJSON and the HTML/JS the page
sends to the browser (the st_folium component's script, header and html), the Python
time to build them, and the browser's time to draw the map — the map as one standalone
page served from 127.0.0.1 with the app's own Leaflet, in headless Chromium, timed by the
map's own clock (script start to polygons painted, geo.maps.RenderClock / FitOnce).
Then the same in the app: the 400-village county served by `streamlit run`, its map page
opened once cold and ``--repeat`` times warm (``--no-app`` skips this).

Prints a Markdown section; ``--write`` puts it into docs/benchmarks.md under "## Maps"
(replacing that section, keeping the others).
"""

from __future__ import annotations

import argparse
import functools
import http.server
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

from geo import maps
from geo.boundaries import join_units
from geo.choropleth import map_frame
from geo.demo import demo_boundaries
from geo.simplify import simplify_coverage, vertex_count
from queries.demo.county import COUNTY_CODE, create_demo
from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.services.catalogue import units_frame
from queries.store.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
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
MAP_FRAME = "iframe[title*='st_folium']"
# The map frame's clock: when leaflet.js had arrived, the map's script started, and its
# polygons were painted.
FRAME_CLOCK = """() => {
    const js = performance.getEntriesByType('resource').find(r => r.name.endsWith('/leaflet.js'));
    return {ready: js.responseEnd, start: window.__popdash.start, painted: window.__popdash.painted,
            paths: document.querySelectorAll('path.leaflet-interactive').length};
}"""


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


def app_times(repeat: int, workdir: Path) -> dict:
    """The map page of the 400-village demo county in the app (`streamlit run`, demo
    boundaries): opening it until the map is painted, cold and warm, and the map's render."""
    from tests.served_app import chromium, serving

    url = f"sqlite:///{workdir}/app.sqlite"
    eng = make_engine(url)
    create_demo(eng, years=2, until=UNTIL, **SIZES[400])
    eng.dispose()
    drop = ("POPDASH_BOUNDARIES", "POPDASH_BOUNDARY_CODE_COLUMN", "POPDASH_TILE_URL")
    page_url = f"/map?year={UNTIL.year}&as_of={UNTIL.isoformat()}"
    warm, render, ready = [], [], []
    with serving(url, workdir / "app.log", drop_env=drop, wait_s=60) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1350}, locale="zh-CN")
        paths = page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive")
        # The first visit builds the demo boundaries and fills the server's caches.
        start = time.perf_counter()
        page.goto(base + page_url)
        paths.first.wait_for(timeout=120_000)
        cold = time.perf_counter() - start
        for _ in range(repeat):
            start = time.perf_counter()
            page.goto(base + page_url)
            paths.first.wait_for(timeout=60_000)
            warm.append(time.perf_counter() - start)
            frame = next(f for f in page.frames if "st_folium" in f.url)
            frame.wait_for_function("() => window.__popdash && window.__popdash.painted", timeout=30_000)
            clock = frame.evaluate(FRAME_CLOCK)
            render.append(clock["painted"] - clock["start"])
            ready.append(clock["painted"] - clock["ready"])
    return {
        "villages": clock["paths"],
        "map_render_ms": render,
        "leaflet_loaded_to_painted_ms": ready,
        "page_to_map_warm_s": warm,
        "page_to_map_cold_s": cold,
    }


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def section(rows: list[dict], repeat: int, app: dict | None) -> str:
    lines = [
        "## Maps",
        "",
        f"`python -m benchmarks.map_bench` — {platform.machine()}, {os.cpu_count()} cores, "
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
    if app:
        lines += [
            f"In the app ({app['villages']} villages, the map page served by `streamlit run`): map render "
            f"{statistics.median(app['map_render_ms']):,.0f} ms median "
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
    parser.add_argument("--no-app", action="store_true", help="skip the map page in the app")
    parser.add_argument("--write", action="store_true", help="put the section into docs/benchmarks.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="map-bench-db-") as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            row = build(size, Path(workdir))
            row["render"], row["total"] = render_times(row.pop("page"), args.repeat)
            rows.append(row)
            print(f"{size}: { ({k: v for k, v in row.items()}) }", file=sys.stderr)
        app = None if args.no_app else app_times(args.repeat, Path(workdir))
        print(f"app: {app}", file=sys.stderr)
    text = section(rows, args.repeat, app)
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
