"""The indicator engine: measures → indicator values → targets → status, pace, interval.

``compute`` returns one row per unit and indicator, the long table the command line
prints and every page reads. Pure: a connection and plain values in, a DataFrame out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from queries import registry
from queries.measures import all_measures, frame, unit_tree, within
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


def effective_targets(conn: Connection, root: str, year: int, tree: pd.DataFrame) -> pd.DataFrame:
    """Target per (unit, indicator) with where it came from: 'own', 'inherited' or 'children'.

    Rate targets are inherited from the nearest ancestor that has one (ancestors above
    ``root`` included). Count targets are never inherited; a unit without its own gets the
    sum of its children's, bottom-up.
    """
    cols = ["unit_code", "indicator", "target"]
    own = frame(
        conn,
        within(
            select(targets.c.unit_code, targets.c.indicator, targets.c.target), targets.c.unit_code, root
        ).where(targets.c.year == year),
        cols,
    )
    # The nearest target above the root, per indicator, is what the root inherits.
    a = unit_ancestors
    above = frame(
        conn,
        select(targets.c.indicator, targets.c.target, a.c.depth)
        .join(a, a.c.ancestor_code == targets.c.unit_code)
        .where(a.c.unit_code == root, a.c.depth > 0, targets.c.year == year)
        .order_by(a.c.depth),
        ["indicator", "target", "depth"],
    ).drop_duplicates("indicator")

    counts = [i.code for i in registry.INDICATORS if i.kind == "count"]
    is_count = own["indicator"].isin(counts)
    own_rates, own_counts = own[~is_count], own[is_count]
    levels = [tree[tree["depth"] == d][["code", "parent_code"]] for d in sorted(tree["depth"].unique())]

    # Rates, top-down: a unit's own target, else its parent's effective one.
    inherited = above[~above["indicator"].isin(counts)].assign(unit_code=root)[cols]
    rate_frames = []
    parent_eff = pd.DataFrame(columns=cols)
    for level in levels:
        from_parent = level.merge(
            parent_eff, left_on="parent_code", right_on="unit_code", suffixes=("", "_p")
        )
        from_parent = from_parent[["code", "indicator", "target"]].rename(columns={"code": "unit_code"})
        if level["code"].eq(root).any():
            from_parent = inherited
        mine = own_rates[own_rates["unit_code"].isin(level["code"])]
        eff = pd.concat([mine.assign(target_from="own"), from_parent.assign(target_from="inherited")])
        eff = eff.drop_duplicates(["unit_code", "indicator"], keep="first")
        rate_frames.append(eff)
        parent_eff = eff[cols]

    # Counts, bottom-up: a unit's own target, else the sum of its children's effective ones.
    count_frames = []
    child_eff = pd.DataFrame(columns=cols)
    for level in reversed(levels):
        summed = (
            child_eff.merge(tree[["code", "parent_code"]], left_on="unit_code", right_on="code")
            .groupby(["parent_code", "indicator"], as_index=False)["target"]
            .sum()
            .rename(columns={"parent_code": "unit_code"})
        )
        mine = own_counts[own_counts["unit_code"].isin(level["code"])]
        eff = pd.concat([mine.assign(target_from="own"), summed.assign(target_from="children")])
        eff = eff[eff["unit_code"].isin(level["code"])].drop_duplicates(
            ["unit_code", "indicator"], keep="first"
        )
        count_frames.append(eff)
        child_eff = eff[cols]
    frames = [f for f in (*rate_frames, *count_frames) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*cols, "target_from"])
    return pd.concat(frames, ignore_index=True)[[*cols, "target_from"]].astype({"target": float})


def compute(
    conn: Connection,
    root: str,
    period: Period,
    basis: str = "registered",
    codes: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Every indicator for ``root`` and every unit below it."""
    if basis not in registry.BASES:
        raise ValueError(f"basis must be one of {', '.join(registry.BASES)}, not {basis!r}")
    check_unit(conn, root, root)
    tree = unit_tree(conn, root)
    measures = all_measures(conn, root, period, basis)
    chosen = [registry.get(c) for c in codes] if codes else list(registry.INDICATORS)

    frames = []
    for ind in chosen:
        frames.append(_values(ind, measures))
    long = pd.concat(frames, ignore_index=True)

    tg = effective_targets(conn, root, period.year, tree)
    long = long.merge(tg, on=["unit_code", "indicator"], how="left")
    long = long.merge(tree.rename(columns={"code": "unit_code"}), on="unit_code", how="left")
    long = _status(long, period)
    order = {c.code: i for i, c in enumerate(chosen)}
    long = long.sort_values(
        ["depth", "unit_code", "indicator"], key=lambda s: s.map(order) if s.name == "indicator" else s
    )
    return long[RESULT_COLUMNS].reset_index(drop=True)


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


def _values(ind: registry.Indicator, measures: pd.DataFrame) -> pd.DataFrame:
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
    return pd.DataFrame(
        {
            "unit_code": measures.index.to_numpy(),
            "indicator": ind.code,
            "numerator": num,
            "denominator": den,
            "value": value,
        }
    )


def _status(long: pd.DataFrame, period: Period) -> pd.DataFrame:
    spec = long["indicator"].map(registry.BY_CODE)
    lower_is_better = spec.map(lambda i: i.better == "lower").to_numpy(bool)
    is_count = spec.map(lambda i: i.kind == "count").to_numpy(bool)
    value, target = long["value"].to_numpy(float), long["target"].to_numpy(float)
    has_value, has_target = ~np.isnan(value), ~np.isnan(target)
    both = has_value & has_target
    met = np.zeros(len(long), dtype=bool)
    met[both] = np.where(lower_is_better[both], value[both] <= target[both], value[both] >= target[both])
    long["status"] = np.select([~has_value, ~has_target, met], ["no_data", "no_target", "met"], "not_met")

    # Pace is for count targets only: a unit below target × year fraction is behind.
    paced = is_count & both
    expected = np.where(is_count & has_target, target * period.year_fraction, np.nan)
    long["expected"] = expected
    long["pace"] = pd.Series(np.where(value < expected, "behind", "on_track"), index=long.index).where(paced)

    sr = (long["indicator"] == "sex_ratio_at_birth").to_numpy()
    lo, hi, verdict = sex_ratio_verdict(
        long.loc[sr, "numerator"].to_numpy(float),
        long.loc[sr, "denominator"].to_numpy(float),
        target[sr],
    )
    long["ci_low"] = np.nan
    long["ci_high"] = np.nan
    long["verdict"] = pd.Series(None, index=long.index, dtype=object)
    long.loc[sr, "ci_low"] = lo
    long.loc[sr, "ci_high"] = hi
    long.loc[sr, "verdict"] = verdict
    return long
