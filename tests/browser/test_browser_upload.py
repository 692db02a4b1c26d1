"""A clerk's month in a real Chromium: upload the county's export as a zip on 数据导入, watch
it being checked, read what it will change, confirm, watch it being written, find it in the
history, and undo it: the database is as it was before, to the last row."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from dashboard.i18n import t
from queries.demo.county import build_demo, write_csv
from queries.store.db import make_engine
from queries.store.schema import DATA_TABLES
from tests.browser.test_browser import SHOTS, grid_rows, no_error_box, settle, shoot
from tests.served_app import chromium, serving

pytestmark = pytest.mark.browser

# The conftest's demo county (demo_db_url), built again from the same arguments.
DEMO = dict(villages=40, communities=4, townships=4, years=3, until=date(2025, 11, 15), seed=7)
NEW_BIRTHS = 400


def data_hash(url: str) -> str:
    """Every data table's rows, sorted, hashed: equal hashes, equal content."""
    engine = make_engine(url)
    digest = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for table in DATA_TABLES:
                rows = conn.execute(table.select()).all()
                for row in sorted(map(repr, rows)):
                    digest.update(row.encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


def births_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM births").scalar())
    finally:
        engine.dispose()


def export_zip(folder: Path) -> Path:
    """The whole county as the source system exports it, with a month of 400 new births."""
    frames = build_demo(**DEMO)
    births = frames["births"]
    village = births["unit_code"].iloc[0]
    extra = pd.DataFrame(
        {
            "birth_id": [f"nov-{i:04d}" for i in range(NEW_BIRTHS)],
            "unit_code": village,
            "birth_date": date(2025, 11, 10),
            "sex": ["M" if i % 2 else "F" for i in range(NEW_BIRTHS)],
            "birth_order": 1,
            "in_policy": 1,
            "registered": 1,
            "resident": 1,
        }
    )
    frames["births"] = pd.concat([births, extra], ignore_index=True)
    write_csv(frames, folder / "本月导出")
    archive = folder / "本月导出.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((folder / "本月导出").iterdir()):
            zf.write(path, f"本月导出/{path.name}")
    return archive


def zipped(folder: Path, name: str, files: dict[str, str]) -> Path:
    archive = folder / name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, text in files.items():
            zf.writestr(member, text.encode("utf-8"))
    return archive


def upload(page, archive: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(archive))


def test_upload_preview_confirm_and_undo(demo_db_url, tmp_path):
    shutil.copy(Path(demo_db_url.removeprefix("sqlite:///")), tmp_path / "demo.sqlite")
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    archive = export_zip(tmp_path)
    before_hash, before_births = data_hash(url), births_count(url)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with serving(url, tmp_path / "streamlit.log") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.goto(f"{base}/import?year=2025&as_of=2025-11-15")
        settle(page, t("page_import", "zh"))
        main = page.locator('[data-testid="stMain"]')

        # A file with 120 dates written day first: refused, the errors grouped in Chinese.
        frames = build_demo(**DEMO)
        bad = frames["births"].head(120).copy()
        bad["birth_date"] = pd.to_datetime(bad["birth_date"]).dt.strftime("%d/%m/%Y")
        upload(page, zipped(tmp_path, "错误日期.zip", {"births.csv": bad.to_csv(index=False)}))
        expect(main).to_contain_text(t("im_refused", "zh", name="错误日期.zip", n=120), timeout=60_000)
        errors = grid_rows(page.locator('[data-testid="stDataFrame"]').first, t("ie_count", "zh"))
        assert len(errors) == 1 and errors[0][t("ie_count", "zh")] == "120"
        assert errors[0][t("ie_column", "zh")] == "birth_date"
        assert errors[0][t("ie_reason", "zh")].startswith("不是日期；日期须年份在前")
        assert births_count(url) == before_births
        history = grid_rows(page.locator('[data-testid="stDataFrame"]').last, t("im_result", "zh"))
        assert (history[0][t("im_file", "zh")], history[0][t("im_result", "zh")]) == (
            "错误日期.zip",
            t("im_result_refused", "zh"),
        )

        upload(page, archive)
        # Checking 40,000 rows takes seconds: the bar shows what is being done meanwhile.
        bar = page.locator('[data-testid="stProgress"]')
        expect(bar.first).to_be_visible(timeout=30_000)
        expect(main).to_contain_text("正在检查“本月导出.zip”")
        expect(main).to_contain_text(t("im_effect_title", "zh", name="本月导出.zip"), timeout=120_000)
        # The refused file's table is gone once the run has ended: then the first table is the effect's.
        expect(main).not_to_contain_text("有 120 处错误", timeout=30_000)
        expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(2, timeout=30_000)
        no_error_box(page)
        rows = grid_rows(page.locator('[data-testid="stDataFrame"]').first, t("im_added", "zh"))
        by_file = {(r[t("im_file", "zh")], r[t("year", "zh")]): r for r in rows}
        births_2025 = by_file[("births.csv（出生）", "2025")]
        assert births_2025[t("im_added", "zh")] == str(NEW_BIRTHS)
        assert births_2025[t("im_replaced", "zh")] == "0"
        assert all(
            r[t("im_added", "zh")] == "0" for k, r in by_file.items() if k != ("births.csv（出生）", "2025")
        )
        assert births_count(url) == before_births, "nothing is written before the user confirms"
        shoot(page, "import_preview")

        page.get_by_role("button", name=t("im_confirm", "zh")).click()
        expect(main).to_contain_text("正在导入“本月导出.zip”", timeout=30_000)
        expect(main).to_contain_text(f"新增 {NEW_BIRTHS:,} 条，替换 0 条", timeout=180_000)
        assert births_count(url) == before_births + NEW_BIRTHS
        history = grid_rows(page.locator('[data-testid="stDataFrame"]').last, t("im_result", "zh"))
        assert history[0][t("im_file", "zh")] == "本月导出.zip"
        assert history[0][t("im_result", "zh")] == t("im_result_imported", "zh")
        assert history[0][t("im_added", "zh")] == str(NEW_BIRTHS)
        phone = browser.new_page(viewport={"width": 390, "height": 900}, locale="zh-CN")
        phone.goto(f"{base}/import")
        settle(phone, t("page_import", "zh"))
        phone.screenshot(path=str(SHOTS / "import_history_phone.png"), full_page=True)
        phone.close()

        page.get_by_text(t("im_undo_title", "zh")).click()
        page.get_by_text(t("im_undo_confirm", "zh")).click()
        page.get_by_role("button", name=t("im_undo", "zh")).click()
        expect(main).to_contain_text(t("im_undone", "zh", name="本月导出.zip"), timeout=180_000)
        no_error_box(page)
        assert data_hash(url) == before_hash, "undo leaves the database exactly as it was"
        history = grid_rows(page.locator('[data-testid="stDataFrame"]').last, t("im_result", "zh"))
        assert t("im_result_undone", "zh") in [r[t("im_result", "zh")] for r in history]

        # The same births under other ids, as a spreadsheet that mangled them would give:
        # the page says so, and the import button waits for an explicit confirmation.
        renamed = frames["births"].copy()
        renamed["birth_id"] = "X" + renamed["birth_id"]
        upload(page, zipped(tmp_path, "改号.zip", {"births.csv": renamed.to_csv(index=False)}))
        expect(main).to_contain_text("只是编号不同", timeout=60_000)
        go = page.get_by_role("button", name=t("im_confirm", "zh"))
        expect(go).to_be_disabled()
        page.get_by_text(t("im_allow_duplicates", "zh")).click()
        expect(go).to_be_enabled()
        page.get_by_role("button", name=t("im_cancel", "zh")).click()
        expect(main).not_to_contain_text("只是编号不同", timeout=30_000)
        no_error_box(page)
        assert data_hash(url) == before_hash
