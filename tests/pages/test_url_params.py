"""Any link renders a page: random query parameters on every page, through Streamlit's
AppTest. No exception and no error box; every value the page does not use is named in a
note on the page; every value it uses is not; the sidebar's URL afterwards holds only codes.

Which values are good is decided here, from the demo county, independently of the app."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from queries.engine import registry
from queries.engine.indicators import county_code
from queries.engine.registry import BASES
from queries.services import catalogue
from queries.services.assessment import LEVELS as AS_LEVELS
from queries.store.db import make_engine

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
YEAR, AS_OF = 2025, "2025-11-15"
SIDEBAR = ("lang", "year", "as_of", "basis", "township", "village")
PAGES = {  # page → the parameters it reads besides the sidebar's
    "overview.py": (),
    "scorecard.py": ("indicator", "failing"),
    "checks.py": (),
    "migrants.py": (),
    "map.py": ("map_indicator", "map_level", "map_pooled"),
    "unit_detail.py": ("unit",),
    "assessment.py": ("as_level",),
    "targets.py": (),
    "data_import.py": (),
}
# Stand-ins for the demo's codes, known only once it is built.
COUNTY, TOWN, VILLAGE, OTHER_VILLAGE = "@county", "@township", "@village", "@other_village"
SHOWN = 40  # characters of a value a note must show


@pytest.fixture(scope="module")
def demo(demo_db_url: str) -> SimpleNamespace:
    engine = make_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            county = county_code(conn)
            units = catalogue.units_frame(conn)
            years = catalogue.years(conn)
    finally:
        engine.dispose()
    towns = sorted(units.loc[units["level"] == "township", "code"])
    villages = units[units["level"].isin(["village", "community"])]
    village = villages.loc[villages["parent_code"] == towns[0], "code"].iloc[0]
    other = villages.loc[villages["parent_code"] == towns[1], "code"].iloc[0]
    return SimpleNamespace(
        county=county,
        towns=set(towns),
        parent=dict(zip(villages["code"], villages["parent_code"], strict=True)),
        codes=set(units["code"]),
        years={str(y) for y in years},
        tokens={COUNTY: county, TOWN: towns[0], VILLAGE: village, OTHER_VILLAGE: other},
    )


def good(key: str, raw: str, params: dict[str, str], demo: SimpleNamespace) -> bool:
    """Whether the page should use ``raw`` for ``key``, given the other parameters."""
    if raw == "":  # an empty value is no value
        return True
    if key == "lang":
        return raw in ("zh", "en")
    if key == "year":
        return raw in demo.years
    if key == "as_of":
        year = (
            int(params["year"])
            if good("year", params.get("year", ""), params, demo) and params.get("year")
            else YEAR
        )
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return False
        return day.isoformat() == raw and day.year == year
    if key == "basis":
        return raw in BASES
    if key == "township":
        return raw in demo.towns or raw == demo.county
    if key == "village":
        town = params.get("township", "")
        # a village named with another township is a contradiction; the county is no township
        return raw in demo.parent and (town not in demo.towns or demo.parent[raw] == town)
    if key in ("indicator", "map_indicator"):
        return raw in registry.BY_CODE
    if key in ("failing", "map_pooled"):
        return raw in ("1", "0")
    if key == "map_level":
        return raw in ("township", "village")
    if key == "as_level":
        return raw in AS_LEVELS
    if key == "unit":
        return raw in demo.codes
    raise AssertionError(key)


GARBAGE = st.one_of(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60),
    st.sampled_from(
        [
            "9" * 5000,
            "全县（市）",
            "Whole county",
            "澄川市",
            "02025",
            "2025 ",
            "20251115",
            "2025-02-30",
            "**bold**",
            "<b>x</b>",
            "$x^2$",
            ":red[x]",
            "`",
            "a``b",
            "%E5%85%A8",
            "a+b&c=d",
            "-1",
            "None",
            "registered ",
        ]
    ),
)
CHOICES = {  # good values, then the codes of other parameters
    "lang": ["zh", "en"],
    "year": ["2025", "2024", "2023"],
    "as_of": ["2025-11-15", "2025-01-01", "2025-12-31", "2024-06-30"],
    "basis": list(BASES),
    "township": [COUNTY, TOWN, VILLAGE],
    "village": [VILLAGE, OTHER_VILLAGE, TOWN, COUNTY],
    "indicator": list(registry.CODES),
    "failing": ["1", "0"],
    "map_indicator": ["sex_ratio_at_birth", "birth_rate"],
    "map_level": ["township", "village"],
    "map_pooled": ["1", "0"],
    "as_level": list(AS_LEVELS),
    "unit": [COUNTY, TOWN, VILLAGE],
}


@st.composite
def links(draw) -> tuple[str, dict[str, str]]:
    page = draw(st.sampled_from(sorted(PAGES)))
    keys = SIDEBAR + PAGES[page]
    values = {k: st.one_of(st.sampled_from(CHOICES[k]), GARBAGE) for k in keys}
    params = draw(st.fixed_dictionaries({}, optional=values))
    return page, params


def note_texts(at: AppTest) -> list[str]:
    return [w.value for w in at.warning] + [c.value for c in at.caption]


TITLES = {  # each page's title (its name, then the unit's)
    "overview.py": "page_overview",
    "scorecard.py": "page_scorecard",
    "checks.py": "page_checks",
    "migrants.py": "page_migrants",
    "unit_detail.py": "page_detail",
    "map.py": "page_map",
    "assessment.py": "page_assessment",
    "targets.py": "page_targets",
    "data_import.py": "page_import",
}


def check_link(page: str, params: dict[str, str], demo: SimpleNamespace) -> None:
    params = {k: demo.tokens.get(v, v) for k, v in params.items()}
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": str(YEAR), "as_of": AS_OF})
    at.run()  # pages can be switched to only after a first run
    assert not at.exception, at.exception
    at.query_params.clear()
    at.query_params.update(params)
    at.switch_page(f"../pages/{page}").run()

    assert not at.exception, at.exception
    failures = [t("internal_error", lang, ref="\0").split("\0")[0] for lang in ("zh", "en")]
    assert not [e.value for e in at.error if e.value.startswith(tuple(failures))]
    lang = params["lang"] if params.get("lang") in ("zh", "en") else "zh"
    assert at.title[0].value.startswith(t(TITLES[page], lang)), "the page shows its title"
    notes = note_texts(at)
    for key, raw in params.items():
        if good(key, raw, params, demo):
            assert not [n for n in notes if re.search(rf"[` ]{key}=", n)], (key, raw, notes)
        else:
            assert [n for n in notes if f"{key}={raw[:SHOWN]}" in n], (key, raw[:80], notes)
    for key in SIDEBAR:  # what the sidebar wrote back is codes only
        if key in at.query_params:
            assert good(key, at.query_params[key], dict(at.query_params), demo), (key, at.query_params[key])


@pytest.mark.parametrize(
    "page, params",
    [
        ("overview.py", {"township": COUNTY}),
        ("targets.py", {"township": COUNTY}),
        ("overview.py", {"village": VILLAGE}),
        ("checks.py", {"year": "9" * 5000}),
        ("overview.py", {"township": "全县（市）"}),
        ("scorecard.py", {"year": "2025", "as_of": "2024-06-30"}),
        ("migrants.py", {"basis": "bogus"}),
        ("scorecard.py", {"indicator": "bogus", "failing": "yes"}),
        ("map.py", {"map_indicator": "bogus", "map_level": "county", "map_pooled": "2"}),
        ("assessment.py", {"as_level": "bogus"}),
        ("unit_detail.py", {"unit": "全县（市）"}),
        ("overview.py", {"township": TOWN, "village": OTHER_VILLAGE}),
        ("targets.py", {"township": COUNTY, "village": VILLAGE, "lang": "en"}),
    ],
)
def test_named_bad_links(app_env, demo, page, params):
    check_link(page, params, demo)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(link=links())
@example(link=("overview.py", {"township": COUNTY}))
@example(link=("overview.py", {"village": VILLAGE}))
@example(link=("overview.py", {"year": "9" * 5000}))
@example(link=("overview.py", {"township": "全县（市）"}))
@example(link=("overview.py", {"as_of": "2024-06-30"}))
@example(link=("overview.py", {"basis": "bogus"}))
@example(link=("scorecard.py", {"indicator": "bogus"}))
@example(link=("map.py", {"map_indicator": "bogus", "map_level": "bogus", "map_pooled": "bogus"}))
def test_any_link_renders_a_page_naming_what_it_ignored(app_env, demo, link):
    check_link(*link, demo)


def test_a_village_without_its_township_opens_the_village(app_env, demo):
    village = demo.tokens[VILLAGE]
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": str(YEAR), "as_of": AS_OF, "village": village})
    at.run()
    assert not at.exception
    assert at.query_params["township"] == demo.parent[village]
    assert at.query_params["village"] == village
    assert at.sidebar.selectbox(key="village").value == village


def test_the_countys_own_code_is_the_whole_county(app_env, demo):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": str(YEAR), "as_of": AS_OF, "township": demo.county})
    at.run()
    assert not at.exception and not at.warning
    assert "township" not in at.query_params
    assert at.sidebar.selectbox(key="township").value == ""
