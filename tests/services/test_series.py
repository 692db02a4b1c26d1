"""Series, breakdowns and projections against hand-worked values, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queries.engine import registry
from queries.engine.indicators import UnknownUnit, compute
from queries.engine.period import make_period
from queries.engine.stats import sex_ratio_significance
from queries.services.projection import check_rhythms, poisson_sf, project_checks
from queries.services.trends import (
    migrant_flows,
    monthly_births,
    monthly_checks,
    service_mix,
    sex_ratio_pooled,
    trend,
)
from tests.factory import County

SR_BAND = registry.BANDS["sex_ratio_at_birth"]

Y = 2025


def tree(conn) -> County:
    return County(conn).units(
        ("C", "县", "county", None),
        ("T1", "城关镇", "township", "C"),
        ("T2", "河西乡", "township", "C"),
        ("V1", "东村", "village", "T1"),
        ("V2", "西社区", "community", "T1"),
        ("V3", "南村", "village", "T2"),
    )


def by_month(frame, unit, column):
    return frame.loc[frame["unit_code"] == unit, column].tolist()


# --------------------------------------------------------------------------- monthly checks


def seed_checks(c: County) -> None:
    c.check("V1", "a", date(Y, 2, 10))
    c.check("V1", "a", date(Y, 5, 3))  # checked again: counts once, in February
    c.check("V1", "b", date(Y, 3, 1))
    c.check("V1", "e", date(Y - 1, 12, 31))  # last year, and again in January:
    c.check("V1", "e", date(Y, 1, 5))  # first time *this* year is January
    c.check("V2", "c", date(Y, 2, 28))
    c.check("V2", "a", date(Y, 4, 1))  # same couple id in another village: counted there too
    c.check("V3", "d", date(Y, 12, 31))
    c.check("V3", "f", date(Y + 1, 1, 1))  # next year


def test_monthly_checks_count_each_couple_once_in_its_first_month(engine):
    with engine.begin() as conn:
        c = tree(conn)
        seed_checks(c)
        c.settle()
        county = monthly_checks(conn, "C", Y)
        towns = monthly_checks(conn, "C", Y, level="township")
        villages = monthly_checks(conn, "C", Y, level="village")
        engine_counts = compute(conn, "C", make_period(Y), codes=("prepregnancy_checks",))
        t2_only = monthly_checks(conn, "T2", Y, level="community")
    assert list(county.columns) == ["unit_code", "month", "couples", "cumulative"]
    assert county["month"].tolist() == list(range(1, 13))
    #                                   J  F  M  A  M  J  J  A  S  O  N  D
    assert by_month(county, "C", "couples") == [1, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert by_month(county, "C", "cumulative") == [1, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6]
    assert by_month(towns, "T1", "couples") == [1, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert by_month(towns, "T2", "cumulative") == [0] * 11 + [1]
    assert sorted(set(villages["unit_code"])) == ["V1", "V2", "V3"]  # villages and communities
    assert len(villages) == 36  # all twelve months, zeros included
    assert by_month(villages, "V1", "couples") == [1, 1, 1] + [0] * 9
    assert by_month(villages, "V2", "couples") == [0, 1, 0, 1] + [0] * 8
    # Roll-up: a township's months are the sums of its villages'.
    v = villages.assign(town=villages["unit_code"].map({"V1": "T1", "V2": "T1", "V3": "T2"}))
    summed = v.groupby(["town", "month"])["couples"].sum().tolist()
    assert summed == towns.sort_values(["unit_code", "month"])["couples"].tolist()
    # The year's total is the engine's distinct-couple count.
    total = engine_counts.set_index("unit_code")["value"]
    for unit, frame in (("C", county), ("T1", towns), ("T2", towns), ("V2", villages)):
        assert by_month(frame, unit, "cumulative")[-1] == total[unit]
    assert t2_only["unit_code"].unique().tolist() == ["V3"]  # only what the root may see


def test_monthly_checks_of_an_empty_year_and_unknown_root(engine):
    with engine.begin() as conn:
        tree(conn)
        empty = monthly_checks(conn, "T1", Y)
        with pytest.raises(UnknownUnit):
            monthly_checks(conn, "X9", Y)
        with pytest.raises(ValueError, match="level must be one of"):
            monthly_checks(conn, "C", Y, level="province")
    assert empty["couples"].tolist() == [0] * 12 and empty["cumulative"].tolist() == [0] * 12


# --------------------------------------------------------------------------- monthly births


def test_monthly_births_split_by_sex_and_basis(engine):
    with engine.begin() as conn:
        c = tree(conn)
        c.births("V1", 2, "M", date(Y, 1, 3))
        c.births("V1", 1, "F", date(Y, 1, 20), registered=0, resident=1)  # a migrant's baby
        c.births("V2", 3, "F", date(Y, 3, 31), registered=1, resident=0)  # parents work away
        c.births("V3", 1, "M", date(Y, 12, 31))
        c.births("V1", 4, "M", date(Y - 1, 12, 31))  # last year
        reg = monthly_births(conn, "C", Y)
        res = monthly_births(conn, "C", Y, "resident")
        t2 = monthly_births(conn, "T2", Y)
        with pytest.raises(ValueError, match="basis"):
            monthly_births(conn, "C", Y, "hukou")
    assert list(reg.columns) == ["month", "births", "boys", "girls"]
    assert reg["month"].tolist() == list(range(1, 13))
    assert reg["births"].tolist() == [2, 0, 3] + [0] * 8 + [1]
    assert reg["boys"].tolist() == [2] + [0] * 10 + [1]
    assert reg["girls"].tolist() == [0, 0, 3] + [0] * 9
    assert res["births"].tolist() == [3] + [0] * 10 + [1]
    assert (res["boys"][0], res["girls"][0]) == (2, 1)
    assert t2["births"].tolist() == [0] * 11 + [1]


# --------------------------------------------------------------------------- trend


def test_trend_cuts_every_year_at_the_same_day_so_like_is_compared_with_like(engine):
    with engine.begin() as conn:
        c = tree(conn)
        for year in (Y - 2, Y - 1):
            c.population(year, "V1", 1000)
            c.population(year, "V2", 1000)
        c.births("V1", 4, "M", date(Y - 2, 6, 1))
        c.births("V2", 6, "F", date(Y - 1, 11, 1))
        c.births("V1", 3, "M", date(Y, 6, 30))
        c.births("V2", 5, "F", date(Y, 7, 1))  # after the as-of day of the open year
        c.births("V3", 9, "F", date(Y, 1, 1))  # another township
        c.target(Y - 1, "C", "birth_rate", 5.5)
        c.settle()
        t = trend(conn, "T1", [Y - 2, Y - 1, Y], "registered", as_of_month_day=date(Y, 6, 30))
        full = trend(conn, "T1", [Y - 1, Y], "registered")
        as_date = trend(conn, "T1", [Y], "registered", as_of_month_day=date(2024, 6, 30))
    assert list(t.columns[:8]) == [
        "year",
        "indicator",
        "value",
        "target",
        "status",
        "verdict",
        "numerator",
        "denominator",
    ]
    assert len(t) == 3 * len(registry.INDICATORS)
    assert not t.duplicated(["year", "indicator"]).any()
    births = t.loc[t["indicator"] == "birth_rate"].set_index("year")
    # T1 only, every year cut at 30 June: Y - 1's November births are not beside Y's half year.
    assert births["numerator"].to_dict() == {Y - 2: 4, Y - 1: 0, Y: 3}
    assert births.loc[Y - 2, "value"] == pytest.approx(4 / 2000 * 1000)
    assert births.loc[Y - 1, "target"] == 5.5 and births.loc[Y - 1, "verdict"] == "met"
    assert births.loc[Y - 2, "verdict"] == "no_target"
    assert births["as_of"].tolist() == [date(Y - 2, 6, 30), date(Y - 1, 6, 30), date(Y, 6, 30)]
    whole = full.loc[full["indicator"] == "birth_rate"].set_index("year")
    assert whole["numerator"].to_dict() == {Y - 1: 6, Y: 8}
    assert whole["as_of"].tolist() == [date(Y - 1, 12, 31), date(Y, 12, 31)]
    assert as_date.loc[as_date["indicator"] == "birth_rate", "numerator"].item() == 3


# --------------------------------------------------------------------------- projection


def test_poisson_survival_against_hand_values():
    assert poisson_sf(3, 2) == pytest.approx(1 - math.exp(-2) * (1 + 2 + 2), abs=1e-12)
    assert poisson_sf(3, 2) == pytest.approx(0.3233, abs=1e-4)
    assert poisson_sf(1, 1) == pytest.approx(1 - math.exp(-1), abs=1e-12)
    assert poisson_sf(0, 5) == 1.0 and poisson_sf(-4, 5) == 1.0
    assert poisson_sf(1, 0) == 0.0
    assert poisson_sf(2.3, 2) == poisson_sf(3, 2)  # a count reaches 2.3 only by reaching 3
    # Upper tail: P(Poisson(10) ≥ 20) = 0.0034543 (tables); deep tails stay positive.
    assert poisson_sf(20, 10) == pytest.approx(0.0034543, abs=1e-7)
    assert 0 < poisson_sf(90, 15) < 1e-30
    # Lower tail with λ large enough that e^-λ underflows in floats: P(Poisson(900) ≥ 850)
    assert poisson_sf(850, 900) == pytest.approx(0.9548527, abs=1e-7)
    assert poisson_sf(850, 900) == pytest.approx(_poisson_sf_by_sum(850, 900), abs=1e-12)
    # The exact sum and the normal approximation meet at λ = 1000.
    assert poisson_sf(1000, 999.999) == pytest.approx(poisson_sf(1000, 1000.001), abs=0.01)
    assert poisson_sf(1000, 1000.001) == pytest.approx(0.5, abs=0.02)


def _poisson_sf_by_sum(k: int, lam: float) -> float:
    """1 − Σ_{i<k} e^-λ λ^i ÷ i!, summed in 60-digit decimals (no underflow, no cancellation)."""
    with localcontext() as ctx:
        ctx.prec = 60
        lam_d = Decimal(lam)
        term, total = (-lam_d).exp(), Decimal(0)
        for i in range(k):
            total += term
            term = term * lam_d / (i + 1)
        return float(1 - total)


@given(st.integers(0, 60), st.floats(0.01, 40))
def test_poisson_survival_matches_the_plain_sum(k, lam):
    assert poisson_sf(k, lam) == pytest.approx(_poisson_sf_by_sum(k, lam), abs=1e-9)


@given(st.integers(1, 3000), st.floats(1, 2000), st.floats(1, 50))
def test_poisson_survival_is_a_probability_that_falls_with_k(k, lam, step):
    p = poisson_sf(k, lam)
    assert 0.0 <= p <= 1.0
    assert poisson_sf(k + step, lam) <= p + 1e-12


def seed_projection(c: County) -> None:
    """Last year: V1 did 40 of its 100 couples by 30 June (s = 0.4); V2 only 10 couples,
    2 by 30 June, too few for its own rhythm: it takes the county's 42 of 110."""
    for i in range(40):
        c.check("V1", f"p{i}", date(Y - 1, 3, 1))
    for i in range(40, 100):
        c.check("V1", f"p{i}", date(Y - 1, 10, 1))
    c.check("V1", "p0", date(Y - 1, 11, 1))  # rechecked: still one couple of last year
    for i in range(2):
        c.check("V2", f"q{i}", date(Y - 1, 4, 1))
    for i in range(2, 10):
        c.check("V2", f"q{i}", date(Y - 1, 9, 1))
    # This year, by 30 June: V1 50 couples, V2 10, V3 4 (no target).
    for i in range(50):
        c.check("V1", f"n{i}", date(Y, 5, 1))
    for i in range(10):
        c.check("V2", f"r{i}", date(Y, 2, 1))
    for i in range(4):
        c.check("V3", f"s{i}", date(Y, 6, 30))
    c.check("V1", "late", date(Y, 7, 1))  # after the as-of day
    c.target(Y, "V1", "prepregnancy_checks", 100)
    c.target(Y, "V2", "prepregnancy_checks", 100)
    c.settle()


