"""The demo county: deterministic, in the interchange format, realistic where it matters.

Figures are checked by hand arithmetic on the frames (pandas), not through the engine, so
a bug in one cannot hide a bug in the other.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from queries.demo.county import COLUMNS, COUNTY_CODE, build_demo, write_csv
from queries.engine import registry
from queries.engine.registry import REPORTED_CODES
from queries.engine.stats import sex_ratio_significance
from queries.store import schema

SR_BAND = registry.BANDS["sex_ratio_at_birth"]

SMALL = dict(villages=30, communities=2, townships=3, years=3)
UNTIL = date(2025, 6, 30)  # the full-size demo covers 2021 to mid-2025
LAST_FULL = 2024


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    return build_demo(seed=7, until=UNTIL, **SMALL)


@pytest.fixture(scope="module")
def full() -> dict[str, pd.DataFrame]:
    return build_demo(until=UNTIL)


def _township(codes: pd.Series) -> pd.Series:
    return codes.str[:9]


def test_same_seed_same_frames(small):
    again = build_demo(seed=7, until=UNTIL, **SMALL)
    assert small.keys() == again.keys()
    for name in small:
        pd.testing.assert_frame_equal(small[name], again[name], obj=name)


def test_other_seed_other_frames(small):
    other = build_demo(seed=8, until=UNTIL, **SMALL)
    assert not small["births"].equals(other["births"])
    assert not small["units"].equals(other["units"])


def test_a_later_until_keeps_every_earlier_record(small):
    later = build_demo(seed=7, until=date(2025, 9, 30), **SMALL)
    for name, key in [
        ("births", "birth_id"),
        ("prepregnancy_checks", "check_id"),
        ("migrant_services", "service_id"),
    ]:
        before = small[name].set_index(key)
        after = later[name].set_index(key).loc[before.index]
        pd.testing.assert_frame_equal(before, after, obj=name)
        assert len(later[name]) > len(small[name])


def test_columns_are_exactly_the_interchange_columns(small):
    assert set(small) == {t.name for t in schema.DATA_TABLES}
    for name, frame in small.items():
        assert list(frame.columns) == COLUMNS[name]
        assert list(frame.columns) == [c.name for c in schema.metadata.tables[name].columns], name


def test_ids_are_unique_and_services_refer_to_migrants(small):
    for name, key in [
        ("units", "code"),
        ("births", "birth_id"),
        ("deaths", "death_id"),
        ("prepregnancy_checks", "check_id"),
        ("migrants", "migrant_id"),
        ("migrant_services", "service_id"),
    ]:
        assert small[name][key].is_unique, name
    assert small["migrant_services"]["migrant_id"].isin(small["migrants"]["migrant_id"]).all()
    for name in ("population", "targets", "reported"):
        keys = ["year", "unit_code"] + (["indicator"] if name != "population" else [])
        assert not small[name].duplicated(keys).any(), name


def test_nothing_happens_after_until(small):
    cut = pd.Timestamp(UNTIL)
    for name, column in [
        ("births", "birth_date"),
        ("deaths", "death_date"),
        ("prepregnancy_checks", "check_date"),
        ("migrants", "arrival_date"),
        ("migrant_services", "service_date"),
    ]:
        dates = pd.to_datetime(small[name][column])
        assert dates.max() <= cut, name
        assert dates.max() >= cut - pd.Timedelta(days=10), name  # and the year so far is there
    mig = small["migrants"]
    left = mig["departure_date"].notna()
    assert (mig.loc[left, "departure_date"] <= cut).all()
    assert (mig.loc[left, "departure_date"] >= mig.loc[left, "arrival_date"]).all()
    assert (~left).sum() > 0 and left.sum() > 0
    served = small["migrant_services"].merge(mig, on="migrant_id")
    assert (served["service_date"] >= served["arrival_date"]).all()
    assert (served["departure_date"].isna() | (served["service_date"] <= served["departure_date"])).all()


def test_year_end_population_only_for_years_that_are_over(small):
    assert sorted(small["population"]["year"].unique()) == [2022, 2023, 2024]  # 2023-2025 and the year before
    assert sorted(small["births"]["birth_date"].dt.year.unique()) == [2023, 2024, 2025]
    year_end = build_demo(seed=7, until=date(2024, 12, 31), **SMALL)
    assert sorted(year_end["population"]["year"].unique()) == [2021, 2022, 2023, 2024]


def test_data_rows_only_on_villages_and_communities(small):
    units = small["units"]
    data_units = set(units.loc[units["level"].isin(["village", "community"]), "code"])
    for name in ("population", "births", "deaths", "prepregnancy_checks", "migrants", "reported"):
        assert set(small[name]["unit_code"]) <= data_units, name
    assert set(small["targets"]["unit_code"]) <= set(units["code"])
    assert set(small["reported"]["indicator"]) == set(REPORTED_CODES)
    rep = small["reported"]
    assert (rep["numerator"] <= rep["denominator"]).all() and (rep["numerator"] >= 0).all()


def test_default_county_shape(full):
    units = full["units"]
    assert (units["level"] == "county").sum() == 1
    assert units.loc[units["level"] == "county", "code"].item() == COUNTY_CODE
    towns = units[units["level"] == "township"]
    assert len(towns) == 15
    assert (units["level"] == "village").sum() == 388
    assert (units["level"] == "community").sum() == 12
    below = units[units["level"].isin(["village", "community"])]
    assert below["parent_code"].isin(towns["code"]).all()
    assert (towns["parent_code"] == COUNTY_CODE).all()
    assert not below.duplicated(["parent_code", "name"]).any()
    assert below["name"].str.endswith("村").eq(below["level"] == "village").all()
    streets = set(towns.loc[towns["name"].str.endswith("街道"), "code"])
    assert set(below.loc[below["level"] == "community", "parent_code"]) <= streets
    assert units["code"].str.startswith(COUNTY_CODE).all()


def test_population_is_plausible(full):
    pop = full["population"]
    last = pop[pop["year"] == LAST_FULL]
    assert last["registered_population"].between(1800, 7500).all()
    assert 3000 < last["registered_population"].mean() < 4200
    share = last["resident_population"].sum() / last["registered_population"].sum()
    assert 0.75 < share < 0.95
    women = last["women_15_49"] / last["registered_population"]
    assert women.between(0.2, 0.28).all()
    assert (last["married_women_15_49"] < last["women_15_49"]).all()


def test_county_birth_rate_and_compliance_of_a_full_year(full):
    pop = full["population"].groupby("year")["registered_population"].sum()
    average = (pop[LAST_FULL - 1] + pop[LAST_FULL]) / 2
    births = full["births"]
    year = births[(births["birth_date"].dt.year == LAST_FULL) & (births["registered"] == 1)]
    rate = len(year) / average * 1000
    assert 5 <= rate <= 9
    compliance = year["in_policy"].mean() * 100
    assert 85 <= compliance <= 99.9
    deaths = full["deaths"]
    died = deaths[(deaths["death_date"].dt.year == LAST_FULL) & (deaths["registered"] == 1)]
    assert 5 <= len(died) / average * 1000 <= 7
    assert 0 <= (len(year) - len(died)) / average * 1000 <= 3.2
    orders = year["birth_order"].value_counts(normalize=True)
    assert 0.5 < orders[1] < 0.6 and 0.35 < orders[2] < 0.45


def _boys_girls(births: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    return births.groupby([by, "sex"]).size().unstack(fill_value=0).reindex(columns=["M", "F"], fill_value=0)


def test_a_few_townships_are_truly_high(full):
    births = full["births"][full["births"]["registered"] == 1]
    counts = _boys_girls(births, _township(births["unit_code"]))
    _, _, verdict = sex_ratio_significance(counts["M"].to_numpy(), counts["F"].to_numpy(), band=SR_BAND)
    high = counts.index[verdict == "high"]
    assert 2 <= len(high) <= 5
    ratio = counts["M"] / counts["F"] * 100
    assert ratio[high].min() > 115
    assert ratio.drop(high).between(95, 115).all()  # the others are near normal


def test_villages_look_high_by_chance(full):
    births = full["births"]
    births = births[(births["registered"] == 1) & (births["birth_date"].dt.year == LAST_FULL)]
    counts = _boys_girls(births, births["unit_code"])
    _, _, verdict = sex_ratio_significance(counts["M"].to_numpy(), counts["F"].to_numpy(), band=SR_BAND)
    with np.errstate(divide="ignore"):
        ratio = counts["M"] / counts["F"] * 100
    assert ((ratio > 115) & (verdict == "chance")).sum() >= 10
    assert counts.sum(axis=1).median() > 10  # villages see 10-40 births a year


def test_check_targets_add_up(full):
    tg = full["targets"]
    checks = tg[(tg["indicator"] == "prepregnancy_checks") & (tg["year"] == LAST_FULL)].set_index("unit_code")
    assert checks.loc[COUNTY_CODE, "target"] == 4900
    villages = checks[checks.index.str.len() > 9]
    towns = checks[checks.index.str.len() == 9]
    assert len(villages) == 400
    assert 1 <= 15 - len(towns) <= 3  # a couple of townships leave it to their villages
    summed = villages.groupby(villages.index.str[:9])["target"].sum()
    diff = (summed.loc[towns.index] - towns["target"]).abs()
    assert (diff <= 3).all()
    assert abs(villages["target"].sum() - 4900) <= 3
    # completion for a past year: distinct couples, 80-110 % of the task for the county
    done = full["prepregnancy_checks"]
    done = done[done["check_date"].dt.year == LAST_FULL]
    couples = done.drop_duplicates(["unit_code", "couple_id"])
    assert len(couples) < len(done)  # some couples were checked twice
    assert 0.8 <= len(couples) / 4900 <= 1.1


def test_rate_targets_are_inherited_from_the_county_and_some_townships_are_stricter(full):
    tg = full["targets"]
    year = tg[tg["year"] == LAST_FULL]
    county = year[year["unit_code"] == COUNTY_CODE].set_index("indicator")["target"]
    assert county["birth_rate"] == 5.5 and county["natural_growth_rate"] == 3.2
    assert set(county.index) >= {"sex_ratio_at_birth", "migrant_service_coverage", *REPORTED_CODES}
    strict = year[(year["indicator"] == "policy_compliance_rate") & (year["unit_code"] != COUNTY_CODE)]
    assert len(strict) >= 2 and (strict["target"] >= 99).all()


def test_migrant_service_coverage_per_unit(full):
    mig = full["migrants"]
    start, end = pd.Timestamp(LAST_FULL, 1, 1), pd.Timestamp(LAST_FULL, 12, 31)
    present = mig[
        (mig["direction"] == "in")
        & (mig["arrival_date"] <= end)
        & (mig["departure_date"].isna() | (mig["departure_date"] >= start))
    ]
    sv = full["migrant_services"]
    sv = sv[sv["service_date"].between(start, end)]
    served = present["migrant_id"].isin(sv["migrant_id"])
    by_unit = served.groupby(present["unit_code"]).mean()
    assert 0.85 <= served.mean() <= 0.95
    assert by_unit.median() > 0.85
    assert (by_unit < 0.8).sum() >= 3  # a few laggards
    assert set(sv["service"]) == {"file", "certificate", "contraception", "education", "checkup"}


def test_write_csv(small, tmp_path):
    write_csv(small, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.csv" for n in small)
    mig = pd.read_csv(tmp_path / "migrants.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(mig.columns) == COLUMNS["migrants"]
    assert mig["arrival_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (mig["departure_date"] == "").any()
    assert mig["departure_date"].str.fullmatch(r"(\d{4}-\d{2}-\d{2})?").all()
    units = pd.read_csv(tmp_path / "units.csv", dtype=str, keep_default_na=False)
    assert units.loc[units["level"] == "county", "parent_code"].item() == ""


def test_create_demo_imports_into_sqlite(tmp_path):
    pytest.importorskip("queries.ingest.load")
    from sqlalchemy import func, select

    from queries.demo.county import create_demo
    from queries.engine.indicators import compute
    from queries.engine.period import make_period
    from queries.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    report = create_demo(engine, seed=3, until=UNTIL, **SMALL)
    frames = build_demo(seed=3, until=UNTIL, **SMALL)
    assert report.total == sum(len(f) for f in frames.values())
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.births)).scalar() == len(frames["births"])
        result = compute(conn, COUNTY_CODE, make_period(LAST_FULL))
    county = result[result["unit_code"] == COUNTY_CODE].set_index("indicator")
    assert 4 <= county.loc["birth_rate", "value"] <= 10
    assert county.loc["prepregnancy_checks", "target"] > 0
    # importing the same demo again changes nothing
    create_demo(engine, seed=3, until=UNTIL, **SMALL)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.births)).scalar() == len(frames["births"])
