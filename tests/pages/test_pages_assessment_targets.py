"""The assessment and targets pages, run as a user would (AppTest) on a small demo county:
the numbers shown are assess()'s, a broken rules file is a message naming its line, and a
filled-in target template is previewed, then saved."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from queries.demo.county import COUNTY_CODE, create_demo
from queries.ingest.targets import SHEET, TEMPLATE_COLUMNS, XLSX_MIME, template_xlsx
from queries.services.assessment import DEFAULT_RULES_PATH, assess, assessment_summary, load_rules
from queries.store.db import make_engine
from queries.store.schema import targets, units

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
ASSESSMENT = "../pages/assessment.py"  # relative to the entry script, dashboard/app.py
TARGETS = "../pages/targets.py"
YEAR, AS_OF = 2025, date(2025, 11, 15)
FULL_YEAR = YEAR - 1


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("assessment") / "demo.sqlite"
    eng = make_engine(f"sqlite:///{path}")
    try:
        create_demo(eng, villages=16, communities=2, townships=3, years=2, until=AS_OF, seed=11)
    finally:
        eng.dispose()
    return path


@pytest.fixture
def db_url(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{demo_path}"
    monkeypatch.setenv("POPDASH_DB_URL", url)
    monkeypatch.delenv("POPDASH_ASSESSMENT_RULES", raising=False)
    yield url


@pytest.fixture
def writable_url(demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A copy of the demo database the test may write to."""
    copy = tmp_path / "copy.sqlite"
    shutil.copy(demo_path, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("POPDASH_DB_URL", url)
    yield url


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params = {"year": str(FULL_YEAR), **params}
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def expected(url: str, root: str, level: str, year: int = FULL_YEAR, as_of: date | None = None):
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return assess(conn, root, year, level, load_rules(), as_of=as_of)
    finally:
        eng.dispose()


def metric(at: AppTest, key: str) -> str:
    found = [m.value for m in at.metric if m.label == t(key)]
    assert found, (key, [m.label for m in at.metric])
    return found[0]


# --------------------------------------------------------------------------- assessment page


def test_township_ranking_is_assess(db_url):
    frame = expected(db_url, COUNTY_CODE, "township")
    at = open_page(ASSESSMENT)
    assert at.title[0].value == f"{t('page_assessment')} · 澄川市 · {t('as_level_township')}"
    shown = at.dataframe[0].value
    assert shown[t("unit")].tolist() == frame["name"].tolist()  # best first, as ranked
    assert shown[t("rank")].tolist() == frame["rank"].tolist()
    top = frame.iloc[0]
    assert shown[t("as_total")].iloc[0] == pytest.approx(round(top["total"], 2))
    assert shown[t("as_total")].tolist() == pytest.approx(frame["total"].round(2).tolist())
    summary = assessment_summary(frame)
    assert metric(at, "as_units") == str(summary["units"])
    assert metric(at, "as_vetoed_units") == str(summary["vetoed"])
    assert metric(at, "as_full_marks") == str(summary["full_marks"])
    assert metric(at, "as_mean_score") == f"{summary['mean_score']:.1f} / 100"
    vetoed = frame[frame["vetoed"]]
    for _, row in vetoed.iterrows():
        cell = shown.loc[shown[t("unit")] == row["name"], t("as_veto")].iloc[0]
        assert cell.startswith("✘")
    assert not [w for w in at.warning if "暂定" in w.value]  # a year that is over


def first_township(url: str) -> str:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            stmt = select(units.c.code).where(units.c.level == "township").order_by(units.c.code)
            return conn.execute(stmt).first()[0]
    finally:
        eng.dispose()


def test_villages_of_a_township(db_url):
    township = first_township(db_url)
    frame = expected(db_url, township, "village")
    at = open_page(ASSESSMENT, township=township, as_level="village")
    shown = at.dataframe[0].value
    assert len(shown) == len(frame) > 1
    assert shown[t("unit")].tolist() == frame["name"].tolist()
    assert shown[t("as_total")].tolist() == pytest.approx(frame["total"].round(2).tolist())
    assert at.title[0].value.endswith(t("as_level_village"))


def test_in_year_assessment_says_provisional(db_url):
    at = open_page(ASSESSMENT, year=str(YEAR), as_of=AS_OF.isoformat())
    assert any("暂定" in w.value and AS_OF.isoformat() in w.value for w in at.warning)
    frame = expected(db_url, COUNTY_CODE, "township", YEAR, AS_OF)
    assert at.dataframe[0].value[t("as_total")].tolist() == pytest.approx(frame["total"].round(2).tolist())


def test_drill_into_a_unit(db_url):
    frame = expected(db_url, COUNTY_CODE, "township")
    last = frame.iloc[-1]
    at = open_page(ASSESSMENT)
    at.selectbox(key="as_unit").set_value(last["unit_code"])
    at.run()
    assert not at.exception
    head = (at.error if last["vetoed"] else at.success)[0].value
    assert f"{last['total']:.2f}" in head and last["name"] in head
    breakdown = at.dataframe[1].value
    rules = load_rules().level_rules("township")
    assert len(breakdown) == len(rules)
    scores = breakdown[t("as_score")].tolist()
    assert scores == [f"{last[f'{r.indicator}|score']:.2f}" for r in rules]


def test_a_broken_rules_file_is_a_message_naming_the_line(db_url, tmp_path, monkeypatch):
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    broken = text.replace("points = 20", 'points = "twenty"', 1)
    line = next(i for i, s in enumerate(broken.splitlines(), start=1) if 'points = "twenty"' in s)
    path = tmp_path / "rules.toml"
    path.write_text(broken, encoding="utf-8")
    monkeypatch.setenv("POPDASH_ASSESSMENT_RULES", str(path))
    at = open_page(ASSESSMENT)
    assert at.error, "no error shown"
    message = at.error[0].value
    assert f"line {line}" in message and "points must be a positive number, not 'twenty'" in message
    assert not at.dataframe


# --------------------------------------------------------------------------- targets page


def _template(url: str, year: int = FULL_YEAR) -> bytes:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return template_xlsx(conn, COUNTY_CODE, year)
    finally:
        eng.dispose()


def _stored(url: str) -> dict:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            rows = conn.execute(
                select(targets.c.year, targets.c.unit_code, targets.c.indicator, targets.c.target)
            )
            return {(y, u, i): v for y, u, i, v in rows}
    finally:
        eng.dispose()


def _edit(data: bytes, edits: dict[tuple[str, str], object]) -> tuple[bytes, dict[tuple[str, str], int]]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    target_col = TEMPLATE_COLUMNS.index("目标值")
    rows = {}
    for row in ws.iter_rows(min_row=2):
        key = (row[1].value, row[4].value)
        if key in edits:
            row[target_col].value = edits[key]
            rows[key] = row[0].row
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), rows


