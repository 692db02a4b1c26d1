"""The pre-pregnancy checks and migrant services pages, run as a user would (AppTest):
the numbers shown are the engine's, the filters change them, an empty year is a message."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import TEXT, service_name, t, verdict_label
from queries.demo.county import COUNTY_CODE
from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.services.projection import project_checks
from queries.services.trends import migrant_flows
from queries.store.db import make_engine

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
CHECKS = "../pages/checks.py"  # relative to the entry script, dashboard/app.py
MIGRANTS = "../pages/migrants.py"
YEAR, AS_OF = 2025, date(2025, 11, 15)


@pytest.fixture(scope="session")
def engine_values(demo_db_url: str):
    """The engine's long table for a period, computed directly on the same database."""
    eng = make_engine(demo_db_url)
    cache: dict = {}

    def table(year: int = YEAR, as_of: date | None = AS_OF) -> pd.DataFrame:
        key = (year, as_of)
        if key not in cache:
            with eng.connect() as conn:
                cache[key] = compute(conn, COUNTY_CODE, make_period(year, as_of))
        return cache[key]

    yield table
    eng.dispose()


def value(table: pd.DataFrame, unit: str, code: str, column: str = "value") -> float:
    row = table[(table["unit_code"] == unit) & (table["indicator"] == code)]
    assert len(row) == 1, (unit, code)
    return float(row[column].iloc[0])


def townships(table: pd.DataFrame) -> list[str]:
    return sorted(table.loc[table["level"] == "township", "unit_code"].unique())


