"""The indicator engine: measures → indicator values → targets → status, pace, interval.

``compute`` returns one row per unit and indicator, the long table the command line
prints and every page reads. Pure: a connection and plain values in, a DataFrame out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from queries.analytics.read import all_measures
from queries.engine import registry
from queries.engine.period import Period
from queries.engine.verdict import judge
from queries.store.frames import unit_tree, within
from queries.store.schema import targets, unit_ancestors, units

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
    "significance",
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


def _targets(
    conn: Connection, root: str, year: int, tree: pd.DataFrame, chosen: list[registry.Indicator]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The effective target of every unit (rows, in tree order) and indicator (columns, as
    ``chosen``), where it came from: 'own', 'inherited' or 'children' (None: none), and the
    fallback: what would apply if the unit had no own target.

    Rate targets are inherited from the nearest ancestor that has one (ancestors above
    ``root`` included). Count targets are never inherited; a unit without its own gets the
    sum of its children's, bottom-up. Arrays over the unit tree, one tree level at a time:
    a few hundred units, no events.
    """
    codes = tree["code"].to_numpy(object)
    n, k = len(codes), len(chosen)
    row = {code: i for i, code in enumerate(codes)}
    col = {ind.code: j for j, ind in enumerate(chosen)}
    value = np.full((n, k), np.nan)
    for unit, ind, v in conn.execute(
        within(
            select(targets.c.unit_code, targets.c.indicator, targets.c.target), targets.c.unit_code, root
        ).where(targets.c.year == year)
    ):
        if ind in col:
            value[row[unit], col[ind]] = v
    source = np.where(np.isnan(value), np.array(None), "own").astype(object)
    if n == 0:
        return value, source, value.copy()

    a = unit_ancestors
    above: dict[str, float] = {}  # the nearest target above the root, per indicator
    for ind, v, _depth in conn.execute(
        select(targets.c.indicator, targets.c.target, a.c.depth)
        .join(a, a.c.ancestor_code == targets.c.unit_code)
        .where(a.c.unit_code == root, a.c.depth > 0, targets.c.year == year)
        .order_by(a.c.depth)
    ):
        above.setdefault(ind, float(v))

    depth = tree["depth"].to_numpy(int)
    parent = np.array([row.get(p, -1) for p in tree["parent_code"]], dtype=int)
    rates = np.array([j for j, ind in enumerate(chosen) if ind.kind != "count"], dtype=int)
    counts = np.array([j for j, ind in enumerate(chosen) if ind.kind == "count"], dtype=int)

    # What would apply without an own target: for a rate its parent's (the root: the nearest
    # above it), for a count the sum of its children's.
    fallback = np.full((n, k), np.nan)
    for j in rates:  # the root: from above it
        fallback[0, j] = above.get(chosen[j].code, np.nan)
        if np.isnan(value[0, j]) and chosen[j].code in above:
            value[0, j], source[0, j] = above[chosen[j].code], "inherited"
    for d in range(1, depth.max() + 1):  # top-down: a parent is settled before its children
        rows = np.flatnonzero(depth == d)
        mine, theirs = value[np.ix_(rows, rates)], value[np.ix_(parent[rows], rates)]
        fallback[np.ix_(rows, rates)] = theirs
        take = np.isnan(mine) & ~np.isnan(theirs)
        r, c = np.nonzero(take)
        value[rows[r], rates[c]] = theirs[take]
        source[rows[r], rates[c]] = "inherited"

    for d in range(depth.max(), 0, -1):  # bottom-up: children are settled before their parent
        rows = np.flatnonzero(depth == d)
        mine = value[np.ix_(rows, counts)]
        has = ~np.isnan(mine)
        total, seen = np.zeros((n, len(counts))), np.zeros((n, len(counts)), dtype=int)
        np.add.at(total, parent[rows], np.where(has, mine, 0.0))
        np.add.at(seen, parent[rows], has)
        up = np.unique(parent[rows])  # all their children are at this depth
        fallback[np.ix_(up, counts)] = np.where(seen[up] > 0, total[up], np.nan)
        take = np.isnan(value[np.ix_(up, counts)]) & (seen[up] > 0)
        r, c = np.nonzero(take)
        value[up[r], counts[c]] = total[up[r], c]
        source[up[r], counts[c]] = "children"
    return value, source, fallback