def test_projection_by_pace_and_rhythm_with_a_chance(engine):
    period = make_period(Y, "2025-06-30")  # 181 days of 365
    with engine.begin() as conn:
        seed_projection(tree(conn))
        p = project_checks(conn, "C", period, "village").set_index("unit_code")
        rhythms = check_rhythms(conn, "C", period, "village").set_index("unit_code")
        towns = project_checks(conn, "C", period, "township").set_index("unit_code")
    assert list(p.reset_index().columns) == [
        "unit_code",
        "done",
        "target",
        "expected_now",
        "projected_pace",
        "projected_rhythm",
        "chance_to_meet",
        "will_miss",
    ]
    v1 = p.loc["V1"]
    assert (v1.done, v1.target) == (50, 100)
    assert v1.expected_now == pytest.approx(100 * 181 / 365)
    assert v1.projected_pace == pytest.approx(50 * 365 / 181)  # 100.8
    assert v1.projected_rhythm == pytest.approx(125.0)  # 50 ÷ 0.4
    # λ = 50 × 0.6 ÷ 0.4 = 75 couples still to come; 50 are needed.
    assert v1.chance_to_meet == pytest.approx(poisson_sf(50, 75))
    assert v1.chance_to_meet > 0.99 and not v1.will_miss

    assert rhythms.loc["V1", "source"] == "own" and rhythms.loc["V1", "share"] == pytest.approx(0.4)
    assert rhythms.loc["V2", "source"] == "root"
    assert rhythms.loc["V2", "share"] == pytest.approx(42 / 110)
    assert rhythms.loc["V1", "year"] == Y - 1 and len(rhythms) == 3  # the years before had no checks

    v2 = p.loc["V2"]  # 10 of 100, the county's rhythm: 26 at the year end
    assert v2.projected_rhythm == pytest.approx(10 / (42 / 110))
    lam = 10 * (1 - 42 / 110) / (42 / 110)
    assert v2.chance_to_meet == pytest.approx(poisson_sf(90, lam))
    assert v2.chance_to_meet < 1e-6 and v2.will_miss

    v3 = p.loc["V3"]  # no target: no chance, and not flagged
    assert math.isnan(v3.target) and math.isnan(v3.chance_to_meet) and not v3.will_miss
    assert v3.projected_rhythm == pytest.approx(4 / (42 / 110))

    t1 = towns.loc["T1"]  # the township's task is its villages' sum; its rhythm its own (110 ≥ 30)
    assert (t1.done, t1.target) == (60, 200)
    assert t1.projected_rhythm == pytest.approx(60 / (42 / 110))


