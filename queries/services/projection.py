"""Where the pre-pregnancy check task (a count target) will end the year.

Model, as the notes for users state it
--------------------------------------
Checks do not come evenly through the year: campaigns crowd them into some months. So
besides the straight line (*pace*: done so far ÷ the fraction of the year gone) the page
shows a projection by last year's *rhythm*: the share ``s`` of last year's year total that
had been done by the same day of the year; the year is projected to end at done ÷ ``s``.
A unit with fewer than 30 couples checked last year is too small for its own rhythm to
mean anything and takes the rhythm of the whole area shown (the root); where no rhythm is
known (no data that year, or nothing done by that day) the projection falls back to pace.

The chance to meet the target: for each of the previous (up to) four years ``k`` that have
checks recorded, take that year's rhythm ``s_k`` (same rule); if this year follows it, the
couples still to come number on average λ_k = done × (1 − s_k) ÷ s_k, and we treat them as
a Poisson count (independent couples coming at that average rate). P_k is the probability
that this count reaches what is still missing, target − done. The chance is the mean of the
P_k, so it reflects both the chance variation within a year and how much the rhythm itself
has varied between years. A target already met has chance 1; no target, no chance (NaN).
With no past year known, the straight line stands in for the rhythm. Both projections and
the chance scale what has been done, so a unit with nothing done yet is projected at 0 and
given no chance: read them once the year's work has started. At the year end
(``as_of`` = 31 December) every projection equals what was done and the chance is 1 or 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from queries.analytics.read import check_measures
from queries.engine import registry
from queries.engine.indicators import check_unit, compute
from queries.engine.period import Period, same_day_in
from queries.services.trends import level_units

HISTORY_YEARS = 4
MIN_OWN_RHYTHM = 30  # couples last year below which a unit takes the root's rhythm
NORMAL_ABOVE = 1000.0  # λ above which the Poisson tail is taken from the normal approximation

PROJECTION_COLUMNS = [
    "unit_code",
    "done",
    "target",
    "expected_now",
    "projected_pace",
    "projected_rhythm",
    "chance_to_meet",
    "will_miss",
]
RHYTHM_COLUMNS = ["unit_code", "year", "share", "source", "year_total", "done_by_day"]


def poisson_sf(k: float, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(λ).

    Exact for λ ≤ 1000: the smaller of the two tails is summed from its largest term
    (computed in logs with ``math.lgamma``, so nothing under- or overflows) outwards by the
    ratio of neighbouring terms, until the terms no longer change the sum. Above that, the
    normal approximation with continuity correction, P ≈ 1 − Φ((k − ½ − λ) ÷ √λ).
    """
    k = math.ceil(k - 1e-9)  # X is a whole number: X ≥ 2.3 is X ≥ 3
    if k <= 0:
        return 1.0
    if not lam > 0:
        return 0.0
    if lam > NORMAL_ABOVE:
        z = (k - 0.5 - lam) / math.sqrt(lam)
        return 0.5 * math.erfc(z / math.sqrt(2.0))

    def pmf(i: int) -> float:
        return math.exp(i * math.log(lam) - lam - math.lgamma(i + 1))

    if k - 1 < lam:
        # Most of the mass is at or above k: sum the lower tail 0 … k−1 downwards.
        term = pmf(k - 1)
        total, i = term, k - 1
        while i > 0 and term > total * 1e-17:
            term *= i / lam
            total += term
            i -= 1
        return min(1.0, max(0.0, 1.0 - total))
    # k − 1 ≥ λ: the upper tail is the small one; its terms shrink from k upwards.
    term = pmf(k)
    total, i = term, k
    while term > total * 1e-17:
        i += 1
        term *= lam / i
        total += term
    return min(1.0, total)


@dataclass(frozen=True)
class _History:
    """Per past year: the units' year totals and couples done by the same day."""

    year: int
    total: pd.Series
    by_day: pd.Series


def _history(conn: Connection, root: str, period: Period) -> list[_History]:
    out = []
    for back in range(1, HISTORY_YEARS + 1):
        year = period.year - back
        total = check_measures(conn, root, Period(year, date(year, 12, 31)))["checked_couples"]
        if total.get(root, 0.0) <= 0:
            continue  # no checks recorded that year: it tells nothing about the rhythm
        by_day = check_measures(conn, root, Period(year, same_day_in(year, period.as_of)))["checked_couples"]
        out.append(_History(year, total, by_day))
    return out