def effective_targets(conn: Connection, root: str, year: int, tree: pd.DataFrame) -> pd.DataFrame:
    """The effective targets as a table: unit_code, indicator, target, target_from, and
    fallback (what would apply without an own target: NaN where nothing would). A unit and
    indicator without an effective target has no row (nor then any fallback)."""
    chosen = list(registry.INDICATORS)
    value, source, fallback = _targets(conn, root, year, tree, chosen)
    r, c = np.nonzero(~np.isnan(value))
    return pd.DataFrame(
        {
            "unit_code": pd.Series(tree["code"].to_numpy(object)[r], dtype=object),
            "indicator": pd.Series(np.array([i.code for i in chosen], dtype=object)[c], dtype=object),
            "target": value[r, c],
            "target_from": pd.Series(source[r, c], dtype=object),
            "fallback": fallback[r, c],
        }
    )


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
    target, target_from, _ = _targets(conn, root, period.year, tree, chosen)

    n, k = len(tree), len(chosen)
    columns = {name: measures[name].to_numpy(float) for name in measures.columns}
    num, den, value = (np.empty((n, k)) for _ in range(3))
    for j, ind in enumerate(chosen):
        num[:, j], den[:, j], value[:, j] = _values(ind, columns, n)

    def per_unit(column: str) -> np.ndarray:
        return np.repeat(tree[column].to_numpy(object), k)

    data = {
        "unit_code": per_unit("code"),
        "name": per_unit("name"),
        "level": per_unit("level"),
        "parent_code": per_unit("parent_code"),
        "depth": np.repeat(tree["depth"].to_numpy(int), k),
        "indicator": np.tile(np.array([c.code for c in chosen], dtype=object), n),
        "numerator": num.ravel(),
        "denominator": den.ravel(),
        "value": value.ravel(),
        "target": target.ravel(),
        "target_from": target_from.ravel(),
    }
    data |= _status(data, period, chosen)
    # Text stays plain Python objects: pandas 3 would make each an Arrow string column,
    # which costs more than the rest of this function.
    return pd.DataFrame(
        {
            name: pd.Series(data[name], dtype=object) if data[name].dtype == object else data[name]
            for name in RESULT_COLUMNS
        },
        columns=pd.Index(RESULT_COLUMNS, dtype=object),
    )


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


def _evaluate(expression: str, columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    total = np.zeros(n)
    for sign, name in _terms(expression):
        if name.replace(".", "", 1).isdigit():
            total = total + sign * float(name)
        elif name in columns:
            total = total + sign * columns[name]
        elif not name.startswith("rep_"):  # reported measures are absent when nobody reported
            raise KeyError(f"indicator expression uses unknown measure {name!r}")
    return total


def _values(
    ind: registry.Indicator, columns: dict[str, np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if ind.source == "pending":
        num = np.full(n, np.nan)
        den = np.full(n, np.nan)
    else:
        num = _evaluate(ind.numerator, columns, n)
        den = _evaluate(ind.denominator, columns, n) if ind.denominator else np.full(n, np.nan)
    if ind.denominator is None:
        value = num.copy()
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / np.where(den > 0, den, 1.0) * ind.scale, np.nan)
    return num, den, value


def _status(data: dict[str, np.ndarray], period: Period, chosen: list[registry.Indicator]) -> dict:
    """Status, pace, the sex ratio's interval and the verdict (``queries.engine.verdict``), as
    columns for ``data`` (the long table's arrays)."""
    return judge(
        data["indicator"],
        data["value"],
        data["target"],
        data["numerator"],
        data["denominator"],
        period.year_fraction,
    )
