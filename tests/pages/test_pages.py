"""The pages on a small demo county, driven by Streamlit's AppTest: they render, and a
filter change changes the numbers shown to the engine's numbers for the new unit."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import level_name, t, verdict_label
from queries.engine import registry
from queries.engine.indicators import compute, county_code
from queries.engine.period import make_period
from queries.services import catalogue
from queries.store.db import make_engine

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
YEAR, AS_OF = 2025, "2025-11-15"
TIMEOUT = 180


@pytest.fixture(scope="module")
def demo(demo_db_url: str) -> SimpleNamespace:
    """The engine's long table for the whole demo county, and its units."""
    engine = make_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            county = county_code(conn)
            table = compute(conn, county, make_period(YEAR, date.fromisoformat(AS_OF)))
            units = catalogue.units_frame(conn)
    finally:
        engine.dispose()
    townships = units.loc[units["level"] == "township", "code"].sort_values().tolist()
    return SimpleNamespace(
        county=county,
        table=table,
        units=units,
        names=dict(zip(units["code"], units["name"], strict=True)),
        townships=townships,
    )


def value(demo: SimpleNamespace, unit: str, code: str) -> float:
    row = demo.table.loc[(demo.table["unit_code"] == unit) & (demo.table["indicator"] == code)]
    return float(row["value"].iloc[0])


def shown(demo: SimpleNamespace, unit: str, code: str) -> str:
    """The engine's value as the registry formats it for a page."""
    return registry.get(code).format(value(demo, unit, code))


def children(demo: SimpleNamespace, parent: str) -> set[str]:
    return set(demo.units.loc[demo.units["parent_code"] == parent, "code"])


