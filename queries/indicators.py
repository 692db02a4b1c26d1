"""The indicator engine: measures → indicator values → targets → status, pace, interval.

``compute`` returns one row per unit and indicator, the long table the command line
prints and every page reads. Pure: a connection and plain values in, a DataFrame out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from queries import registry
from queries.measures import all_measures, unit_tree, within
from queries.period import Period
from queries.schema import targets, unit_ancestors, units
from queries.stats import sex_ratio_verdict

RESULT_COLUMNS = [
    "unit_code",
    "name",
    "level",
    "parent_code",
    "depth",
    "indicator",
    "numerator",
    "denominator",
    "value",
    "target",
    "target_from",
    "status",
    "expected",
    "pace",
    "ci_low",
    "ci_high",
    "verdict",
]


class UnknownUnit(LookupError):
    """A unit code that is not in the database (or not visible from the root)."""


def county_code(conn: Connection) -> str:
    """The root of the tree: the one unit without a parent."""
    row = conn.execute(select(units.c.code).where(units.c.parent_code.is_(None)).limit(1)).first()
    if row is None:
        raise UnknownUnit("the database has no units yet: import units.csv or build the demo")
    return row[0]


def check_unit(conn: Connection, code: str, root: str) -> None:
    """Raise UnknownUnit unless ``code`` exists inside the subtree of ``root``."""
    found = conn.execute(
        select(unit_ancestors.c.unit_code).where(
            unit_ancestors.c.ancestor_code == root, unit_ancestors.c.unit_code == code
        )
    ).first()
    if found is None:
        raise UnknownUnit(f"no unit with code {code!r}")


def _target_map(conn: Connection, root: str, year: int, tree: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    """(unit, indicator) → (target, where it came from: 'own', 'inherited' or 'children').

    Rate targets are inherited from the nearest ancestor that has one (ancestors above
    ``root`` included). Count targets are never inherited; a unit without its own gets the
    sum of its children's, bottom-up. Plain dictionaries over the unit tree (a few hundred
    units): no events are looped over here.
    """
    own = {
        (u, ind): float(v)
        for u, ind, v in conn.execute(
            within(
                select(targets.c.unit_code, targets.c.indicator, targets.c.target), targets.c.unit_code, root
            ).where(targets.c.year == year)
        )
    }
    a = unit_ancestors
    above: dict[str, float] = {}  # the nearest target above the root, per indicator
    for ind, v, _depth in conn.execute(
        select(targets.c.indicator, targets.c.target, a.c.depth)
        .join(a, a.c.ancestor_code == targets.c.unit_code)
        .where(a.c.unit_code == root, a.c.depth > 0, targets.c.year == year)
        .order_by(a.c.depth)
    ):
        above.setdefault(ind, float(v))

    counts = {i.code for i in registry.INDICATORS if i.kind == "count"}
    rates = [i.code for i in registry.INDICATORS if i.kind != "count"]
    units = list(zip(tree["code"], tree["parent_code"], strict=True))  # parents before children
    out: dict[tuple[str, str], tuple] = {}
    for unit, parent in units:
        for ind in rates:
            if (unit, ind) in own:
                out[unit, ind] = (own[unit, ind], "own")
            elif unit == root:
                if ind in above:
                    out[unit, ind] = (above[ind], "inherited")
            elif (parent, ind) in out:
                out[unit, ind] = (out[parent, ind][0], "inherited")
    summed: dict[tuple[str, str], float] = {}
    for unit, parent in reversed(units):
        for ind in counts:
            if (unit, ind) in own:
                out[unit, ind] = (own[unit, ind], "own")
            elif (unit, ind) in summed:
                out[unit, ind] = (summed[unit, ind], "children")
            else:
                continue
            if unit != root:
                summed[parent, ind] = summed.get((parent, ind), 0.0) + out[unit, ind][0]
    return out


def effective_targets(conn: Connection, root: str, year: int, tree: pd.DataFrame) -> pd.DataFrame:
    """The effective targets as a table: unit_code, indicator, target, target_from."""
    found = _target_map(conn, root, year, tree)
    return pd.DataFrame(
        [(u, ind, v, src) for (u, ind), (v, src) in found.items()],
        columns=["unit_code", "indicator", "target", "target_from"],
    ).astype({"target": float})


def compute(
    conn: Connection,
    root: str,
    period: Period,
    basis: str = "registered",
    codes: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Every indicator for ``root`` and every unit below it, units in tree order (parents
    first), indicators in registry order."""
    if basis not in registry.BASES:
        raise ValueError(f"basis must be one of {', '.join(registry.BASES)}, not {basis!r}")
    check_unit(conn, root, root)
    tree = unit_tree(conn, root)
    measures = all_measures(conn, root, period, basis, tree)
    chosen = [registry.get(c) for c in codes] if codes else list(registry.INDICATORS)
    found = _target_map(conn, root, period.year, tree)

    n, k = len(tree), len(chosen)
    num, den, value = (np.empty((n, k)) for _ in range(3))
    for j, ind in enumerate(chosen):
        num[:, j], den[:, j], value[:, j] = _values(ind, measures)
    unit_codes = tree["code"].to_numpy(object)
    ind_codes = np.array([c.code for c in chosen], dtype=object)
    pairs = [(u, c) for u in unit_codes for c in ind_codes]
    target = np.array([found.get(p, (np.nan, None))[0] for p in pairs], dtype=float)
    target_from = np.array([found.get(p, (None, None))[1] for p in pairs], dtype=object)

    def per_unit(column: str) -> np.ndarray:
        return np.repeat(tree[column].to_numpy(object), k)

    long = pd.DataFrame(
        {
            "unit_code": np.repeat(unit_codes, k),
            "name": per_unit("name"),
            "level": per_unit("level"),
            "parent_code": per_unit("parent_code"),
            "depth": np.repeat(tree["depth"].to_numpy(int), k),
            "indicator": np.tile(ind_codes, n),
            "numerator": num.ravel(),
            "denominator": den.ravel(),
            "value": value.ravel(),
            "target": target,
            "target_from": target_from,
        }
    )
    return _status(long, period, chosen)[RESULT_COLUMNS]


