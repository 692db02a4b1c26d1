"""The map page in a real headless Chromium, with the network closed: the map draws from
the app's own Leaflet, a click on a village lands on its detail page, and nothing is
requested from outside 127.0.0.1. Screenshots go to test-output/screenshots/; the map's
render times are benchmarks/map_bench.py's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from dashboard.i18n import indicator_name, t
from geo.choropleth import WORD_KEYS, MapFrame, funnel_frame, map_frame
from queries.demo.county import COUNTY_CODE, create_demo
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.store.db import make_engine
from tests.served_app import LOCAL_HOSTS, ROOT, chromium, serving, wait_drawn

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-output" / "screenshots"
SEX_RATIO_CODE = "sex_ratio_at_birth"
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


def _expected_map(db_url: str) -> tuple[MapFrame, int]:
    """The sex-ratio map of the villages as the page builds it, and the number of its
    funnel plot's points (worked out with the engine beforehand)."""
    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            table = compute(conn, COUNTY_CODE, make_period(YEAR, AS_OF))
    finally:
        eng.dispose()
    frame = map_frame(table, SEX_RATIO_CODE, "village", {k: t(f"mp_{k}") for k in WORD_KEYS}, "zh")
    return frame, len(funnel_frame(frame).points)


# Wraps what the map frame's st_folium script calls: every value it sends to the page
# (a value is what makes the page rerun) is kept in window.__sent, and the time its
# debounced check reads the map's bounds (it does after every move) in __checked.
WATCH_MAP = """() => {
    const w = window, send = w.Streamlit.setComponentValue, bounds = w.map.getBounds;
    w.__sent = [];
    w.Streamlit.setComponentValue = v => { w.__sent.push(v); return send(v); };
    w.map.getBounds = function () { w.__checked = performance.now(); return bounds.apply(this, arguments); };
    w.map.on('moveend', () => { w.__moved = performance.now(); });
    return w.map.getZoom();
}"""
# The zoom has changed, its animation has ended and the check after the last move has run.
MOVED_AND_CHECKED = """zoom => window.map.getZoom() !== zoom && !window.map._animatingZoom
    && window.__moved !== undefined && window.__checked > window.__moved"""


def test_map_draws_offline_and_a_click_opens_the_village(app_url, county_db, browser):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    frame_expected, funnel_points = _expected_map(county_db[0])
    outside: list[str] = []

    def watch(url: str) -> None:
        host = urlparse(url).hostname
        if url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOCAL_HOSTS:
            outside.append(url)

    context = browser.new_context(viewport={"width": 1500, "height": 1350}, locale="zh-CN")
    context.on("request", lambda r: watch(r.url))
    page = context.new_page()
    page.on("websocket", lambda ws: watch(ws.url))
    url = f"{app_url}/map?year={YEAR}&as_of={AS_OF.isoformat()}"

    # The first visit builds the demo boundaries and fills the server's caches.
    page.goto(url)
    paths = page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive")
    paths.first.wait_for(timeout=120_000)
    wait_drawn(page, timeout_ms=120_000)
    expect(paths).to_have_count(400)  # 388 villages and 12 communities, each a polygon

    # Under the map, the legend says what the colours and outlines mean; beside it, the
    # funnel plot has a dot for every village and community with births.
    legend = page.locator(".popdash-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text(indicator_name(SEX_RATIO_CODE))
    for entry in frame_expected.legend:
        expect(legend).to_contain_text(entry.label)
    expect(page.get_by_role("heading", name=t("mp_funnel_title"))).to_be_visible()
    dots = page.locator('[data-testid="stVegaLiteChart"] g.mark-symbol.role-mark > path')
    expect(dots).to_have_count(funnel_points)
    page.screenshot(path=str(SHOTS / "map_villages.png"))

    # Panning and zooming move the map but send nothing to the server: no rerun.
    frame = _map_frame(page)
    zoom = frame.evaluate(WATCH_MAP)
    box = page.locator(MAP_FRAME).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=8)
    page.mouse.up()
    page.mouse.wheel(0, -400)
    frame.wait_for_function(MOVED_AND_CHECKED, arg=zoom, timeout=30_000)
    assert frame.evaluate("() => window.__sent") == [], "panning or zooming the map made the page rerun"
    page.goto(url)
    paths.first.wait_for(timeout=60_000)
    wait_drawn(page)

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
    expect(page.get_by_role("heading", level=1)).to_contain_text(name, timeout=60_000)
    wait_drawn(page)
    page.screenshot(path=str(SHOTS / "map_click_detail.png"))
    context.close()
    assert outside == [], f"requests left the machine: {outside[:5]}"
