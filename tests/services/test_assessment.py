"""The year-end assessment (queries.services.assessment) on hand-worked examples, on SQLite and
PostgreSQL alike, and the rules file's checks (each refusal names its line)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.services.assessment import (
    DEFAULT_RULES_PATH,
    Rules,
    RulesError,
    assess,
    assessment_summary,
    load_rules,
    parse_rules,
)
from tests.factory import County

Y = 2024
MAR, JUN = date(Y, 3, 1), date(Y, 6, 15)

# Township: policy compliance 10 points and a veto (so a vetoed unit can out-score others),
# the birth rate 40 points in proportion (floor 0.8), the check task 50 points (floor 0.6).
# Village: policy compliance 100 points and a veto; the sex ratio 10 points and a veto.
RULES = """
[township.policy_compliance_rate]
points = 10
scoring = "met_or_nothing"
veto = true

[township.birth_rate]
points = 40
scoring = "proportional"
floor = 0.8

[township.prepregnancy_checks]
points = 50
scoring = "proportional"
floor = 0.6

[village.policy_compliance_rate]
points = 100
veto = true

[village.sex_ratio_at_birth]
points = 10
veto = true
"""


@pytest.fixture
def rules() -> Rules:
    return parse_rules(RULES, "test.toml")


def _village(c: County, v: str, pop: int, births: int, in_policy: int, checks: int, year: int, day: date):
    """``births`` births (half boys, the odd one a girl), ``in_policy`` of them in policy,
    ``checks`` couples checked; the population the same at both year-ends."""
    for y in (year - 1, year):
        c.population(y, v, pop)
    boys = births // 2
    out = births - in_policy
    c.births(v, boys, "M", day, in_policy=1)
    c.births(v, births - boys - out, "F", day, in_policy=1)
    c.births(v, out, "F", day, in_policy=0)
    for i in range(checks):
        c.check(v, f"{v}-{year}-{i}", day)


def five_townships(conn) -> County:
    """Five townships of one village each; every figure below is worked by hand.

    2024 (targets: policy ≥ 90 %, birth rate ≤ 10 ‰; check tasks per township):
      T1 births 10/1000 = 10 ‰ (met exactly), 10/10 in policy, checks 20 of 20  → 10 + 40 + 50 = 100
      T2 births 10/1000, 8/10 in policy (80 % < 90: veto), checks 10 of 10     →  0 + 40 + 50 =  90, vetoed
      T3 births 10/800 = 12.5 ‰: achievement 10/12.5 = 0.8 (at the floor) → 32; checks 6 of 10 = 0.6
         (at the floor) → 30; policy met → 10                                  → 72
      T4 births 13/1000 = 13 ‰: 10/13 = 0.77 (below the floor) → 0; checks 5 of 10 = 0.5 → 0; policy 10 → 10
      T5 the same as T3                                                         → 72 (a tie with T3)
    2023 (no check tasks: the indicator is not counted, maximum 50; T4 alone has one, met):
      T1 8/10 in policy → vetoed; T2, T3, T5 → 50 each; T4 → 100.
    """
    c = County(conn).units(
        ("C", "县", "county", None),
        *[(f"T{i}", f"乡{i}", "township", "C") for i in range(1, 6)],
        *[(f"V{i}", f"村{i}", "village", f"T{i}") for i in range(1, 6)],
    )
    for year in (Y - 1, Y):
        c.target(year, "C", "policy_compliance_rate", 90.0)
        c.target(year, "C", "birth_rate", 10.0)
    for t, task in {"T1": 20, "T2": 10, "T3": 10, "T4": 10, "T5": 10}.items():
        c.target(Y, t, "prepregnancy_checks", task)
    c.target(Y - 1, "T4", "prepregnancy_checks", 10)

    _village(c, "V1", 1000, 10, 10, 20, Y, MAR)
    _village(c, "V2", 1000, 10, 8, 10, Y, MAR)
    _village(c, "V3", 800, 10, 10, 6, Y, MAR)
    _village(c, "V4", 1000, 13, 13, 5, Y, MAR)
    _village(c, "V5", 800, 10, 10, 6, Y, MAR)

    last = date(Y - 1, 5, 1)
    c.population(Y - 2, "V1", 1000)  # the 2023 averages need the end of 2022
    for v, pop in {"V2": 1000, "V3": 800, "V4": 1000, "V5": 800}.items():
        c.population(Y - 2, v, pop)
    for v, births, in_policy in (("V1", 10, 8), ("V2", 10, 10), ("V3", 8, 8), ("V4", 10, 10), ("V5", 8, 8)):
        boys = births // 2
        c.births(v, boys, "M", last, in_policy=1)
        c.births(v, births - boys - (births - in_policy), "F", last, in_policy=1)
        c.births(v, births - in_policy, "F", last, in_policy=0)
    for i in range(10):
        c.check("V4", f"V4-last-{i}", last)
    return c.settle()


def _by_unit(frame):
    return frame.set_index("unit_code")


def test_scores_worked_by_hand(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
    f = _by_unit(frame)
    assert f["total"].to_dict() == pytest.approx({"T1": 100, "T2": 90, "T3": 72, "T4": 10, "T5": 72})
    assert set(f["max_points"]) == {100.0}
    assert rules.max_points("township") == 100


def test_meeting_everything_gets_max_points(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
    top = _by_unit(frame).loc["T1"]
    assert top["total"] == top["max_points"] == 100
    assert top["rank"] == 1 and not top["vetoed"] and top["veto_by"] == ""
    for code in ("policy_compliance_rate", "birth_rate", "prepregnancy_checks"):
        assert top[f"{code}|status"] == "met"
        assert top[f"{code}|score"] == top[f"{code}|points"]
    # met exactly at the target (10 ‰ against ≤ 10 ‰; 20 couples against 20) is met
    assert top["birth_rate|value"] == pytest.approx(10.0)
    assert top["prepregnancy_checks|value"] == 20


def test_veto_overrides_a_high_score_and_ranks_last(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
    f = _by_unit(frame)
    t2 = f.loc["T2"]
    assert t2["vetoed"] and t2["veto_by"] == "policy_compliance_rate"
    assert t2["total"] == 90  # higher than T3, T4 and T5 ...
    assert t2["rank"] == 5  # ... yet last, after every unit not vetoed
    assert t2["policy_compliance_rate|status"] == "not_met"
    assert list(frame["unit_code"]) == ["T1", "T3", "T5", "T4", "T2"]  # best first
    assert not f.drop(index="T2")["vetoed"].any()


def test_partial_credit_at_the_floor_and_just_below(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
    f = _by_unit(frame)
    t3, t4 = f.loc["T3"], f.loc["T4"]
    # lower is better: 10 ÷ 12.5 = 0.8, exactly the floor: 0.8 × 40
    assert t3["birth_rate|value"] == pytest.approx(12.5)
    assert t3["birth_rate|status"] == "not_met"
    assert t3["birth_rate|share"] == pytest.approx(0.8)
    assert t3["birth_rate|score"] == pytest.approx(32.0)
    # higher is better: 6 of 10 = 0.6, exactly the floor: 0.6 × 50
    assert t3["prepregnancy_checks|score"] == pytest.approx(30.0)
    # just below the floors: 10 ÷ 13 = 0.77 < 0.8 and 5 of 10 = 0.5 < 0.6 score nothing
    assert t4["birth_rate|share"] == 0 and t4["birth_rate|score"] == 0
    assert t4["prepregnancy_checks|score"] == 0
    assert t4["total"] == pytest.approx(10.0)


def test_weights_sum_to_max_points(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
        last = assess(conn, "C", Y - 1, "township", rules)
    for f in (frame, last):
        points = f[[c for c in f.columns if c.endswith("|points")]]
        assert (points.sum(axis=1, skipna=True) == f["max_points"]).all()
        scores = f[[c for c in f.columns if c.endswith("|score")]]
        assert scores.sum(axis=1, skipna=True).to_numpy() == pytest.approx(f["total"].to_numpy())
        assert (f["total"] <= f["max_points"]).all()
    assert set(frame["max_points"]) == {sum(r.points for r in rules.level_rules("township"))}
    # 2023: no check task but T4's; the indicator is not counted for the others (maximum 50)
    lf = _by_unit(last)
    assert lf["max_points"].to_dict() == {"T1": 50, "T2": 50, "T3": 50, "T4": 100, "T5": 50}
    assert lf.loc["T1", "prepregnancy_checks|status"] == "no_target"
    assert math.isnan(lf.loc["T1", "prepregnancy_checks|points"])
    assert lf.loc["T1", "no_target_by"] == "prepregnancy_checks"


def test_ties_share_a_rank(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
    f = _by_unit(frame)
    assert f["rank"].to_dict() == {"T1": 1, "T3": 2, "T5": 2, "T4": 4, "T2": 5}


def test_rank_change_against_last_year(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        last = assess(conn, "C", Y - 1, "township", rules)
        frame = assess(conn, "C", Y, "township", rules)
    assert _by_unit(last)["rank"].to_dict() == {"T4": 1, "T2": 2, "T3": 2, "T5": 2, "T1": 5}
    f = _by_unit(frame)
    assert f["rank_last_year"].to_dict() == {"T1": 5, "T3": 2, "T5": 2, "T4": 1, "T2": 2}
    # positive = moved up
    assert f["rank_change"].to_dict() == {"T1": 4, "T3": 0, "T5": 0, "T4": -3, "T2": -3}
    # the first year with data has nothing to compare with
    first = _by_unit(last)
    assert first["rank_last_year"].isna().all() and first["rank_change"].isna().all()


def test_summary(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules)
    s = assessment_summary(frame)
    assert s["units"] == 5
    assert s["vetoed"] == 1
    assert s["full_marks"] == 1
    assert s["mean_score"] == pytest.approx((100 + 90 + 72 + 10 + 72) / 5)
    assert s["max_points"] == 100
    assert not s["provisional"]


def test_in_year_assessment_is_provisional_and_counts_against_the_full_task(engine, rules):
    with engine.begin() as conn:
        five_townships(conn)
        frame = assess(conn, "C", Y, "township", rules, as_of=date(Y, 6, 30))
    assert frame.attrs["provisional"] is True
    f = _by_unit(frame)
    # every check was done in March: the June score is the year-end one (task, not pace)
    assert f.loc["T1", "prepregnancy_checks|score"] == 50
    assert f.loc["T3", "prepregnancy_checks|share"] == pytest.approx(0.6)


def sex_ratio_villages(conn) -> County:
    """One township: a village whose 12 births look very high (9 boys, 3 girls: ratio 300,
    interval about 88–1000, within chance), one significantly high (300 boys, 200 girls:
    ratio 150, interval 125–180, wholly above 110), a community of 51 boys and 49 girls, and a
    village with no births at all."""
    c = County(conn).units(
        ("C", "县", "county", None),
        ("T", "乡", "township", "C"),
        ("VA", "甲村", "village", "T"),
        ("VB", "乙村", "village", "T"),
        ("VC", "丙社区", "community", "T"),
        ("VD", "丁村", "village", "T"),
    )
    c.target(Y, "C", "policy_compliance_rate", 90.0)
    c.target(Y, "C", "sex_ratio_at_birth", 110.0)
    for v in ("VA", "VB", "VC", "VD"):
        c.population(Y, v, 5000)
    c.births("VA", 9, "M", JUN)
    c.births("VA", 3, "F", JUN)
    c.births("VB", 300, "M", JUN)
    c.births("VB", 200, "F", JUN)
    c.births("VC", 51, "M", JUN)
    c.births("VC", 49, "F", JUN)
    return c.settle()


def test_sex_ratio_high_by_chance_is_no_veto(engine, rules):
    with engine.begin() as conn:
        sex_ratio_villages(conn)
        frame = assess(conn, "T", Y, "village", rules)
        table = compute(conn, "T", make_period(Y))
    va = _by_unit(frame).loc["VA"]
    engine_row = table[(table["unit_code"] == "VA") & (table["indicator"] == "sex_ratio_at_birth")].iloc[0]
    assert engine_row["value"] == pytest.approx(300.0)
    assert engine_row["status"] == "not_met"  # the point value is over the target ...
    assert va["sex_ratio_at_birth|verdict"] == "within_chance"  # ... but within chance
    assert va["sex_ratio_at_birth|status"] == "met"
    assert va["sex_ratio_at_birth|score"] == 10  # no points lost either
    assert not va["vetoed"]
    assert va["total"] == 110 and va["rank"] == 1


def test_sex_ratio_significantly_high_vetoes(engine, rules):
    with engine.begin() as conn:
        sex_ratio_villages(conn)
        frame = assess(conn, "T", Y, "village", rules)
    f = _by_unit(frame)
    vb = f.loc["VB"]
    assert vb["sex_ratio_at_birth|verdict"] == "significantly_high"
    assert vb["sex_ratio_at_birth|ci_low"] > 110
    assert vb["vetoed"] and vb["veto_by"] == "sex_ratio_at_birth"
    assert vb["total"] == 100  # policy met; the sex ratio's 10 points lost
    assert vb["rank"] == len(frame)  # last, though VD scored less
    assert f.loc["VD", "total"] < vb["total"]


def test_no_data_scores_zero_is_flagged_and_never_vetoes(engine, rules):
    with engine.begin() as conn:
        sex_ratio_villages(conn)
        frame = assess(conn, "T", Y, "village", rules)
    vd = _by_unit(frame).loc["VD"]
    assert vd["policy_compliance_rate|status"] == "no_data"
    assert vd["policy_compliance_rate|score"] == 0
    assert vd["policy_compliance_rate|points"] == 100  # counted: the maximum stays
    assert vd["max_points"] == 110 and vd["total"] == 0
    assert vd["no_data_by"] == "policy_compliance_rate,sex_ratio_at_birth"
    assert not vd["vetoed"]


def test_village_level_covers_communities(engine, rules):
    with engine.begin() as conn:
        sex_ratio_villages(conn)
        frame = assess(conn, "C", Y, "village", rules)
        same = assess(conn, "C", Y, "community", rules)
    assert sorted(frame["unit_code"]) == ["VA", "VB", "VC", "VD"]
    assert _by_unit(frame).loc["VC", "level"] == "community"
    assert list(same["unit_code"]) == list(frame["unit_code"])


# --------------------------------------------------------------------------- veto on a count

# Villages veto on births out of policy (more than 3) instead of on the rate; the township
# table is only there because a rules file needs both levels.
COUNT_RULES = """
[township.birth_rate]
points = 10