def test_projection_chance_averages_the_past_years(engine):
    period = make_period(Y, "2025-06-30")
    with engine.begin() as conn:
        c = County(conn).units(("C", "县", "county", None), ("V", "村", "village", "C"))
        for i in range(100):  # Y-1: 40 % by 30 June
            c.check("V", f"a{i}", date(Y - 1, 5, 1) if i < 40 else date(Y - 1, 9, 1))
        for i in range(100):  # Y-2: 50 % by 30 June
            c.check("V", f"b{i}", date(Y - 2, 6, 30) if i < 50 else date(Y - 2, 7, 1))
        for i in range(100):  # Y-5: too long ago to count
            c.check("V", f"z{i}", date(Y - 5, 12, 1))
        for i in range(50):
            c.check("V", f"n{i}", date(Y, 1, 15))
        c.target(Y, "V", "prepregnancy_checks", 120)
        c.settle()
        v = project_checks(conn, "C", period, "village").set_index("unit_code").loc["V"]
        years = check_rhythms(conn, "C", period, "village")["year"].tolist()
    assert years == [Y - 1, Y - 2]
    assert v.projected_rhythm == pytest.approx(125.0)  # last year's rhythm only
    expected = (poisson_sf(70, 75) + poisson_sf(70, 50)) / 2  # λ = 50·0.6/0.4 and 50·0.5/0.5
    assert v.chance_to_meet == pytest.approx(expected)
    assert 0.3 < v.chance_to_meet < 0.7


