"""The scorecard's ranking, failing counts and honest sex-ratio display, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from queries.services import shape


def row(unit, indicator, value, target, status, verdict=None, significance=None, parent="T"):
    return dict(
        unit_code=unit,
        name=f"村{unit}",
        level="village",
        parent_code=parent,
        depth=2,
        indicator=indicator,
        numerator=np.nan,
        denominator=np.nan,
        value=value,
        target=target,
        target_from="inherited",
        status=status,
        expected=np.nan,
        pace=None,
        ci_low=np.nan,
        ci_high=np.nan,
        significance=significance,
        verdict=verdict or status,
    )


TABLE = pd.DataFrame(
    [
        # A: meets compliance, sex ratio 140 on a handful of births: chance, not a failure.
        row("A", "policy_compliance_rate", 96.0, 95.0, "met"),
        row("A", "sex_ratio_at_birth", 140.0, 110.0, "not_met", "within_chance", "chance"),
        # B: misses compliance by 5 %, sex ratio significantly high.
        row("B", "policy_compliance_rate", 90.25, 95.0, "not_met"),
        row("B", "sex_ratio_at_birth", 125.0, 110.0, "not_met", "significantly_high", "high"),
        # C: misses compliance by 1 %, sex ratio fine.
        row("C", "policy_compliance_rate", 94.05, 95.0, "not_met"),
        row("C", "sex_ratio_at_birth", 104.0, 110.0, "met", "met", "chance"),
    ]
)


def test_scorecard_shows_the_engines_verdict_and_counts_failures_honestly():
    card = shape.scorecard(TABLE, "T").set_index("unit_code")
    assert card.loc["A", "failing"] == 0  # the chance sex ratio is not a failure
    assert card.loc["A", "judged"] == 2
    assert card.loc["B", "failing"] == 2
    assert card.loc["C", "failing"] == 1
    assert card.loc["A", "sex_ratio_at_birth|verdict"] == "within_chance"
    assert card.loc["B", "sex_ratio_at_birth|verdict"] == "significantly_high"
    # A meets one; B and C meet none and one; C's mean shortfall (0.5 %) beats B's.
    assert (card.loc["A", "rank"], card.loc["C", "rank"], card.loc["B", "rank"]) == (1, 2, 3)
    assert card.loc["B", "policy_compliance_rate|gap"] == -4.75


def test_a_significantly_low_sex_ratio_fails_by_its_distance_below_the_band():
    low = pd.DataFrame([row("D", "sex_ratio_at_birth", 86.0, 110.0, "met", "significantly_low", "low")])
    card = shape.scorecard(low, "T").set_index("unit_code")
    assert card.loc["D", "failing"] == 1 and card.loc["D", "met"] == 0
    assert np.isclose(shape.shortfall(low).iloc[0], (103 - 86) / 103)


def test_units_behind_lists_worst_first_with_their_worst_indicator():
    behind = shape.units_behind(TABLE, ("village",)).set_index("unit_code")
    assert list(behind.index) == ["B", "C"]  # A fails nothing
    assert behind.loc["B", "worst_indicator"] == "sex_ratio_at_birth"  # 13.6 % over vs 5 % under
    assert behind.loc["C", "worst_indicator"] == "policy_compliance_rate"


def test_shortfall_is_relative_and_signed_by_direction():
    s = shape.shortfall(TABLE)
    assert np.isclose(s.iloc[2], 0.05)  # 90.25 against 95: 5 % short
    assert np.isclose(s.iloc[3], 15 / 110)  # 125 against a ceiling of 110
    assert s.iloc[1] == 0.0  # chance: no shortfall counted
    assert s.iloc[0] < 0  # met with room to spare


def test_unit_detail_ranks_sex_ratios_by_their_distance_from_the_normal_band():
    # Among peers the best sex ratio is inside 103–107, not the lowest: 104 ranks first, 101
    # (2 below the band) second, 111 (4 above) third; a birth rate ranks lowest first.
    peers = pd.DataFrame(
        [
            row("A", "sex_ratio_at_birth", 111.0, 110.0, "not_met", "within_chance", "chance"),
            row("B", "sex_ratio_at_birth", 101.0, 110.0, "met", "met", "chance"),
            row("C", "sex_ratio_at_birth", 104.0, 110.0, "met", "met", "chance"),
            row("A", "birth_rate", 6.0, 7.0, "met"),
            row("B", "birth_rate", 8.0, 7.0, "not_met"),
            row("C", "birth_rate", 7.0, 7.0, "met"),
        ]
    )
    ranks = {
        unit: shape.unit_detail(peers, unit).set_index("indicator")["peer_rank"].to_dict() for unit in "ABC"
    }
    assert [ranks[u]["sex_ratio_at_birth"] for u in "ABC"] == [3, 2, 1]
    assert [ranks[u]["birth_rate"] for u in "ABC"] == [1, 3, 2]
