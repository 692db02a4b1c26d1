"""An import from the command line while the app is serving: a reload shows the new
numbers and the new year, in a real Chromium; the server listens on the loopback only."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from queries.engine import registry
from queries.engine.indicators import compute, county_code
from queries.engine.period import make_period
from queries.store.db import make_engine
from tests.browser.test_browser import no_error_box, settle
from tests.dashboard.test_cli import cli
from tests.served_app import chromium, serving

pytestmark = pytest.mark.browser

YEAR, AS_OF = 2025, "2025-11-15"


def county_birth_rate(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            table = compute(conn, county_code(conn), make_period(YEAR, date.fromisoformat(AS_OF)))
    finally:
        engine.dispose()
    row = table[(table["level"] == "county") & (table["indicator"] == "birth_rate")]
    return registry.get("birth_rate").format(float(row["value"].iloc[0]))


def write_births(folder: Path, village: str) -> None:
    """400 births in 2025 and three in 2026, as a clerk's month of records."""
    folder.mkdir()
    rows = ["birth_id,unit_code,birth_date,sex,birth_order,in_policy,registered,resident"]
    rows += [f"late-{i},{village},2025-06-01,{'MF'[i % 2]},1,1,1,1" for i in range(400)]
    rows += [f"new-{i},{village},2026-01-05,M,1,1,1,1" for i in range(3)]
    (folder / "births.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_reload_after_an_import_shows_the_new_numbers_and_year(demo_db_url, tmp_path):
    shutil.copy(Path(demo_db_url.removeprefix("sqlite:///")), tmp_path / "demo.sqlite")
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    engine = make_engine(url)
    with engine.connect() as conn:
        village = conn.exec_driver_sql(
            "SELECT code FROM units WHERE level = 'village' ORDER BY code"
        ).scalar()
    engine.dispose()
    before = county_birth_rate(url)

    with serving(url, tmp_path / "streamlit.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.goto(f"{base}/?year={YEAR}&as_of={AS_OF}")
        settle(page)
        main = page.locator('[data-testid="stMain"]')
        # The script's end can reach the page before its last elements are drawn: wait for
        # the number itself (Playwright retries until it shows, or fails at the timeout).
        expect(main).to_contain_text(before, timeout=30_000)

        write_births(tmp_path / "records", village)
        done = cli("import", str(tmp_path / "records"), "--db", url)
        assert done.returncode == 0, done.stderr
        after = county_birth_rate(url)
        assert after != before

        page.reload()
        settle(page)
        expect(main).to_contain_text(after, timeout=30_000)
        no_error_box(page)
        text = main.inner_text()
        assert after in text and not re.search(rf"(?<![\d.]){re.escape(before)}(?![\d])", text)
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        options = page.locator('[role="option"]').all_inner_texts()
        assert "2026" in [o.strip() for o in options]
