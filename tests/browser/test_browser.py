"""The real app in a real browser: Streamlit serves the demo county, Debian's Chromium
(driven by Playwright, never a browser Playwright downloads) opens the scorecard, clicks a
failing village's row and checks the detail page against the command line's numbers.
Every page is saved as a full-page screenshot under test-output/screenshots/, and any
request that would leave the machine fails the test."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dashboard.i18n import t
from queries.engine import registry
from queries.engine.indicators import compute, county_code
from queries.engine.period import make_period
from queries.services import shape
from queries.store.db import make_engine
from tests.served_app import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, ROOT, require_chromium, serving, wait_drawn

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-output" / "screenshots"
YEAR, AS_OF = 2025, "2025-11-15"
WIDTH, HEIGHT = 1400, 1000
PAGES = {  # screenshot name → (file under pages/, URL path)
    "overview": ("overview.py", ""),
    "scorecard": ("scorecard.py", "scorecard"),
    "checks": ("checks.py", "checks"),
    "migrants": ("migrants.py", "migrants"),
    "map": ("map.py", "map"),
    "assessment": ("assessment.py", "assessment"),
    "targets": ("targets.py", "targets"),
    "import": ("data_import.py", "import"),
}
CHECKED = ("birth_rate", "policy_compliance_rate", "sex_ratio_at_birth")


@pytest.fixture(scope="module")
def server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on a free local port from the demo county; its base URL."""
    with serving(demo_db_url, tmp_path_factory.mktemp("server") / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def failing_village(demo_db_url: str) -> dict:
    """The village with the lowest policy compliance below its target, its township and
    its row in that township's scorecard (worked out with the engine beforehand)."""
    engine = make_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            table = compute(conn, county_code(conn), make_period(YEAR, date.fromisoformat(AS_OF)))
    finally:
        engine.dispose()
    pc = table.loc[
        (table["indicator"] == "policy_compliance_rate")
        & table["level"].isin(["village", "community"])
        & (table["verdict"] == "not_met")
    ]
    village = pc.sort_values(["value", "unit_code"]).iloc[0]
    card = shape.scorecard(table, village["parent_code"])
    row = int(card.index[card["unit_code"] == village["unit_code"]][0])
    return {
        "code": village["unit_code"],
        "name": village["name"],
        "row": row,
        "township": village["parent_code"],
        "township_name": table.loc[table["unit_code"] == village["parent_code"], "name"].iloc[0],
        "first_village": card["name"].iloc[0],
    }


def cli_values(code: str, db_url: str) -> dict[str, float | None]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "indicators",
            "--year",
            str(YEAR),
            "--as-of",
            AS_OF,
            "--unit",
            code,
            "--db",
            db_url,
            "--format",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {r["indicator"]: r["value"] for r in json.loads(done.stdout) if r["unit_code"] == code}


def settle(page, heading: str | None = None) -> None:
    """Wait until the page shows a title (containing ``heading``) and the script has finished."""
    titles = page.get_by_role("heading", level=1)
    (titles.filter(has_text=heading) if heading else titles).first.wait_for(timeout=90_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)
    page.wait_for_load_state("networkidle")
    wait_drawn(page)


def no_error_box(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()


def shoot(page, name: str) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside its main pane, so the
    window is made as tall as that pane's content first."""
    path = SHOTS / f"{name}.png"
    height = HEIGHT
    for _ in range(3):
        content = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
        if content <= height:
            break
        height = content + 40
        page.set_viewport_size({"width": WIDTH, "height": height})
        # the main pane grows with the window; what it shows is drawn again at that size
        page.wait_for_function(
            "h => document.querySelector('[data-testid=stMain]').clientHeight >= h - 1", arg=height
        )
        wait_drawn(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return path


def grid_rows(grid, column: str) -> list[dict[str, str]]:
    """The cells of a Streamlit dataframe as text, read from the accessible table that the
    canvas grid keeps beside its drawing (once it has a ``column`` header and rows)."""
    table = grid.locator("table[role=grid]").first
    table.locator("th", has_text=column).first.wait_for(state="attached", timeout=30_000)
    table.locator("tbody tr td").first.wait_for(state="attached", timeout=30_000)
    heads = [h.text_content() for h in table.locator("thead th").all()]
    return [
        dict(zip(heads, [c.text_content() for c in row.locator("td").all()], strict=False))
        for row in table.locator("tbody tr").all()
    ]


def test_scorecard_click_opens_the_village_with_the_clis_numbers(server, demo_db_url, failing_village):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    query = f"year={YEAR}&as_of={AS_OF}"
    outside: list[str] = []

    def guard(route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def watch(request) -> None:
        if urlsplit(request.url).hostname not in LOCAL_HOSTS and request.url not in outside:
            outside.append(request.url)

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
            context.route("**/*", guard)
            context.on("request", watch)
            page = context.new_page()
            page.on(
                "websocket",
                lambda ws: None if urlsplit(ws.url).hostname in LOCAL_HOSTS else outside.append(ws.url),
            )

            # the other pages, as they are when first opened
            for name, (file, path) in PAGES.items():
                if not (ROOT / "pages" / file).is_file() or name == "scorecard":
                    continue
                page.goto(f"{server}/{path}?{query}")
                settle(page)
                no_error_box(page)
                shoot(page, name)

            # the scorecard of the village's township; the grid is a canvas: click the
            # row's selection box by its position (header and rows are 35 px high)
            town = failing_village["township"]
            page.goto(f"{server}/scorecard?{query}&township={town}")
            settle(page, t("page_scorecard"))
            no_error_box(page)
            grid = page.locator('[data-testid="stDataFrame"]').first
            rows = grid_rows(grid, t("unit"))
            assert rows[failing_village["row"]][t("unit")] == failing_village["name"]
            shoot(page, "scorecard")
            grid.scroll_into_view_if_needed()
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 15, box["y"] + 35 + 35 * failing_village["row"] + 17)

            page.wait_for_url("**/unit?*", timeout=60_000)
            settle(page, f"{t('page_detail')} · {failing_village['name']}")
            no_error_box(page)
            assert f"unit={failing_village['code']}" in page.url
            shown = {
                r[t("detail_indicator")]: r
                for r in grid_rows(page.locator('[data-testid="stDataFrame"]').first, t("value"))
            }
            expected = cli_values(failing_village["code"], demo_db_url)
            for code in CHECKED:
                ind = registry.get(code)
                assert shown[ind.name("zh")][t("value")] == ind.format(expected[code]), code
            assert shown[registry.get("policy_compliance_rate").name("zh")][t("verdict")].startswith("✘")
            sex_ratio = registry.get("sex_ratio_at_birth").format(expected["sex_ratio_at_birth"])
            assert page.get_by_text(f"**{sex_ratio}**").count() == 0  # markdown rendered, not raw
            assert page.locator("strong", has_text=sex_ratio).count() >= 1
            # the view (year, as-of date, township) came along
            assert f"as_of={AS_OF}" in page.url and f"township={town}" in page.url
            assert page.get_by_text(f"{t('as_of')} {AS_OF}").count() >= 1
            shoot(page, "unit_detail")

            # up to the township through the parent link, then down to its first village
            page.locator('[data-testid="stMain"] [data-testid="stPageLink"] a').first.click()
            settle(page, f"{t('page_detail')} · {failing_village['township_name']}")
            no_error_box(page)
            villages = page.locator('[data-testid="stDataFrame"]').nth(1)
            assert grid_rows(villages, t("unit"))[0][t("unit")] == failing_village["first_village"]
            shoot(page, "unit_detail_township")
            villages.scroll_into_view_if_needed()
            box = villages.bounding_box()
            page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
            settle(page, f"{t('page_detail')} · {failing_village['first_village']}")
            no_error_box(page)
            assert f"as_of={AS_OF}" in page.url
            assert page.get_by_text(f"{t('as_of')} {AS_OF}").count() >= 1
        finally:
            browser.close()

    assert outside == [], f"requests that left the machine: {outside}"


def test_downloads_are_made_when_clicked_and_hold_the_numbers(server, demo_db_url, tmp_path):
    """The files behind the buttons are made on the click (not on every rerun), so only a
    real click in a real browser shows that they arrive and what they hold."""
    import pandas as pd
    from playwright.sync_api import sync_playwright

    from queries.ingest.targets import SHEET, TEMPLATE_COLUMNS, template_frame

    engine = make_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            county = county_code(conn)
            table = compute(conn, county, make_period(YEAR, date.fromisoformat(AS_OF)))
            template = template_frame(conn, county, YEAR)
    finally:
        engine.dispose()
    card = shape.scorecard(table, county)
    query = f"year={YEAR}&as_of={AS_OF}"

    def fetch(page, label: str) -> Path:
        button = page.get_by_role("button", name=label).first
        button.scroll_into_view_if_needed()
        with page.expect_download(timeout=60_000) as download:
            button.click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        return path

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, accept_downloads=True)

            page.goto(f"{server}/scorecard?{query}")
            settle(page, t("page_scorecard"))
            csv = fetch(page, t("download_csv"))
            assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
            got = pd.read_csv(csv, encoding="utf-8-sig", dtype={t("code"): str})
            assert got[t("code")].tolist() == card["unit_code"].tolist()
            assert got[t("unit")].tolist() == card["name"].tolist()
            name = registry.get("birth_rate").name("zh")
            expected = card["birth_rate|value"].astype(float).round(registry.get("birth_rate").decimals + 2)
            assert got[f"{name} {t('value')}"].tolist() == pytest.approx(expected.tolist())

            page.goto(f"{server}/targets?{query}")
            settle(page, t("page_targets"))
            xlsx = fetch(page, t("tg_download"))
            assert xlsx.name == f"目标模板_{county}_{YEAR}.xlsx"
            sheet = pd.read_excel(xlsx, sheet_name=SHEET, dtype={"单位代码": str})
            assert list(sheet.columns) == list(TEMPLATE_COLUMNS)
            assert len(sheet) == len(template) > 0
            assert sorted(set(sheet["单位代码"])) == sorted(set(template["单位代码"]))
            no_error_box(page)
        finally:
            browser.close()