[village.policy_compliance_rate]
points = 100
veto = true
veto_count_above = 3

[village.sex_ratio_at_birth]
points = 10
veto = true
"""


def out_of_policy_villages(conn) -> County:
    """One township, policy compliance ≥ 95 % from the county (for Y only):
    VA  8 births, 1 out of policy:  87.5 % — not met, but 1 is not more than 3: no veto
    VB 30 births, 4 out of policy:  86.7 % — 4 is more than 3: vetoed
    VC 100 births, 3 out of policy: 97.0 % — met, and exactly 3: no veto
    VD 20 births, 3 out of policy:  85.0 % — not met, exactly 3: no veto
    VE no births: no data, nothing out of policy
    In Y − 1 (no target at all) VB had 5 out of policy: not counted, so no veto either."""
    c = County(conn).units(
        ("C", "县", "county", None),
        ("T", "乡", "township", "C"),
        *[(f"V{x}", f"{x}村", "village", "T") for x in "ABCDE"],
    )
    c.target(Y, "C", "policy_compliance_rate", 95.0)
    for v, births, in_policy in (("VA", 8, 7), ("VB", 30, 26), ("VC", 100, 97), ("VD", 20, 17)):
        _village(c, v, 2000, births, in_policy, 0, Y, MAR)
    c.population(Y, "VE", 2000)
    c.births("VB", 5, "M", date(Y - 1, 5, 1), in_policy=0)
    c.births("VB", 5, "F", date(Y - 1, 5, 1), in_policy=1)
    return c.settle()


def test_a_village_vetoes_on_births_out_of_policy_not_on_the_rate(engine):
    rules = parse_rules(COUNT_RULES)
    with engine.begin() as conn:
        out_of_policy_villages(conn)
        frame = assess(conn, "T", Y, "village", rules)
        by_rate = assess(
            conn, "T", Y, "village", parse_rules(COUNT_RULES.replace("veto_count_above = 3\n", ""))
        )
    f = _by_unit(frame)
    code = "policy_compliance_rate"
    assert f[f"{code}|shortfall"].to_dict() == pytest.approx(
        {"VA": 1, "VB": 4, "VC": 3, "VD": 3, "VE": np.nan}, nan_ok=True
    )
    # 8 births, one out of policy: the rate misses the target (no points) but nothing vetoes
    va = f.loc["VA"]
    assert va[f"{code}|value"] == pytest.approx(87.5)
    assert va[f"{code}|status"] == "not_met" and va[f"{code}|score"] == 0
    assert not va["vetoed"] and va["veto_by"] == ""
    # more than 3 out of policy vetoes, and the unit ranks last
    vb = f.loc["VB"]
    assert vb["vetoed"] and vb["veto_by"] == code
    assert vb["rank"] == len(frame)
    assert f.loc[["VA", "VC", "VD", "VE"], "vetoed"].eq(False).all()  # 3 is not more than 3; no births
    assert f.loc["VC", f"{code}|status"] == "met" and f.loc["VD", f"{code}|status"] == "not_met"
    # the same villages under a veto on the rate: every village below 95 % is vetoed
    assert set(by_rate.loc[by_rate["vetoed"], "unit_code"]) == {"VA", "VB", "VD"}


def test_a_count_veto_needs_a_target_like_every_rule(engine):
    with engine.begin() as conn:
        out_of_policy_villages(conn)
        last = assess(conn, "T", Y - 1, "village", parse_rules(COUNT_RULES))
    vb = _by_unit(last).loc["VB"]
    assert vb["policy_compliance_rate|status"] == "no_target"
    assert vb["policy_compliance_rate|shortfall"] == 5
    assert not vb["vetoed"]


def test_sex_ratio_significantly_low_scores_nothing_and_never_vetoes(engine, rules):
    """100 boys and 200 girls: ratio 50, interval about 39–64, wholly below 103."""
    with engine.begin() as conn:
        c = County(conn).units(
            ("C", "县", "county", None), ("T", "乡", "township", "C"), ("VL", "低村", "village", "T")
        )
        c.target(Y, "C", "policy_compliance_rate", 90.0)
        c.target(Y, "C", "sex_ratio_at_birth", 110.0)
        c.population(Y, "VL", 50000)
        c.births("VL", 100, "M", JUN)
        c.births("VL", 200, "F", JUN)
        c.settle()
        frame = assess(conn, "T", Y, "village", rules)
    vl = _by_unit(frame).loc["VL"]
    assert vl["sex_ratio_at_birth|verdict"] == "significantly_low" and vl["sex_ratio_at_birth|ci_high"] < 103
    assert vl["sex_ratio_at_birth|status"] == "not_met"  # never "met" (the spec's significantly_low)
    assert vl["sex_ratio_at_birth|score"] == 0
    assert not vl["vetoed"] and vl["veto_by"] == ""
    assert vl["total"] == 100  # policy met; the sex ratio's 10 points lost


# --------------------------------------------------------------------------- the demo county


@pytest.fixture(scope="module")
def demo_2025(tmp_path_factory) -> dict:
    """The default demo county (15 townships, 400 villages and communities) with 2025 over,
    assessed under the default rules, as a bureau would at its year-end meeting."""
    from queries.demo.county import COUNTY_CODE, create_demo
    from queries.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo2025') / 'demo.sqlite'}")
    try:
        create_demo(engine, years=3, until=date(2025, 12, 31))
        rules = load_rules()
        with engine.connect() as conn:
            return {level: assess(conn, COUNTY_CODE, 2025, level, rules) for level in ("township", "village")}
    finally:
        engine.dispose()


def test_the_demo_vetoes_a_handful_as_a_real_meeting_would(demo_2025):
    towns, villages = demo_2025["township"], demo_2025["village"]
    assert (len(towns), len(villages)) == (15, 400)
    assert 1 <= towns["vetoed"].sum() <= 3
    assert 1 <= villages["vetoed"].sum() <= 15
    # the villages' policy veto is on the count: every one vetoed for it had more than 3
    # births out of policy, and every village with more than 3 is vetoed
    code = "policy_compliance_rate"
    by_policy = villages["veto_by"].str.contains(code)
    assert by_policy.any()
    over = villages[f"{code}|shortfall"] > 3
    assert (by_policy == over).all()
    # a village missing the rate by a birth or two is not vetoed for it
    assert ((villages[f"{code}|status"] == "not_met") & ~over).sum() > 10
    # the sex ratio vetoes only when significantly high, at both levels
    for frame in (towns, villages):
        by_sr = frame["veto_by"].str.contains("sex_ratio_at_birth")
        assert (frame.loc[by_sr, "sex_ratio_at_birth|verdict"] == "significantly_high").all()
        assert (frame.loc[frame["sex_ratio_at_birth|verdict"] == "high", "vetoed"]).all()


# --------------------------------------------------------------------------- the rules file


def test_default_rules_follow_the_seeds():
    rules = load_rules()
    assert DEFAULT_RULES_PATH.name == "assessment.toml"
    for level in ("township", "village"):
        assert set(rules.vetoes(level)) == {"policy_compliance_rate", "sex_ratio_at_birth"}
        assert rules.max_points(level) == 100
    # townships veto on the compliance rate (hundreds of births); villages on the count
    policy = {
        level: next(r for r in rules.level_rules(level) if r.indicator == "policy_compliance_rate")
        for level in ("township", "village")
    }
    assert policy["township"].veto_count_above is None
    assert policy["village"].veto_count_above == 3
    # in villages the sex ratio only vetoes: few births, no points to swing
    sr = next(r for r in rules.level_rules("village") if r.indicator == "sex_ratio_at_birth")
    assert sr.points == 0 and sr.veto


def test_veto_only_indicator_is_allowed():
    veto_only = parse_rules(
        RULES.replace("[village.sex_ratio_at_birth]\npoints = 10", "[village.sex_ratio_at_birth]\npoints = 0")
    )
    assert veto_only.max_points("village") == 100
    assert veto_only.vetoes("village") == ("policy_compliance_rate", "sex_ratio_at_birth")


def _error(text: str) -> RulesError:
    with pytest.raises(RulesError) as info:
        parse_rules(text, "config/assessment.toml")
    return info.value


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth - 1]


def test_error_syntax_names_the_line():
    text = RULES.replace("points = 40", "points = forty")
    err = _error(text)
    assert err.line == _line_of(text, "points = forty")
    assert str(err).startswith(f"config/assessment.toml line {err.line}: not valid TOML")


def test_error_unknown_indicator_names_the_line():
    text = RULES.replace("[township.birth_rate]", "[township.birthrate]")
    err = _error(text)
    assert err.line == _line_of(text, "[township.birthrate]")
    assert "unknown indicator code 'birthrate'" in str(err)
    assert str(err).startswith(f"config/assessment.toml line {err.line}: ")


def test_error_duplicate_indicator_in_a_level_names_the_second():
    text = RULES + '\n[township.birth_rate]\npoints = 5\nscoring = "met_or_nothing"\n'
    err = _error(text)
    assert err.line == _line_of(text, "[township.birth_rate]", nth=2)
    assert "second time" in str(err)


def test_error_the_same_indicator_in_two_levels_is_fine():
    text = RULES + "\n[village.birth_rate]\npoints = 5\n"
    assert parse_rules(text).max_points("village") == 115


@pytest.mark.parametrize("value", ['"ten"', "-5", "0", "true"])
def test_error_points_not_positive_names_the_line(value):
    text = RULES.replace("points = 40", f"points = {value}")
    err = _error(text)
    assert err.line == _line_of(text, f"points = {value}")
    assert "points must be a positive number" in str(err)
    if value == '"ten"':
        assert (
            str(err) == f"config/assessment.toml line {err.line}: points must be a positive number, not 'ten'"
        )


def test_error_missing_points_names_the_table():
    text = RULES.replace("[township.birth_rate]\npoints = 40\n", "[township.birth_rate]\n")
    err = _error(text)
    assert err.line == _line_of(text, "[township.birth_rate]")
    assert "has no points" in str(err)


@pytest.mark.parametrize("value", ["1", "1.5", "-0.1", "80", '"0.8"'])
def test_error_floor_outside_0_1_names_the_line(value):
    text = RULES.replace("floor = 0.8", f"floor = {value}")
    err = _error(text)
    assert err.line == _line_of(text, f"floor = {value}")
    assert "floor must be a share from 0 up to (not including) 1" in str(err)


def test_error_floor_without_proportional_scoring_names_the_line():
    text = RULES.replace(
        'scoring = "met_or_nothing"\nveto = true', 'scoring = "met_or_nothing"\nfloor = 0.5\nveto = true'
    )
    err = _error(text)
    assert err.line == _line_of(text, "floor = 0.5")
    assert "floor applies only to" in str(err)


def test_error_unknown_scoring_names_the_line():
    text = RULES.replace('scoring = "proportional"\nfloor = 0.6', 'scoring = "linear"\nfloor = 0.6')
    err = _error(text)
    assert err.line == _line_of(text, 'scoring = "linear"')
    assert "scoring must be one of met_or_nothing, proportional, not 'linear'" in str(err)


def test_error_sex_ratio_scored_in_proportion_is_inconsistent():
    text = RULES.replace(
        "[village.sex_ratio_at_birth]\npoints = 10",
        '[village.sex_ratio_at_birth]\npoints = 10\nscoring = "proportional"',
    )
    err = _error(text)
    assert err.line == _line_of(text, 'scoring = "proportional"', nth=3)
    assert "95 % interval" in str(err)


def test_error_unknown_level_names_the_line():
    text = RULES + "\n[community.birth_rate]\npoints = 5\n"
    err = _error(text)
    assert err.line == _line_of(text, "[community.birth_rate]")
    assert "unknown level 'community'" in str(err) and "village rules" in str(err)


def test_error_unknown_key_names_the_line():
    text = RULES.replace("points = 40", "pionts = 40")
    err = _error(text)
    assert err.line == _line_of(text, "pionts = 40")
    assert "unknown key 'pionts'" in str(err)


def test_error_veto_not_a_boolean_names_the_line():
    text = RULES.replace("veto = true", 'veto = "yes"', 1)
    err = _error(text)
    assert err.line == _line_of(text, 'veto = "yes"')


def test_error_pending_indicator_cannot_count():
    text = RULES + "\n[township.info_accuracy_rate]\npoints = 5\n"
    err = _error(text)
    assert err.line == _line_of(text, "[township.info_accuracy_rate]")
    assert "no data yet" in str(err)


def test_error_missing_level():
    text = RULES.split("[village.policy_compliance_rate]")[0]
    err = _error(text)
    assert err.line is None
    assert str(err) == (
        "config/assessment.toml: there are no rules for the level village; add [village.<indicator>] tables"
    )


def test_error_in_an_inline_table_names_its_line():
    text = '[township]\nbirth_rate = { points = "ten", scoring = "proportional" }\n\n[village.birth_rate]\npoints = 1\n'
    err = _error(text)
    assert err.line == 2


def test_load_rules_names_the_file(tmp_path: Path):
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace("points = 40", "points = 0"), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert str(info.value).startswith(f"{path} line {_line_of(RULES, 'points = 40')}: points must be")
    with pytest.raises(RulesError, match="does not exist"):
        load_rules(tmp_path / "missing.toml")


@pytest.mark.parametrize("value", ['"3"', "-1", "2.5", "true"])
def test_error_veto_count_above_not_a_whole_number_names_the_line(value):
    text = COUNT_RULES.replace("veto_count_above = 3", f"veto_count_above = {value}")
    err = _error(text)
    assert err.line == _line_of(text, f"veto_count_above = {value}")
    assert "veto_count_above must be a whole number, 0 or more" in str(err)
    assert str(err).startswith(f"config/assessment.toml line {err.line}: ")


def test_error_veto_count_above_on_a_rate_without_a_count_names_the_line():
    text = COUNT_RULES.replace(
        "[village.sex_ratio_at_birth]\npoints = 10\nveto = true",
        "[village.sex_ratio_at_birth]\npoints = 10\nveto = true\nveto_count_above = 2",
    )
    err = _error(text)
    assert err.line == _line_of(text, "veto_count_above = 2")
    assert "sex_ratio_at_birth has no such count" in str(err)
    text = COUNT_RULES.replace(
        "[township.birth_rate]\npoints = 10",
        "[township.birth_rate]\npoints = 10\nveto = true\nveto_count_above = 1",
    )
    err = _error(text)
    assert err.line == _line_of(text, "veto_count_above = 1")
    assert "birth_rate has no such count" in str(err)


def test_error_veto_count_above_without_veto_names_the_line():
    text = COUNT_RULES.replace("veto = true\nveto_count_above = 3", "veto_count_above = 3")
    err = _error(text)
    assert err.line == _line_of(text, "veto_count_above = 3")
    assert "needs veto = true" in str(err)


def test_veto_count_above_zero_is_allowed_and_other_shares_count_too():
    rules = parse_rules(
        COUNT_RULES.replace("veto_count_above = 3", "veto_count_above = 0")
        + "\n[village.migrant_service_coverage]\npoints = 5\nveto = true\nveto_count_above = 10\n"
    )
    counts = {r.indicator: r.veto_count_above for r in rules.level_rules("village")}
    assert counts == {"policy_compliance_rate": 0, "sex_ratio_at_birth": None, "migrant_service_coverage": 10}