def test_targets_page_previews_then_saves(writable_url):
    before = _stored(writable_url)
    at = open_page(TARGETS)
    assert at.title[0].value == f"{t('page_targets')} · 澄川市"
    assert t("tg_download") in [b.proto.label for b in at.get("download_button")], "no template download"
    township = first_township(writable_url)
    edits = {(COUNTY_CODE, "birth_rate"): 5.0, (township, "satisfaction_rate"): 97}
    data, rows = _edit(_template(writable_url), edits)
    assert len(rows) == 2
    at.file_uploader[0].set_value(("目标模板.xlsx", data, XLSX_MIME))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert metric(at, "tg_change_added") == "1" and metric(at, "tg_change_changed") == "1"
    preview = at.dataframe[0].value
    assert sorted(preview[t("tg_row")].tolist()) == sorted(rows.values())
    assert _stored(writable_url) == before  # nothing saved yet
    at.button(key="tg_save").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(w.value == t("tg_saved", n=2) for w in at.success)
    after = _stored(writable_url)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {(FULL_YEAR, COUNTY_CODE, "birth_rate"), (FULL_YEAR, township, "satisfaction_rate")}
    assert after[(FULL_YEAR, COUNTY_CODE, "birth_rate")] == 5.0
    assert set(after) - set(before) == {(FULL_YEAR, township, "satisfaction_rate")}


def test_targets_page_refuses_a_bad_template_with_its_rows(writable_url):
    before = _stored(writable_url)
    at = open_page(TARGETS)
    data, rows = _edit(_template(writable_url), {(COUNTY_CODE, "knowledge_rate"): "九十八"})
    at.file_uploader[0].set_value(("目标模板.xlsx", data, XLSX_MIME))
    at.run()
    assert at.error and at.error[0].value == t("tg_refused", n=1)
    errors = at.dataframe[0].value
    assert errors.to_dict("records") == [
        {
            t("ie_file"): "目标模板.xlsx",
            t("ie_column"): "目标值",
            t("ie_reason"): "不是数字",
            t("ie_count"): 1,
            t("ie_rows"): str(rows[(COUNTY_CODE, "knowledge_rate")]),
            t("ie_value"): "九十八",
        }
    ]
    assert not [b for b in at.button if b.key == "tg_save"]
    assert _stored(writable_url) == before


# --------------------------------------------------------------------------- scorecard page


SCORECARD = "../pages/scorecard.py"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scorecard_says_it_is_not_the_assessment_and_links_to_it(db_url, lang):
    township = first_township(db_url)
    at = open_page(SCORECARD, township=township, lang=lang)
    assert t("sc_not_assessment", lang) in [c.value for c in at.caption]
    links = [p.proto for p in at.get("page_link") if p.proto.label == t("sc_to_assessment", lang)]
    assert len(links) == 1, [p.proto.label for p in at.get("page_link")]
    link = links[0]
    assert link.page == "assessment"  # the 年终考核 page's URL path
    # the link keeps the sidebar's filters, so the assessment opens on the same year and township
    assert f"year={FULL_YEAR}" in link.query_string and f"township={township}" in link.query_string


def test_village_breakdown_shows_the_out_of_policy_count_and_the_rule(db_url):
    township = first_township(db_url)
    frame = expected(db_url, township, "village")
    code = "policy_compliance_rate"
    row = frame.sort_values(f"{code}|shortfall").iloc[-1]  # the most births out of policy
    n = int(row[f"{code}|shortfall"])
    assert n > 0
    at = open_page(ASSESSMENT, township=township, as_level="village")
    at.selectbox(key="as_unit").set_value(row["unit_code"])
    at.run()
    assert not at.exception
    breakdown = at.dataframe[1].value.set_index(t("as_indicator"))
    assert f"政策外出生 {n} 例" in breakdown.loc["政策符合率", t("verdict")]
    veto = breakdown.loc["政策符合率", t("as_veto")]
    assert veto == ("✘ " + t("as_vetoed") if n > 3 else "政策外出生超过 3 例否决")
    rules_shown = at.dataframe[2].value.set_index(t("code"))
    assert rules_shown.loc[code, t("as_veto")] == "✘ 政策外出生超过 3 例否决"
