"""The indicator engine against hand-worked values, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
from datetime import date

import pytest

from queries.engine import registry
from queries.engine.indicators import UnknownUnit, compute
from queries.engine.period import PeriodError, make_period
from queries.engine.stats import sex_ratio_significance
from tests.factory import County

SR_BAND = registry.BANDS["sex_ratio_at_birth"]

Y = 2025
JAN, JUN, DEC = date(Y, 1, 1), date(Y, 6, 15), date(Y, 12, 31)


def seed_township(conn) -> County:
    """The seeds' township, split over two villages (figures from indicators.md)."""
    c = County(conn).units(
        ("C", "青川市", "county", None),
        ("T1", "城关镇", "township", "C"),
        ("T2", "河西乡", "township", "C"),
        ("V1", "东村", "village", "T1"),
        ("V2", "西村", "village", "T1"),
        ("V3", "南村", "village", "T2"),
    )
    # V1 has both year-ends: average (29,500 + 30,000) / 2 = 29,750. V2 has only the end of Y.
    c.population(Y - 1, "V1", 29_500, 24_000, eligible=300)
    c.population(Y, "V1", 30_000, 25_000, eligible=320)
    c.population(Y, "V2", 22_746, 15_248, eligible=200)
    c.births("V1", 100, "M", JUN, in_policy=1)
    c.births("V1", 70, "F", JUN, in_policy=1)
    c.births("V1", 20, "F", JUN, in_policy=0)
    c.births("V2", 96, "M", DEC, in_policy=1)  # 31 Dec is inside a full-year period
    c.births("V2", 60, "F", JAN, in_policy=1)
    c.births("V2", 35, "F", JAN, in_policy=0)
    c.births("V2", 5, "M", date(Y - 1, 12, 31))  # last year: never counted
    c.deaths("V1", 150, JUN)
    c.deaths("V2", 151, JUN)
    return c


def rows(conn, root="C", as_of=None, basis="registered"):
    County(conn).settle()
    table = compute(conn, root, make_period(Y, as_of), basis)
    return {(r.unit_code, r.indicator): r for r in table.itertuples()}


def test_seed_township_by_hand(engine):
    with engine.begin() as conn:
        seed_township(conn)
        r = rows(conn)
    sr = r[("T1", "sex_ratio_at_birth")]
    assert (sr.numerator, sr.denominator) == (196, 185)
    assert sr.value == pytest.approx(105.95, abs=0.005)
    assert sr.ci_low == pytest.approx(86.69, abs=0.01)
    assert sr.ci_high == pytest.approx(129.48, abs=0.01)
    assert sr.significance == "chance" and sr.verdict == "no_target"

    pc = r[("T1", "policy_compliance_rate")]
    assert (pc.numerator, pc.denominator) == (326, 381)
    assert pc.value == pytest.approx(85.56, abs=0.005)

    br = r[("T1", "birth_rate")]
    assert (br.numerator, br.denominator) == (381, 52_496)  # 29,750 + 22,746
    assert br.value == pytest.approx(7.2577, abs=1e-4)
    ng = r[("T1", "natural_growth_rate")]
    assert (ng.numerator, ng.denominator) == (80, 52_496)
    assert ng.value == pytest.approx(1.5239, abs=1e-4)

    # The county sums its townships; T2's village has no population and no births.
    assert r[("C", "birth_rate")].numerator == 381
    assert r[("V3", "birth_rate")].status == "no_data"
    assert math.isnan(r[("V3", "birth_rate")].value)


def test_resident_basis_counts_resident_events_over_resident_population(engine):
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("T", "镇", "township", "C"), ("V", "村", "village", "T")
        )
        c.population(Y, "V", 1000, 800)
        c.births("V", 6, "M", JUN, registered=1, resident=1)
        c.births("V", 2, "F", JUN, registered=1, resident=0)  # born to people working away
        c.births("V", 4, "F", JUN, registered=0, resident=1)  # born to migrants living here
        reg = rows(conn)
        res = rows(conn, basis="resident")
    assert reg[("V", "birth_rate")].numerator == 8
    assert reg[("V", "birth_rate")].value == pytest.approx(8.0)
    assert res[("V", "birth_rate")].numerator == 10
    assert res[("V", "birth_rate")].value == pytest.approx(12.5)
    assert (res[("V", "sex_ratio_at_birth")].numerator, res[("V", "sex_ratio_at_birth")].denominator) == (
        6,
        4,
    )
    assert res[("V", "sex_ratio_at_birth")].value == pytest.approx(150.0)


