"""The one verdict (indicators.md, "Verdict"), rule by rule, and that every reader shows it."""

from __future__ import annotations

import numpy as np
import pytest

from queries.engine.verdict import judge

SR, CHECKS, RATE = "sex_ratio_at_birth", "prepregnancy_checks", "policy_compliance_rate"


def verdict_of(code, value, target, num=np.nan, den=np.nan, fraction=1.0):
    out = judge(
        np.array([code], dtype=object),
        np.array([value], dtype=float),
        np.array([target], dtype=float),
        np.array([num], dtype=float),
        np.array([den], dtype=float),
        fraction,
    )
    return out["status"][0], out["verdict"][0]


@pytest.mark.parametrize(
    ("boys", "girls", "target", "status", "verdict"),
    [
        (15, 12, 110, "not_met", "within_chance"),  # 125 on 27 births: chance explains it
        (25, 10, 110, "not_met", "significantly_high"),  # 250: the interval is above 107
        (430, 500, 110, "met", "significantly_low"),  # 86 on 930 births: never "met"
        (196, 185, 110, "met", "met"),
        (11, 0, 110, "no_data", "no_data"),  # no girl: no ratio
        (196, 185, np.nan, "no_target", "no_target"),
    ],
)
def test_sex_ratio(boys, girls, target, status, verdict):
    value = boys / girls * 100 if girls else np.nan
    assert verdict_of(SR, value, target, boys, girls) == (status, verdict)


def test_a_count_task_in_the_year_is_behind_only_below_its_pace():
    # 4,900 couples, 90 % of the year gone: 4,410 expected by now.
    assert verdict_of(CHECKS, 4000, 4900, fraction=0.9) == ("not_met", "behind")
    assert verdict_of(CHECKS, 4500, 4900, fraction=0.9) == ("not_met", "not_met")
    assert verdict_of(CHECKS, 5000, 4900, fraction=0.9) == ("met", "met")
    # The year is over: short is not met, not behind.
    assert verdict_of(CHECKS, 4000, 4900, fraction=1.0) == ("not_met", "not_met")


def test_other_indicators_take_their_status():
    assert verdict_of(RATE, 91.8, 95) == ("not_met", "not_met")
    assert verdict_of(RATE, 96, 95) == ("met", "met")
    assert verdict_of(RATE, np.nan, 95) == ("no_data", "no_data")