def open_app(page: str | None = None, **params: str) -> AppTest:
    """The app at the demo's year and as-of date, on ``page`` (a file under pages/)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"year": str(YEAR), "as_of": AS_OF, **params})
    at.run()
    assert not at.exception, at.exception
    if page is not None:
        at.switch_page(f"../pages/{page}").run()
        assert not at.exception, at.exception
    return at


def card_value(at: AppTest, code: str, lang: str = "zh") -> str:
    """The big number on the overview card of indicator ``code``."""
    md = [m.value for m in at.markdown]
    i = md.index(f"**{registry.get(code).name(lang)}**")
    found = re.search(r"font-size:1.7em;font-weight:600'>([^<]*)<", md[i + 1])
    assert found, md[i + 1]
    return found.group(1)


def frame(at: AppTest, i: int = 0) -> pd.DataFrame:
    return at.dataframe[i].value


# --------------------------------------------------------------------------- overview


def test_overview_shows_the_county_then_a_township(app_env, demo):
    at = open_app()
    assert at.title[0].value == f"{t('page_overview')} · {demo.names[demo.county]}"
    assert card_value(at, "birth_rate") == shown(demo, demo.county, "birth_rate")
    assert card_value(at, "prepregnancy_checks") == shown(demo, demo.county, "prepregnancy_checks")

    # the sidebar's township selectbox
    town = demo.townships[1]
    at.selectbox(key="township").set_value(town).run()
    assert not at.exception
    assert at.title[0].value == f"{t('page_overview')} · {demo.names[town]}"
    assert card_value(at, "birth_rate") == shown(demo, town, "birth_rate")
    assert shown(demo, town, "birth_rate") != shown(demo, demo.county, "birth_rate")
    assert at.query_params["township"] == town


def test_overview_follows_the_township_in_the_url(app_env, demo):
    town = demo.townships[2]
    at = open_app(township=town)
    assert at.title[0].value == f"{t('page_overview')} · {demo.names[town]}"
    assert card_value(at, "birth_rate") == shown(demo, town, "birth_rate")
    assert card_value(at, "policy_compliance_rate") == shown(demo, town, "policy_compliance_rate")


def test_overview_in_english(app_env, demo):
    at = open_app()
    at.button_group(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == f"Overview · {demo.names[demo.county]}"
    assert card_value(at, "birth_rate", "en") == shown(demo, demo.county, "birth_rate")
    assert at.query_params["lang"] == "en"


# --------------------------------------------------------------------------- scorecard


def test_scorecard_has_a_row_per_township_then_per_village(app_env, demo):
    at = open_app("scorecard.py")
    assert at.title[0].value == f"{t('page_scorecard')} · {demo.names[demo.county]}"
    card = frame(at)
    assert len(card) == len(demo.townships)
    by_name = card.set_index(t("unit"))[registry.get("birth_rate").name("zh")]
    for town in demo.townships:
        assert by_name[demo.names[town]] == pytest.approx(value(demo, town, "birth_rate"))

    town = demo.townships[0]
    at.selectbox(key="township").set_value(town).run()
    assert not at.exception
    assert at.title[0].value == f"{t('page_scorecard')} · {demo.names[town]}"
    card = frame(at)
    villages = children(demo, town)
    assert set(card[t("unit")]) == {demo.names[v] for v in villages}
    by_name = card.set_index(t("unit"))[registry.get("policy_compliance_rate").name("zh")]
    for v in villages:
        assert by_name[demo.names[v]] == pytest.approx(value(demo, v, "policy_compliance_rate"))


def test_scorecard_in_english_from_the_url(app_env, demo):
    town = demo.townships[3]
    at = open_app("scorecard.py", lang="en", township=town)
    assert at.title[0].value == f"Scorecard · {demo.names[town]}"
    assert len(frame(at)) == len(children(demo, town))
    assert "Birth rate" in frame(at).columns


# --------------------------------------------------------------------------- unit detail


def _village(demo: SimpleNamespace) -> str:
    """A village whose policy compliance fails its target (the lowest in the county)."""
    rows = demo.table.loc[
        (demo.table["indicator"] == "policy_compliance_rate") & demo.table["level"].isin(["village"])
    ]
    return str(rows.sort_values("value")["unit_code"].iloc[0])


def test_detail_of_a_village_shows_the_engines_numbers(app_env, demo):
    village = _village(demo)
    town = demo.table.loc[demo.table["unit_code"] == village, "parent_code"].iloc[0]
    at = open_app("unit_detail.py", unit=village)
    assert at.title[0].value == f"{t('page_detail')} · {demo.names[village]}"
    assert at.query_params["unit"] == village
    assert f"**{t('level')}**: {level_name('village')}" in [m.value for m in at.markdown]
    assert at.get("page_link")[0].proto.label == demo.names[town]

    table = frame(at).set_index(t("detail_indicator"))
    assert len(table) == len(registry.CODES)
    for code in registry.CODES:
        row = table.loc[registry.get(code).name("zh")]
        assert row[t("value")] == shown(demo, village, code)
        assert row[t("detail_parent_value")] == shown(demo, town, code)
        status = demo.table.loc[
            (demo.table["unit_code"] == village) & (demo.table["indicator"] == code), "verdict"
        ].iloc[0]
        assert row[t("verdict")].startswith(verdict_label(status))
    assert table.loc["政策符合率", t("verdict")].startswith("✘")

    sr = demo.table.loc[
        (demo.table["unit_code"] == village) & (demo.table["indicator"] == "sex_ratio_at_birth")
    ]
    verdict = registry.VERDICT[sr["verdict"].iloc[0]].name("zh")
    sexes = [m.value for m in at.markdown if verdict in m.value and "95%" in m.value]
    assert sexes and shown(demo, village, "sex_ratio_at_birth") in sexes[0]
    assert registry.get("sex_ratio_at_birth").format(sr["ci_low"].iloc[0]) in sexes[0]


def test_detail_of_a_township_lists_its_villages(app_env, demo):
    town = demo.townships[1]
    at = open_app("unit_detail.py", unit=town)
    assert at.title[0].value == f"{t('page_detail')} · {demo.names[town]}"
    villages = frame(at, 1)
    assert set(villages[t("code")]) == children(demo, town)
    peers = frame(at).set_index(t("detail_indicator"))
    assert peers.loc["人口出生率", t("value")] == shown(demo, town, "birth_rate")
    assert peers.loc["人口出生率", t("detail_parent_value")] == shown(demo, demo.county, "birth_rate")
    assert peers.loc["人口出生率", t("detail_peer_rank")].endswith(f"/ {len(demo.townships)}")


def test_detail_follows_a_sidebar_change(app_env, demo):
    village = _village(demo)
    at = open_app("unit_detail.py", unit=village)
    other = next(tw for tw in demo.townships if village not in children(demo, tw))
    at.selectbox(key="township").set_value(other).run()
    assert not at.exception
    assert at.title[0].value == f"{t('page_detail')} · {demo.names[other]}"
    assert at.query_params["unit"] == other
    rows = frame(at).set_index(t("detail_indicator"))
    assert rows.loc["人口出生率", t("value")] == shown(demo, other, "birth_rate")


def test_detail_of_an_unknown_code_warns_and_shows_the_sidebar_unit(app_env, demo):
    at = open_app("unit_detail.py", unit="999999999")
    warning = t("unknown_unit", "zh", param="`unit=999999999`", fallback=demo.names[demo.county])
    assert warning in [w.value for w in at.warning]
    assert at.title[0].value == f"{t('page_detail')} · {demo.names[demo.county]}"
    assert frame(at).set_index(t("detail_indicator")).loc["人口出生率", t("value")] == shown(
        demo, demo.county, "birth_rate"
    )
    assert at.query_params["unit"] == demo.county


def test_detail_in_english(app_env, demo):
    village = _village(demo)
    at = open_app("unit_detail.py", unit=village, lang="en")
    assert at.title[0].value == f"Unit detail · {demo.names[village]}"
    table = frame(at).set_index("Indicator")
    assert table.loc["Birth rate", "Value"] == shown(demo, village, "birth_rate")
    assert table.loc["Policy compliance rate", "Verdict"].startswith("✘ Not met")


# --------------------------------------------------------------------------- a period with nothing in it


def test_a_period_before_the_first_record_says_so_instead_of_showing_zeros(tmp_path, monkeypatch):
    from queries.analytics.lifecycle import ensure_schema
    from tests.factory import County

    url = f"sqlite:///{tmp_path}/first_birth_in_march.sqlite"
    engine = make_engine(url)
    ensure_schema(engine)
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("T", "镇", "township", "C"), ("V", "村", "village", "T")
        )
        c.population(YEAR - 1, "V", 2000)
        c.births("V", 1, "F", date(YEAR, 3, 10))
        c.settle()
    engine.dispose()
    monkeypatch.setenv("POPDASH_DB_URL", url)

    before = open_app(as_of=f"{YEAR}-03-09")
    assert [i.value for i in before.info] == [t("empty_year", year=YEAR, as_of=f"{YEAR}-03-09")]
    assert not before.metric and "**" + registry.get("birth_rate").name("zh") + "**" not in [
        m.value for m in before.markdown
    ]

    on_the_day = open_app(as_of=f"{YEAR}-03-10")
    assert not on_the_day.info
    assert card_value(on_the_day, "birth_rate") == registry.get("birth_rate").format(1 / 2000 * 1000)