def test_as_of_cuts_the_period_and_rates_are_not_annualised(engine):
    with engine.begin() as conn:
        seed_township(conn)
        r = rows(conn, as_of="2025-06-30")
    # Only the June and January births: 100 + 70 + 20 + 60 + 35 = 285 (the 96 December boys wait).
    br = r[("T1", "birth_rate")]
    assert br.numerator == 285
    assert br.value == pytest.approx(285 / 52_496 * 1000)


def test_checks_count_distinct_couples_with_pace_and_summed_count_targets(engine):
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None),
            ("T", "镇", "township", "C"),
            ("V1", "一村", "village", "T"),
            ("V2", "二村", "village", "T"),
        )
        c.population(Y, "V1", 1000, eligible=50)
        c.population(Y, "V2", 1000, eligible=30)
        for i in range(40):
            c.check("V1", f"k{i}", date(Y, 3, 1))
        c.check("V1", "k0", date(Y, 5, 1))  # the same couple again: still one couple
        c.check("V1", "k99", date(Y, 9, 1))  # after the as-of date
        c.check("V2", "k1", date(Y, 2, 1))
        c.target(Y, "V1", "prepregnancy_checks", 100)
        c.target(Y, "V2", "prepregnancy_checks", 20)
        c.target(Y, "C", "prepregnancy_check_coverage", 90)
        r = rows(conn, as_of="2025-07-01")
    v1 = r[("V1", "prepregnancy_checks")]
    assert v1.value == 40
    assert v1.target == 100 and v1.target_from == "own"
    assert v1.expected == pytest.approx(100 * 182 / 365)  # 1 Jan – 1 Jul is 182 days
    assert v1.pace == "behind" and v1.status == "not_met"
    v2 = r[("V2", "prepregnancy_checks")]
    assert v2.value == 1 and v2.expected == pytest.approx(20 * 182 / 365) and v2.pace == "behind"
    # The township has no count target of its own: it gets its villages' sum, and so does the county.
    t = r[("T", "prepregnancy_checks")]
    assert (t.value, t.target, t.target_from) == (41, 120, "children")
    assert r[("C", "prepregnancy_checks")].target == 120
    cov = r[("T", "prepregnancy_check_coverage")]
    assert (cov.numerator, cov.denominator) == (41, 80)
    assert cov.value == pytest.approx(51.25)
    assert cov.target == 90 and cov.target_from == "inherited" and cov.status == "not_met"


def test_migrant_presence_and_service_coverage(engine):
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("T", "镇", "township", "C"), ("V", "村", "village", "T")
        )
        served = c.migrant("V", date(2023, 5, 1))  # present all year, served in the year
        c.service(served, date(Y, 4, 2))
        old_service = c.migrant("V", date(2023, 5, 1))  # present, served only last year
        c.service(old_service, date(Y - 1, 4, 2))
        left = c.migrant("V", date(2022, 1, 1), departure=date(Y, 2, 1))  # left in the year: present
        c.service(left, date(Y, 1, 20))
        c.migrant("V", date(2022, 1, 1), departure=date(Y - 1, 12, 31))  # gone before the year
        c.migrant("V", date(Y, 11, 1))  # arrives after the as-of date
        late = c.migrant("V", date(Y, 3, 1))  # served after the as-of date only
        c.service(late, date(Y, 10, 1))
        out = c.migrant("V", date(2024, 1, 1), direction="out")
        c.service(out, date(Y, 3, 3))
        c.target(Y, "C", "migrant_service_coverage", 90)
        r = rows(conn, as_of="2025-09-30")
    cov = r[("V", "migrant_service_coverage")]
    assert (cov.numerator, cov.denominator) == (2, 4)
    assert cov.value == pytest.approx(50.0) and cov.status == "not_met"


def test_rate_targets_inherit_from_nearest_ancestor_even_above_the_root(engine):
    with engine.begin() as conn:
        seed_township(conn)
        c = County(conn)
        c.target(Y, "C", "policy_compliance_rate", 92)
        c.target(Y, "T1", "policy_compliance_rate", 99.5)
        c.target(Y, "C", "sex_ratio_at_birth", 110)
        c.target(Y - 1, "C", "birth_rate", 5.5)  # another year: not used
        r = rows(conn, root="T1")
    assert ("C", "birth_rate") not in r  # the county is above this root
    assert r[("T1", "policy_compliance_rate")].target == 99.5
    assert r[("V1", "policy_compliance_rate")].target == 99.5
    assert r[("V1", "policy_compliance_rate")].target_from == "inherited"
    assert r[("V1", "sex_ratio_at_birth")].target == 110
    assert r[("V1", "birth_rate")].status == "no_target"
    v1 = r[("V1", "policy_compliance_rate")]  # 170 of 190
    assert v1.value == pytest.approx(89.47, abs=0.005) and v1.status == "not_met"
    assert r[("V1", "sex_ratio_at_birth")].status == "not_met"  # 100/90 = 111.1 > 110 ...
    assert r[("V1", "sex_ratio_at_birth")].verdict == "within_chance"  # ... but chance explains it