def open_page(page: str, **params: str) -> AppTest:
    """The app on ``page`` with the URL's query parameters (the year and as-of by default)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params = {"year": str(YEAR), "as_of": AS_OF.isoformat(), **params}
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label_key: str, lang: str = "zh") -> str:
    label = t(label_key, lang)
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return found[0]


def charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


def chart_rows(chart) -> pd.DataFrame:
    """The data sets of an Altair chart as the browser receives them, stacked."""
    frames = []
    for ds in chart.proto.datasets:
        frames.append(pa.ipc.open_stream(io.BytesIO(ds.data.data)).read_pandas())
    if chart.proto.data.data:
        frames.append(pa.ipc.open_stream(io.BytesIO(chart.proto.data.data)).read_pandas())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --------------------------------------------------------------------------- checks page


def test_checks_headline_is_the_engines_count(app_env, engine_values):
    table = engine_values()
    at = open_page(CHECKS)
    assert at.title[0].value.startswith(t("page_checks"))
    assert "澄川市" in at.title[0].value
    code = "prepregnancy_checks"
    fmt = registry.get(code).format
    assert metric(at, "done") == fmt(value(table, COUNTY_CODE, code))
    assert metric(at, "ck_task") == fmt(value(table, COUNTY_CODE, code, "target"))
    assert metric(at, "expected_by_now") == fmt(value(table, COUNTY_CODE, code, "expected"))
    assert value(table, COUNTY_CODE, code) > 0


def test_checks_table_lists_townships_worst_chance_first(app_env, engine_values):
    table = engine_values()
    at = open_page(CHECKS)
    shown = at.dataframe[0].value
    names = table[table["level"] == "township"].drop_duplicates("unit_code").set_index("name")["unit_code"]
    assert sorted(shown[t("unit")]) == sorted(names.index)
    chance = shown[t("ck_chance")].astype(float)
    assert list(chance) == sorted(chance)  # least likely first
    for _, row in shown.iterrows():
        unit = names[row[t("unit")]]
        assert row[t("done")] == value(table, unit, "prepregnancy_checks")
        assert row[t("ck_coverage")] == pytest.approx(value(table, unit, "prepregnancy_check_coverage"))
        assert row[t("ck_completion")] == pytest.approx(
            value(table, unit, "prepregnancy_checks")
            / value(table, unit, "prepregnancy_checks", "target")
            * 100
        )
    # the projection shown is the projection module's
    eng = make_engine(app_env)
    with eng.connect() as conn:
        proj = project_checks(conn, COUNTY_CODE, make_period(YEAR, AS_OF), "township").set_index("unit_code")
    eng.dispose()
    for _, row in shown.iterrows():
        unit = names[row[t("unit")]]
        assert row[t("ck_projected_short")] == pytest.approx(proj.at[unit, "projected_rhythm"])
        assert row[t("ck_chance")] == pytest.approx(proj.at[unit, "chance_to_meet"] * 100)
    miss = int(proj["will_miss"].sum())
    assert metric(at, "ck_units_miss") == t("ck_units_miss_value", miss=miss, units=len(proj))


def test_checks_follow_the_township_filter(app_env, engine_values):
    table = engine_values()
    first, second = townships(table)[:2]
    fmt = registry.get("prepregnancy_checks").format
    at = open_page(CHECKS, township=first)
    assert metric(at, "done") == fmt(value(table, first, "prepregnancy_checks"))
    villages = table[(table["parent_code"] == first)]["name"].unique()
    assert sorted(at.dataframe[0].value[t("unit")]) == sorted(villages)

    # the sidebar's township box moves the page to another township
    at.sidebar.selectbox(key="township").set_value(second).run()
    assert not at.exception
    assert metric(at, "done") == fmt(value(table, second, "prepregnancy_checks"))
    assert names_in_title(at, table, second)
    assert at.query_params.get("township") == second


def names_in_title(at: AppTest, table: pd.DataFrame, unit: str) -> bool:
    name = table.loc[table["unit_code"] == unit, "name"].iloc[0]
    return name in at.title[0].value


def test_checks_follow_the_year(app_env, engine_values):
    at = open_page(CHECKS)
    at.sidebar.selectbox(key="year").set_value(YEAR - 1).run()
    assert not at.exception
    last_year = engine_values(YEAR - 1, None)  # a past year runs to 31 December
    fmt = registry.get("prepregnancy_checks").format
    assert metric(at, "done") == fmt(value(last_year, COUNTY_CODE, "prepregnancy_checks"))
    assert value(last_year, COUNTY_CODE, "prepregnancy_checks") != value(
        engine_values(), COUNTY_CODE, "prepregnancy_checks"
    )


def test_checks_chart_ends_at_the_as_of_month_with_the_engines_count(app_env, engine_values):
    at = open_page(CHECKS)
    (chart,) = charts(at)
    rows = chart_rows(chart)
    this = rows[rows["series"] == "this_year"].dropna(subset=["month"])
    assert int(this["month"].max()) == AS_OF.month
    assert int(this["cumulative"].max()) == value(engine_values(), COUNTY_CODE, "prepregnancy_checks")
    assert (rows["series"] == "last_year").sum() == 12  # last year, dashed, for all twelve months
    assert t("ck_this_year", year=YEAR) in set(rows["label"].dropna())


def test_checks_in_english(app_env):
    at = open_page(CHECKS, lang="en")
    assert at.title[0].value.startswith("Pre-pregnancy checks")
    assert metric(at, "done", "en")
    assert t("ck_chance", "en") in at.dataframe[0].value.columns


# --------------------------------------------------------------------------- migrants page


def test_migrant_coverage_is_the_engines_value(app_env, engine_values):
    table = engine_values()
    code = "migrant_service_coverage"
    fmt = registry.get(code).format
    at = open_page(MIGRANTS)
    assert at.title[0].value.startswith(t("page_migrants"))
    assert metric_by_label(at, registry.get(code).name("zh")) == f"{fmt(value(table, COUNTY_CODE, code))}%"
    assert metric(at, "mg_inflow") == registry.get("prepregnancy_checks").format(
        value(table, COUNTY_CODE, code, "denominator")
    )

    flows, priority = (d.value for d in at.dataframe[:2])
    names = table[table["level"] == "township"].drop_duplicates("unit_code").set_index("name")["unit_code"]
    for _, row in flows.iterrows():
        unit = names[row[t("unit")]]
        assert fmt(row[t("mg_coverage")]) == fmt(value(table, unit, code))
        assert row[t("mg_inflow")] == value(table, unit, code, "denominator")
        assert row[t("mg_served")] == value(table, unit, code, "numerator")
        assert row[t("verdict")] == verdict_label(
            table.loc[(table["unit_code"] == unit) & (table["indicator"] == code), "verdict"].iloc[0]
        )
    not_served = list(priority[t("mg_not_served")])
    assert not_served == sorted(not_served, reverse=True)
    assert set(priority[t("unit")]) == set(flows[t("unit")])


def metric_by_label(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}"
    return found[0]


def test_migrants_follow_the_township_and_match_the_series(app_env, engine_values):
    table = engine_values()
    town = townships(table)[1]
    at = open_page(MIGRANTS, township=town)
    code = "migrant_service_coverage"
    fmt = registry.get(code).format
    assert metric_by_label(at, registry.get(code).name("zh")) == f"{fmt(value(table, town, code))}%"
    eng = make_engine(app_env)
    with eng.connect() as conn:
        flows = migrant_flows(conn, town, make_period(YEAR, AS_OF), "village")
    eng.dispose()
    shown = at.dataframe[0].value
    assert list(shown[t("mg_outflow")]) == list(flows["outflow_present"])
    assert list(shown[t("mg_not_served")]) == list(flows["inflow_present"] - flows["inflow_served"])


def test_migrant_charts_read_without_colour(app_env):
    at = open_page(MIGRANTS)
    coverage, mix = charts(at)
    rows = chart_rows(coverage)
    symbols = {s.symbol for s in registry.STATUS.values()}
    assert rows["text"].dropna().map(lambda s: s.split(" ")[0] in symbols).all()
    spec = json.loads(coverage.proto.spec)
    assert "✔ 达标" in json.dumps(spec, ensure_ascii=False)  # the legend names the status
    kinds = set(chart_rows(mix)["kind"].dropna())
    assert kinds <= {
        service_name(k) for k in ("file", "certificate", "contraception", "education", "checkup")
    }
    assert "建档" in kinds


def test_service_names_are_translated():
    for kind, zh in {
        "file": "建档",
        "certificate": "婚育证明",
        "contraception": "避孕节育",
        "education": "宣传教育",
        "checkup": "健康检查",
    }.items():
        assert service_name(kind) == zh
        assert service_name(kind, "en") == TEXT[f"service_{kind}"][1]
    assert service_name("unknown") == "unknown"


# --------------------------------------------------------------------------- empty periods


@pytest.mark.parametrize("page", [CHECKS, MIGRANTS])
def test_a_year_without_events_is_a_message(app_env, engine_values, page):
    # The demo's baseline year has a year-end population row but no events: it is not
    # offered, and a link to it says so and shows a year with data instead.
    table = engine_values(YEAR - 3, None)
    assert value(table, COUNTY_CODE, "prepregnancy_checks") == 0
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params = {"year": str(YEAR - 3), "as_of": f"{YEAR - 3}-12-31"}
    at.run()  # the run that reads the link says what it did with it
    assert not at.exception
    assert t(
        "unknown_year", param=f"`year={YEAR - 3}`", fallback=YEAR, years=f"{YEAR}, {YEAR - 1}, {YEAR - 2}"
    ) in [w.value for w in at.warning]
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="year").value == YEAR
    assert at.title[0].value == f"{t(TITLES[page])} · {name_of(table, COUNTY_CODE)}"


TITLES = {CHECKS: "page_checks", MIGRANTS: "page_migrants"}


def name_of(table: pd.DataFrame, unit: str) -> str:
    return table.loc[table["unit_code"] == unit, "name"].iloc[0]


def test_first_of_january_checks_are_the_engines(app_env, engine_values):
    # Nothing done yet on 1 January: the cards say so, beside the year's task.
    table = engine_values(YEAR, date(YEAR, 1, 1))
    code = "prepregnancy_checks"
    fmt = registry.get(code).format
    at = open_page(CHECKS, as_of=f"{YEAR}-01-01")
    assert at.title[0].value == f"{t('page_checks')} · {name_of(table, COUNTY_CODE)}"
    assert metric(at, "done") == fmt(value(table, COUNTY_CODE, code)) == "0"
    assert metric(at, "ck_task") == fmt(value(table, COUNTY_CODE, code, "target"))
    assert metric(at, "expected_by_now") == fmt(value(table, COUNTY_CODE, code, "expected"))


def test_first_of_january_migrants_are_the_engines(app_env, engine_values):
    table = engine_values(YEAR, date(YEAR, 1, 1))
    code = "migrant_service_coverage"
    count = registry.get("prepregnancy_checks").format
    at = open_page(MIGRANTS, as_of=f"{YEAR}-01-01")
    assert at.title[0].value == f"{t('page_migrants')} · {name_of(table, COUNTY_CODE)}"
    assert metric(at, "mg_inflow") == count(value(table, COUNTY_CODE, code, "denominator"))
    assert metric(at, "mg_served") == count(value(table, COUNTY_CODE, code, "numerator"))
    coverage = registry.get(code).format(value(table, COUNTY_CODE, code))
    assert metric_by_label(at, registry.get(code).name("zh")) == f"{coverage}%"


# --------------------------------------------------------------------------- a click opens the unit


def test_a_click_on_a_unit_opens_its_detail(app_env, engine_values):
    table = engine_values()
    at = open_page(CHECKS)
    shown = at.dataframe[0]
    name = shown.value[t("unit")].iloc[0]
    code = table.loc[table["name"] == name, "unit_code"].iloc[0]
    at.session_state[shown.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == f"{t('page_detail')} · {name}"  # left the checks page for the unit's
    assert at.query_params.get("unit") == code