def test_projection_without_history_falls_back_to_pace_and_met_targets_are_certain(engine):
    period = make_period(Y, "2025-03-31")  # 90 days
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("V1", "一村", "village", "C"), ("V2", "二村", "village", "C")
        )
        for i in range(30):
            c.check("V1", f"a{i}", date(Y, 2, 1))
        c.check("V2", "b", date(Y, 2, 1))
        c.target(Y, "V1", "prepregnancy_checks", 20)  # already met
        c.target(Y, "V2", "prepregnancy_checks", 5)
        c.settle()
        p = project_checks(conn, "C", period, "village").set_index("unit_code")
    assert p.loc["V1", "projected_rhythm"] == pytest.approx(p.loc["V1", "projected_pace"])
    assert p.loc["V1", "projected_pace"] == pytest.approx(30 * 365 / 90)
    assert p.loc["V1", "chance_to_meet"] == 1.0 and not p.loc["V1", "will_miss"]
    # V2: 1 done in 90 days; by the straight line λ = 1 × 275 ÷ 90 more, 4 needed.
    assert p.loc["V2", "chance_to_meet"] == pytest.approx(poisson_sf(4, 275 / 90))


def test_projection_of_a_full_year_is_what_was_done(engine):
    with engine.begin() as conn:
        seed_projection(tree(conn))
        p = project_checks(conn, "C", make_period(Y), "village").set_index("unit_code")
    assert p["done"].to_dict() == {"V1": 51, "V2": 10, "V3": 4}
    assert (p["projected_pace"] == p["done"]).all()
    assert (p["projected_rhythm"] == p["done"]).all()
    assert p.loc["V1", "chance_to_meet"] == 0.0 and p.loc["V1", "will_miss"]
    assert p.loc["V1", "expected_now"] == 100