def _shares(hist: _History, root: str, codes: list[str]) -> pd.DataFrame:
    """The rhythm share of each unit in one past year, and whose rhythm it is."""
    total = hist.total.reindex(codes).fillna(0.0)
    by_day = hist.by_day.reindex(codes).fillna(0.0)
    root_total = float(hist.total.get(root, 0.0))
    root_share = float(hist.by_day.get(root, 0.0)) / root_total if root_total > 0 else np.nan
    own = total >= MIN_OWN_RHYTHM
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(own, by_day / total.where(total > 0), root_share)
    return pd.DataFrame(
        {
            "unit_code": codes,
            "year": hist.year,
            "share": share,
            "source": np.where(own, "own", "root"),
            "year_total": total.to_numpy(),
            "done_by_day": by_day.to_numpy(),
        }
    )


def check_rhythms(conn: Connection, root: str, period: Period, level: str) -> pd.DataFrame:
    """The rhythm behind the projections, for the notes: one row per unit of ``level`` and
    past year with checks recorded (up to four). Columns: unit_code, year, share (of that
    year's total done by the same day; NaN when unknown), source ('own' or 'root': a unit
    with fewer than 30 couples that year takes the root's), year_total, done_by_day."""
    check_unit(conn, root, root)
    codes = level_units(conn, root, level)
    frames = [_shares(h, root, codes) for h in _history(conn, root, period)]
    if not frames:
        return pd.DataFrame(columns=RHYTHM_COLUMNS)
    return pd.concat(frames, ignore_index=True)[RHYTHM_COLUMNS]


def _usable(share: float, fallback: float) -> float:
    """A share that can divide: unknown, zero (or nonsense) shares fall back to pace."""
    return share if share == share and 0 < share <= 1 else fallback


def project_checks(conn: Connection, root: str, period: Period, level: str) -> pd.DataFrame:
    """Year-end projections of the pre-pregnancy check task for each unit of ``level``.

    Columns: unit_code, done (distinct couples so far, the engine's value), target (the
    engine's effective target), expected_now (target × year fraction), projected_pace
    (done ÷ year fraction), projected_rhythm (done ÷ last year's share done by this day),
    chance_to_meet (probability of ending at or above target) and will_miss (chance < ½).

    The model (module docstring): last year's rhythm is the unit's own when it checked at
    least 30 couples that year, else the root's; an unknown or zero share falls back to
    the straight line. The chance is the mean over the past (up to) four years k with data
    of P(Poisson(done × (1 − s_k) ÷ s_k) ≥ target − done); 1 where the target is met, NaN
    where there is none, and based on the straight line when no past year has data.
    """
    check_unit(conn, root, root)
    codes = level_units(conn, root, level)
    table = compute(conn, root, period, codes=(registry.CHECK_COUNT,))
    engine = table.set_index("unit_code").reindex(codes)
    done = engine["value"].fillna(0.0).to_numpy(float)
    target = engine["target"].to_numpy(float)
    expected = engine["expected"].to_numpy(float)
    fraction = period.year_fraction

    history = _history(conn, root, period)
    shares = [_shares(h, root, codes)["share"].to_numpy(float) for h in history]
    if period.is_full_year:
        shares = [np.ones(len(codes)) for _ in history]
    last_year = history[0].year if history else None

    pace = done / fraction
    if history and last_year == period.year - 1:
        s_last = np.array([_usable(s, fraction) for s in shares[0]])
    else:
        s_last = np.full(len(codes), fraction)
    rhythm = done / s_last

    chance = np.full(len(codes), np.nan)
    for i in range(len(codes)):
        if np.isnan(target[i]):
            continue
        need = target[i] - done[i]
        if need <= 0:
            chance[i] = 1.0
            continue
        years_s = [_usable(s[i], fraction) for s in shares] or [fraction]
        chance[i] = float(np.mean([poisson_sf(need, done[i] * (1 - s) / s) for s in years_s]))

    if period.is_full_year:  # nothing more to come: the projections are what was done
        pace, rhythm = done.copy(), done.copy()
    return pd.DataFrame(
        {
            "unit_code": codes,
            "done": done,
            "target": target,
            "expected_now": expected,
            "projected_pace": pace,
            "projected_rhythm": rhythm,
            "chance_to_meet": chance,
            "will_miss": chance < 0.5,
        },
        columns=PROJECTION_COLUMNS,
    )