def _terms(expression: str) -> list[tuple[float, str]]:
    """'births - deaths' → [(1, 'births'), (-1, 'deaths')]: the registry's expressions are
    sums and differences of measures, and parsing them here is far cheaper than eval."""
    words = expression.split()
    terms, sign = [], 1.0
    for word in words:
        if word in "+-":
            sign = -1.0 if word == "-" else 1.0
        else:
            terms.append((sign, word))
            sign = 1.0
    return terms


def _evaluate(expression: str, measures: pd.DataFrame) -> np.ndarray:
    total = np.zeros(len(measures))
    for sign, name in _terms(expression):
        if name.replace(".", "", 1).isdigit():
            total = total + sign * float(name)
        elif name in measures.columns:
            total = total + sign * measures[name].to_numpy(float)
        elif not name.startswith("rep_"):  # reported measures are absent when nobody reported
            raise KeyError(f"indicator expression uses unknown measure {name!r}")
    return total


def _values(ind: registry.Indicator, measures: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(measures)
    if ind.source == "pending":
        num = np.full(n, np.nan)
        den = np.full(n, np.nan)
    else:
        num = _evaluate(ind.numerator, measures)
        den = _evaluate(ind.denominator, measures) if ind.denominator else np.full(n, np.nan)
    if ind.denominator is None:
        value = num.copy()
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / np.where(den > 0, den, 1.0) * ind.scale, np.nan)
    return num, den, value


def _status(long: pd.DataFrame, period: Period, chosen: list[registry.Indicator]) -> pd.DataFrame:
    n_units = len(long) // max(len(chosen), 1)
    lower_is_better = np.tile([i.better == "lower" for i in chosen], n_units).astype(bool)
    is_count = np.tile([i.kind == "count" for i in chosen], n_units).astype(bool)
    value, target = long["value"].to_numpy(float), long["target"].to_numpy(float)
    has_value, has_target = ~np.isnan(value), ~np.isnan(target)
    both = has_value & has_target
    met = np.zeros(len(long), dtype=bool)
    met[both] = np.where(lower_is_better[both], value[both] <= target[both], value[both] >= target[both])
    long["status"] = np.select(
        [~has_value, ~has_target, met], ["no_data", "no_target", "met"], "not_met"
    ).astype(object)

    # Pace is for count targets only: a unit below target × year fraction is behind.
    paced = is_count & both
    expected = np.where(is_count & has_target, target * period.year_fraction, np.nan)
    long["expected"] = expected
    long["pace"] = np.where(paced, np.where(value < expected, "behind", "on_track"), None).astype(object)

    sr = (long["indicator"].to_numpy(object) == "sex_ratio_at_birth").astype(bool)
    lo, hi, verdict = sex_ratio_verdict(
        long.loc[sr, "numerator"].to_numpy(float),
        long.loc[sr, "denominator"].to_numpy(float),
        target[sr],
    )
    ci_low, ci_high = np.full(len(long), np.nan), np.full(len(long), np.nan)
    ci_low[sr], ci_high[sr] = lo, hi
    verdicts = np.full(len(long), None, dtype=object)
    verdicts[sr] = verdict
    long["ci_low"], long["ci_high"], long["verdict"] = ci_low, ci_high, verdicts
    return long
