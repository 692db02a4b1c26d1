"""The indicator engine: measures → indicator values → targets → status, pace, interval.

``compute`` returns one row per unit and indicator, the long table the command line
prints and every page reads. Pure: a connection and plain values in, a DataFrame out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from queries import registry
from queries.measures import all_measures, subtree, unit_tree
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
    a = unit_ancestors
    stmt = (
        select(a.c.unit_code, targets.c.indicator, targets.c.target, a.c.depth)
        .join(targets, targets.c.unit_code == a.c.ancestor_code)
        .where(targets.c.year == year, a.c.unit_code.in_(subtree(root)))
    )
    rows = pd.DataFrame(conn.execute(stmt).all(), columns=["unit_code", "indicator", "target", "depth"])
    counts = {i.code for i in registry.INDICATORS if i.kind == "count"}
    is_count = rows["indicator"].isin(counts)

    rates = rows[~is_count].sort_values("depth").drop_duplicates(["unit_code", "indicator"])
    rates = rates.assign(target_from=np.where(rates["depth"] == 0, "own", "inherited"))

    own_counts = rows[is_count & (rows["depth"] == 0)]
    count_frames = [own_counts.assign(target_from="own")]
    parent_of = tree.set_index("code")["parent_code"]
    depth_of = tree.set_index("code")["depth"]
    for code in counts:
        have = own_counts.loc[own_counts["indicator"] == code].set_index("unit_code")["target"].to_dict()
        summed: dict[str, float] = {}
        for depth in sorted(depth_of.unique(), reverse=True):
            for unit in depth_of.index[depth_of == depth]:
                value = have.get(unit, summed.get(unit))
                if value is None:
                    continue
                parent = parent_of.get(unit)
                if parent in depth_of.index:
                    summed[parent] = summed.get(parent, 0.0) + value
        extra = [(u, code, t) for u, t in summed.items() if u not in have]
        if extra:
            frame = pd.DataFrame(extra, columns=["unit_code", "indicator", "target"])
            count_frames.append(frame.assign(target_from="children"))
    out = pd.concat([rates, *count_frames], ignore_index=True)
    return out[["unit_code", "indicator", "target", "target_from"]]


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


def _values(ind: registry.Indicator, measures: pd.DataFrame) -> pd.DataFrame:
    n = len(measures)
    if ind.source == "pending":
        num = pd.Series(np.nan, index=measures.index)
        den = pd.Series(np.nan, index=measures.index)
    else:
        needed = ind.numerator.split() + (ind.denominator.split() if ind.denominator else [])
        frame = measures.reindex(
            columns=sorted(set(measures.columns) | {w for w in needed if w.startswith("rep_")}),
            fill_value=0.0,
        )
        num = pd.Series(frame.eval(ind.numerator), index=frame.index, dtype=float)
        den = (
            pd.Series(frame.eval(ind.denominator), index=frame.index, dtype=float)
            if ind.denominator
            else pd.Series(np.nan, index=frame.index)
        )
    if ind.denominator is None:
        value = num.copy()
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = num.where(den > 0) / den.where(den > 0) * ind.scale
    return pd.DataFrame(
        {
            "unit_code": measures.index.to_numpy(),
            "indicator": [ind.code] * n,
            "numerator": num.to_numpy(),
            "denominator": den.to_numpy(),
            "value": value.to_numpy(),
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
