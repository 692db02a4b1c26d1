"""The one judgement of every value: its plain ``status`` and the ``verdict`` every page,
export, paper and the command line show (indicators.md, "Verdict").

Decided here and nowhere else; the engine (``queries.engine.indicators``) writes both columns and
every reader takes them from its table. Array functions, applied to every unit at once.
"""

from __future__ import annotations

import numpy as np

from queries.engine import registry
from queries.engine.stats import sex_ratio_significance

FAILING = frozenset({"significantly_high", "significantly_low", "not_met", "behind"})
JUDGED = frozenset({"significantly_high", "significantly_low", "not_met", "behind", "within_chance", "met"})
# Counted as achieved where points are given (the assessment): within chance is no failure.
ACHIEVED = frozenset({"met", "within_chance"})


def status(codes: np.ndarray, value: np.ndarray, target: np.ndarray) -> np.ndarray:
    """'met', 'not_met', 'no_target' or 'no_data': the plain comparison with the target."""
    lower = np.array([registry.BY_CODE[c].better == "lower" for c in codes], dtype=bool)
    has_value, has_target = ~np.isnan(value), ~np.isnan(target)
    both = has_value & has_target
    met = np.zeros(len(value), dtype=bool)
    met[both] = np.where(lower[both], value[both] <= target[both], value[both] >= target[both])
    return np.select([~has_value, ~has_target, met], ["no_data", "no_target", "met"], "not_met").astype(
        object
    )


def judge(
    codes: np.ndarray,
    value: np.ndarray,
    target: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
    year_fraction: float,
) -> dict[str, np.ndarray]:
    """Status, the count tasks' expected-so-far and pace, the interval and significance of an
    indicator judged by interval, and the verdict, for rows of (indicator code, value, target,
    numerator, denominator) of one period.

    The sex ratio's numerator and denominator are its boys and girls; its normal band is the
    registry's. ``year_fraction`` below 1 is a year not yet over: a count task short of
    target × fraction is behind.
    """
    codes = np.asarray(codes, dtype=object)
    value = np.asarray(value, dtype=float)
    target = np.asarray(target, dtype=float)
    n = len(codes)
    plain = status(codes, value, target)

    is_count = np.array([registry.BY_CODE[c].kind == "count" for c in codes], dtype=bool)
    expected = np.where(is_count & ~np.isnan(target), target * year_fraction, np.nan)
    paced = is_count & (plain != "no_data") & (plain != "no_target")
    pace = np.where(paced, np.where(value < expected, "behind", "on_track"), np.array(None)).astype(object)

    # Indicators judged by interval (the sex ratio: numerator boys, denominator girls).
    by_interval = np.zeros(n, dtype=bool)
    ci_low, ci_high = np.full(n, np.nan), np.full(n, np.nan)
    significance = np.full(n, None, dtype=object)
    for code, band in registry.BANDS.items():
        rows = codes == code
        if rows.any():
            lo, hi, sig = sex_ratio_significance(
                np.asarray(numerator, dtype=float)[rows],
                np.asarray(denominator, dtype=float)[rows],
                target[rows],
                band=band,
            )
            ci_low[rows], ci_high[rows], significance[rows] = lo, hi, sig
            by_interval |= rows

    judged = (plain == "met") | (plain == "not_met")
    verdict = plain.copy()
    # A significantly low ratio is never "met"; a high one fails only when chance cannot explain it.
    verdict[by_interval & judged & (significance == "low")] = "significantly_low"
    verdict[by_interval & (plain == "not_met") & (significance == "high")] = "significantly_high"
    verdict[by_interval & (plain == "not_met") & (significance != "high") & (significance != "low")] = (
        "within_chance"
    )
    if year_fraction < 1:
        verdict[is_count & (plain == "not_met") & (pace == "behind")] = "behind"
    return {
        "status": plain,
        "expected": expected,
        "pace": pace,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "significance": significance,
        "verdict": verdict,
    }
