"""Small-number statistics for the sex ratio at birth.

Functions take scalars or numpy arrays alike, so the engine applies them to every unit at
once. The normal band is the indicator's own (``registry.Band``), passed in.
"""

from __future__ import annotations

import numpy as np

from queries.engine.registry import Band

Z95 = 1.959963984540054
Z998 = 3.090232306167813  # two-sided 99.8 %

SIGNIFICANCES = ("high", "low", "chance", "no_data")


def wilson(successes, n, z: float = Z95):
    """Wilson score interval (low, high) for a proportion; NaN where n is 0."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    bad = n <= 0
    lo = np.where(bad, np.nan, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(bad, np.nan, np.clip(centre + half, 0.0, 1.0))
    return _unwrap(lo), _unwrap(hi)


def _ratio(p):
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p >= 1, np.inf, 100.0 * p / (1 - p))


def sex_ratio_interval(boys, girls, z: float = Z95):
    """95 % interval for boys per 100 girls: the Wilson interval for p = boys ÷ births,
    mapped through 100·p ÷ (1 − p). NaN where there are no girls (the ratio is no data)."""
    boys = np.asarray(boys, dtype=float)
    girls = np.asarray(girls, dtype=float)
    lo, hi = wilson(boys, boys + girls, z)
    none = girls <= 0
    return _unwrap(np.where(none, np.nan, _ratio(lo))), _unwrap(np.where(none, np.nan, _ratio(hi)))


def sex_ratio_significance(boys, girls, target=None, *, band: Band):
    """(low, high, significance) with significance 'high', 'low', 'chance' or 'no_data'.

    High only when the whole interval lies above the band (107), or above the target where
    that is lower; low only when it lies wholly below the band (103); otherwise within chance.
    """
    lo, hi = sex_ratio_interval(boys, girls)
    lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    line = np.full(lo_a.shape, band.high)
    if target is not None:
        t = np.asarray(target, dtype=float)
        line = np.where(np.isnan(t), band.high, np.minimum(band.high, t))
    verdict = np.select(
        [np.isnan(lo_a), lo_a > line, hi_a < band.low],
        ["no_data", "high", "low"],
        default="chance",
    )
    return lo, hi, _unwrap(verdict)


def band_distance(ratio, band: Band):
    """How far a sex ratio lies outside the normal band (0 inside it; NaN stays NaN)."""
    r = np.asarray(ratio, dtype=float)
    return _unwrap(np.maximum(np.maximum(band.low - r, r - band.high), 0.0))


def funnel_limits(births, ratio: float, z: float = Z95):
    """Control limits of the sex ratio around ``ratio`` for units with ``births`` births."""
    births = np.asarray(births, dtype=float)
    p = ratio / (100.0 + ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p * (1 - p) / births)
    lo = np.where(births > 0, _ratio(np.clip(p - half, 0, 1)), np.nan)
    hi = np.where(births > 0, _ratio(np.clip(p + half, 0, 1)), np.nan)
    return _unwrap(lo), _unwrap(hi)


def _unwrap(a):
    a = np.asarray(a)
    return a.item() if a.ndim == 0 else a