# --------------------------------------------------------------------------- migrants


def seed_migrants(c: County) -> dict[str, str]:
    m = {
        "m1": c.migrant("V1", date(Y - 1, 5, 1)),
        "m2": c.migrant("V3", date(Y, 2, 1)),
        "m3": c.migrant("V1", date(Y - 1, 1, 1), direction="out"),
        "m4": c.migrant("V1", date(Y, 3, 1)),  # present, never served
        "m5": c.migrant("V2", date(Y - 2, 1, 1), departure=date(Y - 1, 6, 1)),  # gone before the year
    }
    c.service(m["m1"], date(Y, 3, 2), "file")
    c.service(m["m1"], date(Y, 4, 2), "file")  # the same migrant twice
    c.service(m["m1"], date(Y, 3, 9), "contraception")
    c.service(m["m2"], date(Y, 5, 5), "file")
    c.service(m["m3"], date(Y, 2, 2), "contraception")  # outflow migrants are served too
    c.service(m["m1"], date(Y - 1, 12, 1), "checkup")  # last year
    c.service(m["m2"], date(Y, 10, 1), "checkup")  # after the as-of day
    c.service(m["m5"], date(Y - 1, 5, 1), "file")
    c.settle()
    return m


def test_migrant_flows_per_unit_from_the_engine_measures(engine):
    period = make_period(Y, "2025-09-30")
    with engine.begin() as conn:
        seed_migrants(tree(conn))
        villages = migrant_flows(conn, "C", period, "village").set_index("unit_code")
        towns = migrant_flows(conn, "C", period, "township").set_index("unit_code")
        engine_rows = compute(conn, "C", period, codes=("migrant_service_coverage",)).set_index("unit_code")
    assert list(villages.reset_index().columns) == [
        "unit_code",
        "inflow_present",
        "inflow_served",
        "outflow_present",
        "coverage",
    ]
    assert villages.loc["V1"].tolist() == [2, 1, 1, 50.0]
    assert villages.loc["V2", ["inflow_present", "inflow_served", "outflow_present"]].tolist() == [0, 0, 0]
    assert math.isnan(villages.loc["V2", "coverage"])  # no inflow: no data, not 0
    assert villages.loc["V3"].tolist() == [1, 1, 0, 100.0]
    assert towns.loc["T1"].tolist() == [2, 1, 1, 50.0]
    for unit in ("V1", "T1", "T2"):
        frame = villages if unit.startswith("V") else towns
        assert frame.loc[unit, "coverage"] == pytest.approx(engine_rows.loc[unit, "value"])


