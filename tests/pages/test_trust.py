"""Numbers a leader can trust at every moment: fresh after every import on an open app,
never zeros from a lost derived table, the bureau's clock, the running year never read as
closed, and one verdict per value wherever it is shown."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import delete

from dashboard.components import exports
from dashboard.i18n import t, verdict_label
from dashboard.papers.make import assessment_workbook
from dashboard.papers.wording import SHEETS
from queries.analytics import lifecycle
from queries.analytics.tables import derived_state, unit_months
from queries.engine import registry
from queries.engine.indicators import compute, county_code
from queries.engine.period import make_period
from queries.ingest.load import import_frames
from queries.services import shape
from queries.services.assessment import assess, load_rules
from queries.store import clock
from queries.store import db as store_db
from queries.store.db import make_engine
from tests.dashboard.test_cli import cli
from tests.factory import a_village, births
from tests.pages.test_pages import AS_OF, YEAR, card_value, open_app

ROOT = Path(__file__).resolve().parents[2]
CUT = date.fromisoformat(AS_OF)


# --------------------------------------------------------------------------- an import, a lost table


def test_an_open_app_shows_an_import_on_its_next_run(demo_copy):
    at = open_app()
    before = card_value(at, "birth_rate")
    years_before = at.selectbox(key="year").options
    assert "2026" not in years_before
    engine = make_engine(demo_copy)
    try:  # the command line's import, while the app (and its caches) stay up
        import_frames(
            engine,
            {
                "births": pd.concat(
                    [
                        births(a_village(demo_copy), 400, date(2025, 6, 1)),
                        births(a_village(demo_copy), 3, date(2026, 1, 5), "new"),
                    ]
                )
            },
            today=date(2026, 1, 31),
        )
        with engine.connect() as conn:
            want = compute(conn, county_code(conn), make_period(YEAR, CUT))
    finally:
        engine.dispose()
    at.run()
    assert not at.exception
    after = card_value(at, "birth_rate")
    county_rate = want.loc[(want["level"] == "county") & (want["indicator"] == "birth_rate"), "value"].iloc[0]
    assert after == registry.get("birth_rate").format(county_rate) != before
    assert "2026" in at.selectbox(key="year").options


def test_a_lost_or_emptied_derived_table_is_rebuilt_never_read_as_zeros(demo_copy):
    engine = make_engine(demo_copy)
    try:
        with engine.connect() as conn:
            want = compute(conn, county_code(conn), make_period(YEAR, CUT))
        with engine.begin() as conn:
            conn.execute(delete(unit_months))
        with engine.connect() as conn:
            assert lifecycle.problems(conn) == ["unit_months is empty"]
    finally:
        engine.dispose()
    at = open_app()  # the page run finds it empty and rebuilds before reading
    assert card_value(at, "birth_rate") == registry.get("birth_rate").format(
        want.loc[(want["level"] == "county") & (want["indicator"] == "birth_rate"), "value"].iloc[0]
    )
    engine = make_engine(demo_copy)
    try:
        with engine.begin() as conn:
            unit_months.drop(conn)
        with engine.connect() as conn:
            assert lifecycle.problems(conn) == ["missing unit_months"]
        from dashboard.runtime.settings import open_engine

        reopened = open_engine(demo_copy)  # opening rebuilds too
        with reopened.connect() as conn:
            assert lifecycle.problems(conn) == []
            got = compute(conn, county_code(conn), make_period(YEAR, CUT))
        reopened.dispose()
    finally:
        engine.dispose()
    pd.testing.assert_frame_equal(got, want)


def test_the_bar_of_opening_the_database_is_not_shown_again_on_later_pages(demo_copy):
    """Opening a database whose derived tables were never built rebuilds them with a bar
    (as building the demo on first run does); once open, no later page shows that bar again."""
    engine = make_engine(demo_copy)
    try:
        with engine.begin() as conn:
            conn.execute(delete(derived_state))
    finally:
        engine.dispose()
    at = open_app()  # this run opens the database: it rebuilds, drawing its bar while it works
    with make_engine(demo_copy).connect() as conn:
        assert lifecycle.problems(conn) == []
    for page in ("scorecard.py", "checks.py", "overview.py"):
        at.switch_page(f"../pages/{page}").run()
        assert not at.exception
        assert at.get("progress") == [], page


# --------------------------------------------------------------------------- the bureau's clock


def frozen(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: when)


def test_one_in_the_morning_in_beijing_is_already_the_next_day(demo_copy, monkeypatch):
    # 01:00 on 1 March 2026 in Beijing is still 17:00 on 28 February in UTC.
    frozen(monkeypatch, datetime(2026, 2, 28, 17, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 3, 1)
    assert make_period(2026).as_of == date(2026, 3, 1)
    assert make_period(2025).as_of == date(2025, 12, 31)
    engine = make_engine(demo_copy)
    try:  # a record dated today is not "in the future"; tomorrow's is
        report = import_frames(engine, {"births": births(a_village(demo_copy), 2, date(2026, 3, 1))})
        assert report.total == 2
        with pytest.raises(Exception, match="future"):
            import_frames(engine, {"births": births(a_village(demo_copy), 1, date(2026, 3, 2), "late")})
    finally:
        engine.dispose()
    from streamlit.testing.v1 import AppTest

    from tests.pages.test_pages import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()  # no parameters: the defaults
    assert not at.exception
    assert at.selectbox(key="year").value == 2026
    assert at.date_input(key="as_of").value == date(2026, 3, 1)
    monkeypatch.setenv("POPDASH_TIMEZONE", "UTC")
    assert clock.today() == date(2026, 2, 28)


def test_the_running_year_is_provisional_and_read_to_today(demo_copy, monkeypatch):
    frozen(monkeypatch, datetime(2025, 11, 20, 2, 0, tzinfo=UTC))
    rules = load_rules(None)
    engine = make_engine(demo_copy)
    try:
        with engine.connect() as conn:
            root = county_code(conn)
            frame = assess(conn, root, 2025, "township", rules)
            closed = assess(conn, root, 2024, "township", rules)
            table = compute(conn, root, make_period(2025))
    finally:
        engine.dispose()
    assert frame.attrs["as_of"] == date(2025, 11, 20) and frame.attrs["provisional"]
    assert closed.attrs["as_of"] == date(2024, 12, 31) and not closed.attrs["provisional"]
    # Behind is judged against the pace to 20 November, not the whole year's task.
    checks = table[table["indicator"] == "prepregnancy_checks"]
    whole_task = (checks["value"] < checks["target"]).sum()
    assert (checks["verdict"] == "behind").sum() < whole_task


# --------------------------------------------------------------------------- one verdict


def test_every_reader_shows_the_engines_one_verdict(demo_db_url):
    engine = make_engine(demo_db_url)
    rules = load_rules(None)
    try:
        with engine.connect() as conn:
            root = county_code(conn)
            table = compute(conn, root, make_period(YEAR, CUT))
            frames = {lv: assess(conn, root, YEAR, lv, rules, as_of=CUT) for lv in ("township", "village")}
            workbook = openpyxl.load_workbook(
                io.BytesIO(assessment_workbook(conn, root, YEAR, rules, as_of=CUT))
            )
    finally:
        engine.dispose()
    want = table.set_index(["unit_code", "indicator"])["verdict"]
    assert set(want) <= set(registry.VERDICT)
    assert {"within_chance", "behind", "met", "not_met"} <= set(want)

    # the command line
    out = cli("indicators", "--year", str(YEAR), "--as-of", AS_OF, "--db", demo_db_url, "--format", "json")
    assert out.returncode == 0, out.stderr
    printed = {(r["unit_code"], r["indicator"]): r["verdict"] for r in json.loads(out.stdout)}
    assert printed == want.to_dict()

    # the unit page and the scorecard (and its .xlsx download) for every parent
    for code in table["unit_code"].unique():
        detail = shape.unit_detail(table, code).set_index("indicator")["verdict"]
        assert detail.to_dict() == want.xs(code, level="unit_code").to_dict()
    for parent in table.loc[table["level"] != "village", "unit_code"].unique():
        card = shape.scorecard(table, parent)
        if card.empty:
            continue
        codes = list(registry.CODES)
        sheet = openpyxl.load_workbook(
            io.BytesIO(exports.to_xlsx(exports.scorecard_export(card, codes), "s"))
        ).active
        header = [c.value for c in sheet[1]]
        for i, unit in enumerate(card["unit_code"]):
            for ind in codes:
                assert card[f"{ind}|verdict"].iloc[i] == want[(unit, ind)]
                cell = sheet.cell(i + 2, header.index(f"{registry.get(ind).name_zh} 判断") + 1).value
                assert cell == verdict_label(want[(unit, ind)])

    # the assessment and its printed workbook
    symbols = {s.symbol: k for k, s in registry.VERDICT.items()}
    for level, frame in frames.items():
        ws = workbook[SHEETS[level]]
        codes = [c[: -len("|verdict")] for c in frame.columns if c.endswith("|verdict")]
        for code in codes:
            assert (
                frame[f"{code}|verdict"].to_numpy() == [want[(u, code)] for u in frame["unit_code"]]
            ).all()
        shown = _printed_symbols(ws, frame, codes)  # each printed value carries its verdict's symbol
        assert shown
        for (unit, code), symbol in shown.items():
            assert symbols[symbol] == want[(unit, code)], (level, unit, code)


def _printed_symbols(ws, frame, codes) -> dict[tuple[str, str], str]:
    """The verdict symbol the printed workbook writes after each value, by unit and indicator."""
    from tests.dashboard.test_papers import _indicator_column

    out = {}
    for code in codes:
        col = _indicator_column(ws, code, "实际值")
        for i, unit in enumerate(frame["unit_code"]):
            cell = ws.cell(i + 3, col)
            fmt = cell.number_format
            if isinstance(cell.value, (int, float)) and '" ' in fmt:
                out[(unit, code)] = fmt.rsplit('" ', 1)[1].rstrip('"')
    return out


def test_the_papers_are_made_as_a_job_and_offered_for_download(app_env):
    at = open_app("assessment.py")
    at.button(key="as_papers_make").click().run()
    assert not at.exception
    assert t("papers_ready") in [m.value for m in at.markdown]
    labels = [b.proto.label for b in at.get("download_button")]
    # the table's CSV and Excel, then the workbook and the PDF
    assert labels == [t("download_csv"), t("download_xlsx"), t("as_papers_xlsx"), t("as_papers_pdf")]
    at.run()  # a rerun keeps the finished papers, without making them again
    assert t("papers_ready") in [m.value for m in at.markdown]
    assert [b.proto.label for b in at.get("download_button")] == labels


def test_a_papers_click_makes_no_engine_of_its_own(app_env, monkeypatch):
    """The papers are made on the app's one cached engine: an engine per click, never
    disposed, would keep its connections open for as long as the app runs."""
    at = open_app("assessment.py")
    made = []
    create = store_db.create_engine

    def counted(*args, **kwargs):
        made.append(args[0] if args else kwargs.get("url"))
        return create(*args, **kwargs)

    monkeypatch.setattr(store_db, "create_engine", counted)
    at.button(key="as_papers_make").click().run()
    assert not at.exception
    assert t("papers_ready") in [m.value for m in at.markdown]
    assert made == []
