"""The map page in a real headless Chromium, with the network closed: the map draws from
the app's own Leaflet, a click on a village lands on its detail page, and nothing is
requested from outside 127.0.0.1. Screenshots and render times go to test-output/."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from queries.demo.county import create_demo
from queries.store.db import make_engine
from tests.served_app import LOCAL_HOSTS, ROOT, chromium, serving

pytestmark = pytest.mark.browser

OUT = ROOT / "test-output"
SHOTS = OUT / "screenshots"
YEAR, AS_OF = 2025, date(2025, 11, 15)
MAP_FRAME = "iframe[title*='st_folium']"


@pytest.fixture(scope="module")
def county_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo county at full size (400 villages and communities), two years."""
    path = tmp_path_factory.mktemp("map-browser") / "county.sqlite"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    try:
        create_demo(eng, villages=388, communities=12, townships=15, years=2, until=AS_OF)
    finally:
        eng.dispose()
    return url, path


@pytest.fixture(scope="module")
def app_url(county_db: tuple[str, Path]) -> Iterator[str]:
    """The dashboard served by `streamlit run` on a free local port, with the demo
    boundaries (no boundary or tile settings from the environment)."""
    drop = ("POPDASH_BOUNDARIES", "POPDASH_BOUNDARY_CODE_COLUMN", "POPDASH_TILE_URL")
    with serving(county_db[0], county_db[1].with_suffix(".log"), drop_env=drop, wait_s=60) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _names(db_path: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return dict(conn.execute("select code, name from units").fetchall())


def _map_frame(page):
    for frame in page.frames:
        if "st_folium" in frame.url:
            return frame
    raise AssertionError("no map frame")


def _render_times(page) -> dict[str, float]:
    """The map frame's own clock (geo.maps.RenderClock / FitOnce): when leaflet.js had
    arrived, when the map's script started, and when its polygons were painted."""
    frame = _map_frame(page)
    frame.wait_for_function("() => window.__popdash && window.__popdash.painted", timeout=30_000)
    return frame.evaluate(
        """() => {
            const js = performance.getEntriesByType('resource').find(r => r.name.endsWith('/leaflet.js'));
            return {ready: js.responseEnd, start: window.__popdash.start, painted: window.__popdash.painted,
                    paths: document.querySelectorAll('path.leaflet-interactive').length};
        }"""
    )


def test_map_draws_offline_and_a_click_opens_the_village(app_url, county_db, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def watch(url: str) -> None:
        host = urlparse(url).hostname
        if url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOCAL_HOSTS:
            outside.append(url)

    context = browser.new_context(viewport={"width": 1500, "height": 1350}, locale="zh-CN")
    context.on("request", lambda r: watch(r.url))
    page = context.new_page()
    sent: list[float] = []  # messages from the browser to the server (a rerun is one)

    def on_websocket(ws) -> None:
        watch(ws.url)
        ws.on("framesent", lambda _payload: sent.append(time.monotonic()))

    page.on("websocket", on_websocket)
    url = f"{app_url}/map?year={YEAR}&as_of={AS_OF.isoformat()}"

    # First visit: the server builds the demo boundaries and fills its caches.
    start = time.perf_counter()
    page.goto(url)
    paths = page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive")
    paths.first.wait_for(timeout=120_000)
    cold = time.perf_counter() - start

    # Then three visits with warm caches, as a user sees the page every day.
    warm, render, ready = [], [], []
    for _ in range(3):
        start = time.perf_counter()
        page.goto(url)
        paths.first.wait_for(timeout=60_000)
        warm.append(time.perf_counter() - start)
        leaflet = _render_times(page)
        assert leaflet["paths"] == 400  # 388 villages and 12 communities, each a polygon
        render.append(leaflet["painted"] - leaflet["start"])
        ready.append(leaflet["painted"] - leaflet["ready"])
    render_ms = statistics.median(render)
    time.sleep(1.0)  # let the legend and the funnel plot settle for the picture
    page.screenshot(path=str(SHOTS / "map_villages.png"))

    # Panning and zooming move the map but send nothing to the server: no rerun.
    frame = _map_frame(page)
    zoom = frame.evaluate("() => window.map.getZoom()")
    time.sleep(1.0)
    before = len(sent)
    box = page.locator(MAP_FRAME).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=8)
    page.mouse.up()
    page.mouse.wheel(0, -400)
    time.sleep(2.5)
    assert frame.evaluate("() => window.map.getZoom()") != zoom
    assert len(sent) == before, "panning or zooming the map made the page rerun"
    page.goto(url)
    paths.first.wait_for(timeout=60_000)

    # Hover a village: the tooltip names it; a click opens its detail page.
    village = paths.nth(157)
    village.hover(force=True)
    tooltip = page.frame_locator(MAP_FRAME).locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=10_000)
    lines = [line.split("\t") for line in tooltip.inner_text().splitlines()]
    name = lines[0][-1].strip()
    assert len(lines) == 6, lines  # name, value, interval, births, target, status
    page.screenshot(path=str(SHOTS / "map_tooltip.png"))
    village.click(force=True)
    page.wait_for_url("**/unit?**", timeout=30_000)
    code = parse_qs(urlparse(page.url).query)["unit"][0]
    assert _names(county_db[1])[code] == name
    main = page.locator("[data-testid='stMain']")
    main.get_by_text(name).first.wait_for(timeout=60_000)
    time.sleep(1.0)
    page.screenshot(path=str(SHOTS / "map_click_detail.png"))
    context.close()

    timings = {
        "villages": leaflet["paths"],
        "map_render_ms_median": round(render_ms, 1),
        "map_render_ms": [round(x, 1) for x in render],
        "leaflet_loaded_to_painted_ms": [round(x, 1) for x in ready],
        "page_to_map_warm_s": [round(x, 2) for x in warm],
        "page_to_map_cold_s": round(cold, 2),
    }
    (OUT / "map_timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    print("map timings:", timings)
    assert outside == [], f"requests left the machine: {outside[:5]}"
    # The goal is under 1 s for 400 villages; the median allows for a busy machine.
    assert min(render) < 1000 and render_ms < 3000, timings