def test_service_mix_counts_services_and_distinct_migrants(engine):
    period = make_period(Y, "2025-09-30")
    with engine.begin() as conn:
        seed_migrants(tree(conn))
        county = service_mix(conn, "C", period)
        t1 = service_mix(conn, "T1", period)
        full_year = service_mix(conn, "C", make_period(Y))
    assert list(county.columns) == ["service", "services", "migrants"]
    assert county.values.tolist() == [["file", 3, 2], ["contraception", 2, 2]]
    assert t1.set_index("service").loc["file"].tolist() == [2, 1]
    assert t1.set_index("service").loc["contraception"].tolist() == [2, 2]
    assert full_year.set_index("service").loc["checkup"].tolist() == [1, 1]


# --------------------------------------------------------------------------- pooled sex ratio


def test_pooled_sex_ratio_sums_the_years(engine):
    with engine.begin() as conn:
        c = tree(conn)
        c.births("V1", 5, "M", date(Y - 2, 3, 1))
        c.births("V1", 5, "F", date(Y - 2, 3, 1))
        c.births("V1", 6, "M", date(Y - 1, 3, 1))
        c.births("V1", 4, "F", date(Y - 1, 3, 1))
        c.births("V1", 3, "M", date(Y, 1, 1))
        c.births("V1", 2, "F", date(Y, 6, 30))
        c.births("V1", 10, "M", date(Y, 8, 1))  # after the as-of day
        c.births("V1", 7, "M", date(Y - 3, 12, 31))  # before the first year
        c.births("V1", 2, "F", date(Y - 1, 3, 1), registered=0, resident=1)  # other basis
        c.births("V3", 3, "M", date(Y - 1, 3, 1))  # boys only: no data
        c.target(Y, "C", "sex_ratio_at_birth", 110)
        c.target(Y - 1, "C", "sex_ratio_at_birth", 100)  # not the last year: not used
        c.settle()
        years = [Y - 2, Y - 1, Y]
        pooled = sex_ratio_pooled(conn, "C", years, "registered", "village", as_of=date(Y, 6, 30))
        whole = sex_ratio_pooled(conn, "C", years, "registered", "township")
        resident = sex_ratio_pooled(conn, "C", years, "resident", "village", as_of=date(Y, 6, 30))
        per_year = [compute(conn, "C", make_period(y, date(Y, 6, 30) if y == Y else None)) for y in years]
    v1 = pooled.set_index("unit_code").loc["V1"]
    assert (v1.boys, v1.girls, v1.births) == (14, 11, 25)
    sr = [t.set_index(["unit_code", "indicator"]).loc[("V1", "sex_ratio_at_birth")] for t in per_year]
    assert v1.boys == sum(r.numerator for r in sr) and v1.girls == sum(r.denominator for r in sr)
    assert v1.value == pytest.approx(14 / 11 * 100)
    lo, hi, significance = sex_ratio_significance(14, 11, 110, band=SR_BAND)
    assert (v1.target, v1.ci_low, v1.ci_high, v1.significance) == (
        110,
        pytest.approx(lo),
        pytest.approx(hi),
        significance,
    )
    assert v1.significance == "chance" and v1.verdict == "within_chance"  # 127 > 110 on 25 births
    v3 = pooled.set_index("unit_code").loc["V3"]
    assert (v3.boys, v3.girls) == (3, 0) and math.isnan(v3.value) and v3.verdict == "no_data"
    assert pooled.set_index("unit_code").loc["V2", "births"] == 0
    assert whole.set_index("unit_code").loc["T1", "boys"] == 24  # to 31 Dec: the August boys too
    assert resident.set_index("unit_code").loc["V1", "girls"] == 13
    assert list(pooled.columns) == [
        "unit_code",
        "boys",
        "girls",
        "births",
        "value",
        "target",
        "ci_low",
        "ci_high",
        "status",
        "significance",
        "verdict",
    ]