def test_met_rules_follow_direction(engine):
    with engine.begin() as conn:
        seed_township(conn)
        c = County(conn)
        c.target(Y, "C", "birth_rate", 7.3)  # T1 is 7.26: at or below a ceiling meets it
        c.target(Y, "C", "policy_compliance_rate", 85.56)  # T1 85.564 ≥ 85.56 meets a floor
        r = rows(conn)
    assert r[("T1", "birth_rate")].status == "met"
    assert r[("V1", "birth_rate")].value == pytest.approx(6.3866, abs=1e-4)  # 190 / 29,750
    assert r[("V1", "birth_rate")].status == "met"
    assert r[("V2", "birth_rate")].value == pytest.approx(8.3971, abs=1e-4)  # 191 / 22,746
    assert r[("V2", "birth_rate")].status == "not_met"
    assert r[("T1", "policy_compliance_rate")].status == "met"


def test_no_data_is_never_zero_or_infinite(engine):
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("T", "镇", "township", "C"), ("V", "村", "village", "T")
        )
        c.births("V", 3, "M", JUN)  # boys only: the sex ratio is no data, not ∞
        r = rows(conn)
    sr = r[("V", "sex_ratio_at_birth")]
    assert sr.status == "no_data" and math.isnan(sr.value) and sr.verdict == "no_data"
    assert r[("V", "birth_rate")].status == "no_data"  # no population row
    assert r[("V", "info_accuracy_rate")].status == "no_data"
    assert r[("V", "satisfaction_rate")].status == "no_data"
    assert r[("V", "prepregnancy_checks")].value == 0  # a count with nothing done is 0, a real value


def test_reported_indicators_sum_numerators_and_denominators(engine):
    with engine.begin() as conn:
        seed_township(conn)
        c = County(conn)
        c.reported(Y, "V1", "satisfaction_rate", 95, 100)
        c.reported(Y, "V2", "satisfaction_rate", 290, 300)
        c.target(Y, "C", "satisfaction_rate", 95)
        r = rows(conn)
    t1 = r[("T1", "satisfaction_rate")]
    assert (t1.numerator, t1.denominator) == (385, 400)
    assert t1.value == pytest.approx(96.25) and t1.status == "met"  # not the mean of 95 and 96.67
    assert r[("V1", "satisfaction_rate")].status == "met"


def test_population_falls_back_to_last_year_end_when_the_year_is_open(engine):
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("T", "镇", "township", "C"), ("V", "村", "village", "T")
        )
        c.population(Y - 1, "V", 2000)
        c.births("V", 9, "M", JUN)
        r = rows(conn, as_of="2025-06-30")
    assert r[("V", "birth_rate")].denominator == 2000
    assert r[("V", "birth_rate")].value == pytest.approx(4.5)


def test_unknown_root_and_bad_period(engine):
    with engine.begin() as conn:
        seed_township(conn)
        with pytest.raises(UnknownUnit, match="no unit with code 'X9'"):
            compute(conn, "X9", make_period(Y))
    with pytest.raises(PeriodError, match="not in the year 2025"):
        make_period(Y, "2024-05-01")
    with pytest.raises(PeriodError, match="not a YYYY-MM-DD date"):
        make_period(Y, "2025-13-01")


def test_wilson_interval_matches_hand_values():
    lo, hi, verdict = sex_ratio_significance(196, 185, band=SR_BAND)
    assert (round(lo, 2), round(hi, 2), verdict) == (86.69, 129.48, "chance")
    # 600 boys and 450 girls: p = 0.5714, Wilson 95 % [0.5413, 0.6010] → ratio [118.0, 150.6]
    lo, hi, verdict = sex_ratio_significance(600, 450, band=SR_BAND)
    assert lo == pytest.approx(118.0, abs=0.1) and hi == pytest.approx(150.6, abs=0.1)
    assert verdict == "high"
    # 300 boys, 250 girls → [101.48, 141.90]: within chance against 107, but high against a
    # target of 100, which is the lower line.
    assert sex_ratio_significance(300, 250, band=SR_BAND)[2] == "chance"
    assert sex_ratio_significance(300, 250, 100, band=SR_BAND)[2] == "high"
    # Far more girls: significantly low.
    assert sex_ratio_significance(400, 500, band=SR_BAND)[2] == "low"
