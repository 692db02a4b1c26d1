"""What the overview and scorecard pages show, computed from the engine's long table.

Pure pandas on the small per-unit table (a few thousand rows): no SQL here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from queries.engine import registry, verdict
from queries.engine.period import Period
from queries.engine.stats import band_distance


def shortfall(table: pd.DataFrame) -> pd.Series:
    """How far a value is on the wrong side of its target, as a share of the target.

    Positive means failing (the verdict says so); NaN without a value or target. A sex ratio
    fails only when significantly high (its gap to the target) or significantly low (its
    gap below the normal band), so a village whose few births merely look high is never
    ranked as behind for it.
    """
    lower = table["indicator"].map(lambda c: registry.BY_CODE[c].better == "lower")
    target = table["target"].where(table["target"] != 0)
    gap = (table["value"] - target) / target.abs()
    out = gap.where(lower, -gap)
    for indicator, band in registry.BANDS.items():
        rows = table["indicator"] == indicator
        low = rows & (table["verdict"] == "significantly_low")
        out = out.mask(low, (band.low - table["value"]) / band.low)
        out = out.mask(rows & ~table["verdict"].isin(verdict.FAILING) & (out > 0), 0.0)
    return out


def overview(now: pd.DataFrame, before: pd.DataFrame, root: str) -> pd.DataFrame:
    """The root unit's indicators from ``now`` (the engine's table) with ``before``'s value
    (the same stretch of last year: Period.previous_year) and the change."""
    cards = now[now["unit_code"] == root].set_index("indicator")
    last = before[before["unit_code"] == root].set_index("indicator")["value"]
    cards = cards.assign(
        previous=last.reindex(cards.index), change=cards["value"] - last.reindex(cards.index)
    )
    return cards.reset_index()


def unit_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per unit: indicators met, failed (honestly), behind pace, and the mean shortfall."""
    t = table.assign(shortfall=shortfall(table))
    g = t.assign(
        failing=t["verdict"].isin(verdict.FAILING),
        judged=t["verdict"].isin(verdict.JUDGED),
        met=t["verdict"] == "met",
        behind=t["verdict"] == "behind",
    )
    out = g.groupby("unit_code").agg(
        name=("name", "first"),
        level=("level", "first"),
        parent_code=("parent_code", "first"),
        met=("met", "sum"),
        failing=("failing", "sum"),
        judged=("judged", "sum"),
        behind=("behind", "sum"),
        worst_shortfall=("shortfall", "max"),
        mean_shortfall=("shortfall", lambda s: s.clip(lower=0).mean()),
    )
    return out


def units_behind(table: pd.DataFrame, levels: tuple[str, ...], limit: int = 10) -> pd.DataFrame:
    """Units most behind, worst first: most failing indicators, then the largest shortfall."""
    summary = unit_summary(table[table["level"].isin(levels)])
    summary = summary[(summary["failing"] > 0) | (summary["behind"] > 0)]
    summary = summary.sort_values(
        ["failing", "behind", "mean_shortfall"], ascending=[False, False, False]
    ).head(limit)
    worst = (
        table.assign(shortfall=shortfall(table))
        .loc[lambda x: x["verdict"].isin(verdict.FAILING) & (x["shortfall"] > 0)]
        .sort_values("shortfall", ascending=False)
        .drop_duplicates("unit_code")
        .set_index("unit_code")["indicator"]
    )
    return summary.assign(worst_indicator=worst.reindex(summary.index)).reset_index()


def children_of(table: pd.DataFrame, parent: str) -> pd.DataFrame:
    return table[table["parent_code"] == parent]


def scorecard(table: pd.DataFrame, parent: str, codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per child unit of ``parent``: rank, counts, and value/target/gap/verdict for
    every indicator, in columns named ``<code>|value`` and so on.

    Rank: most indicators met first, then the smaller mean shortfall; equal units share a rank.
    """
    rows = children_of(table, parent)
    if codes:
        rows = rows[rows["indicator"].isin(codes)]
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(gap=rows["value"] - rows["target"])
    wide = rows.pivot(index="unit_code", columns="indicator", values=["value", "target", "gap", "verdict"])
    assert isinstance(wide.columns, pd.MultiIndex)  # (part, indicator): values is a list
    order = [c for c in registry.CODES if c in set(rows["indicator"])]
    wide.columns = [f"{ind}|{part}" for part, ind in wide.columns]
    wide = wide[[f"{ind}|{part}" for ind in order for part in ("value", "target", "gap", "verdict")]]
    summary = unit_summary(rows)
    key = summary["met"] * 1e6 - summary["mean_shortfall"].fillna(0).round(9) * 1e3
    summary["rank"] = key.rank(ascending=False, method="min").astype(int)
    out = summary[["name", "level", "rank", "met", "failing", "judged", "behind"]].join(wide)
    return out.sort_values(["rank", "name"]).reset_index()


def failing_only(card: pd.DataFrame) -> pd.DataFrame:
    return card[(card["failing"] > 0) | (card["behind"] > 0)]


def level_of_children(table: pd.DataFrame, parent: str) -> str | None:
    kids = children_of(table, parent)
    return None if kids.empty else str(kids["level"].iloc[0])


# --------------------------------------------------------------------------- checks and migrants pages

CHECK_PROGRESS_COLUMNS = [
    "unit_code",
    "name",
    "level",
    "done",
    "target",
    "completion",
    "coverage",
    "expected_now",
    "pace",
    "verdict",
    "projected_pace",
    "projected_rhythm",
    "chance",
    "will_miss",
]
MIGRANT_PROGRESS_COLUMNS = [
    "unit_code",
    "name",
    "level",
    "inflow_present",
    "inflow_served",
    "not_served",
    "outflow_present",
    "coverage",
    "target",
    "verdict",
]


def _indicator_rows(table: pd.DataFrame, code: str) -> pd.DataFrame:
    return table[table["indicator"] == code].set_index("unit_code")


def check_progress(projection: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The pre-pregnancy check task per unit: the projection (``queries.services.projection``) beside
    the engine's status, pace and coverage, with completion = done ÷ target × 100 and the
    chance to meet in %; the units least likely to meet their task first (no chance last)."""
    if projection.empty:
        return pd.DataFrame(columns=CHECK_PROGRESS_COLUMNS)
    checks = _indicator_rows(table, registry.CHECK_COUNT)
    coverage = _indicator_rows(table, registry.CHECK_COVERAGE)["value"]
    p = projection.set_index("unit_code")
    target = p["target"].where(p["target"] > 0)
    out = p.assign(
        name=checks["name"].reindex(p.index),
        level=checks["level"].reindex(p.index),
        completion=p["done"] / target * 100.0,
        coverage=coverage.reindex(p.index).astype(float),
        pace=checks["pace"].reindex(p.index),
        verdict=checks["verdict"].reindex(p.index),
        chance=p["chance_to_meet"] * 100.0,
    ).reset_index()
    out = out.sort_values(["chance", "name"], na_position="last", kind="stable")
    return out[CHECK_PROGRESS_COLUMNS].reset_index(drop=True)


def check_headline(own: pd.DataFrame, children: pd.DataFrame) -> dict:
    """The headline figures of the checks page: the unit's own done, target, expected by
    now and projections (first row of ``own``, a :func:`check_progress` frame), and how
    many of ``children`` are likely to miss their task."""
    row = own.iloc[0] if len(own) else pd.Series(dtype=object)
    return {
        "done": row.get("done", np.nan),
        "target": row.get("target", np.nan),
        "expected_now": row.get("expected_now", np.nan),
        "projected_rhythm": row.get("projected_rhythm", np.nan),
        "projected_pace": row.get("projected_pace", np.nan),
        "chance": row.get("chance", np.nan),
        "verdict": row.get("verdict"),
        "pace": row.get("pace"),
        "likely_miss": int(children["will_miss"].astype(bool).sum()) if len(children) else 0,
        "units": len(children),
        # nothing to show: no task and no couple checked
        "empty": pd.isna(row.get("target")) and not row.get("done", 0) > 0,
    }


def migrant_progress(flows: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Migrant counts per unit (``queries.services.trends.migrant_flows``) beside the engine's service
    coverage, target and status, with the inflow migrants not yet served; in the order of
    ``flows``."""
    if flows.empty:
        return pd.DataFrame(columns=MIGRANT_PROGRESS_COLUMNS)
    cov = _indicator_rows(table, registry.MIGRANT_COVERAGE)
    f = flows.set_index("unit_code")
    out = f.assign(
        name=cov["name"].reindex(f.index),
        level=cov["level"].reindex(f.index),
        not_served=(f["inflow_present"] - f["inflow_served"]).astype(int),
        coverage=cov["value"].reindex(f.index).astype(float),
        target=cov["target"].reindex(f.index).astype(float),
        verdict=cov["verdict"].reindex(f.index),
    ).reset_index()
    return out[MIGRANT_PROGRESS_COLUMNS]


def migrant_priority(progress: pd.DataFrame) -> pd.DataFrame:
    """Units with many inflow migrants not served first (then the lower coverage)."""
    return progress.sort_values(
        ["not_served", "coverage", "name"], ascending=[False, True, True], na_position="last", kind="stable"
    ).reset_index(drop=True)


def sort_by(frame: pd.DataFrame, column: str, ascending: bool = True) -> pd.DataFrame:
    """A frame sorted on one column, missing values last (for charts' and tables' order)."""
    return frame.sort_values(column, ascending=ascending, na_position="last", kind="stable").reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- unit detail

DETAIL_COLUMNS = [
    "indicator",
    "value",
    "target",
    "target_from",
    "status",
    "expected",
    "pace",
    "parent_value",
    "peer_median",
    "peer_rank",
    "peer_count",
    "ci_low",
    "ci_high",
    "significance",
    "verdict",
]


def unit_info(units: pd.DataFrame, code: str) -> dict | None:
    """The unit ``code`` in the ``units`` frame (code, name, level, parent_code): its name,
    level, parent (code and name, None for the county) and its children's codes.
    None when the code is unknown."""
    row = units.loc[units["code"] == code]
    if row.empty:
        return None
    parent = row["parent_code"].iloc[0]
    parent = None if parent is None or (isinstance(parent, float) and np.isnan(parent)) else str(parent)
    names = units.set_index("code")["name"]
    return {
        "code": code,
        "name": str(row["name"].iloc[0]),
        "level": str(row["level"].iloc[0]),
        "parent_code": parent,
        "parent_name": None if parent is None else str(names.get(parent, parent)),
        "children": units.loc[units["parent_code"] == code, "code"].astype(str).tolist(),
    }


def unit_detail(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """One row per indicator for unit ``code``: the engine's value, target, status, pace and
    interval, with the parent's value, and the peers' median and the unit's rank among them.

    ``table`` is the engine's long table for a root above the unit and its parent (the
    county). Peers are the children of the unit's parent, the unit included; the median and
    the rank are over peers that have a value. Rank 1 is the best by the indicator's
    direction (lowest where lower meets the target); ties share the better rank. The county
    has no parent and no peers: those columns are NaN.
    """
    own = table.loc[table["unit_code"] == code]
    if own.empty:
        return pd.DataFrame(columns=DETAIL_COLUMNS)
    own = own.set_index("indicator")
    parent = own["parent_code"].iloc[0]
    has_parent = isinstance(parent, str) and parent != ""
    parent_rows = table.loc[table["unit_code"] == parent] if has_parent else table.iloc[0:0]
    peers = table.loc[table["parent_code"] == parent] if has_parent else table.iloc[0:0]
    peers = peers.loc[peers["value"].notna()]

    lower = peers["indicator"].map(lambda c: registry.BY_CODE[c].better == "lower")
    key = peers["value"].where(lower, -peers["value"])
    # The sex ratio's best is inside the normal band, not the lowest ratio.
    for indicator, band in registry.BANDS.items():
        key = key.mask(peers["indicator"] == indicator, band_distance(peers["value"], band))
    ranks = key.groupby(peers["indicator"]).rank(method="min")
    own_rank = ranks[peers["unit_code"] == code]
    rank = pd.Series(own_rank.to_numpy(), index=peers.loc[own_rank.index, "indicator"].to_numpy())

    out = own.assign(
        parent_value=parent_rows.set_index("indicator")["value"].reindex(own.index),
        peer_median=peers.groupby("indicator")["value"].median().reindex(own.index),
        peer_rank=rank.reindex(own.index),
        peer_count=peers.groupby("indicator")["value"].count().reindex(own.index),
    )
    return out.reset_index()[DETAIL_COLUMNS]


def lineage(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The sex ratio row of ``code`` and of each of its ancestors in ``table``, the unit first:
    unit_code, name, level, value, target, ci_low, ci_high, significance, verdict, boys, girls."""
    sr = table.loc[table["indicator"] == registry.interval_judged().code].set_index("unit_code")
    rows: list[str] = []
    current: object = code  # the parent_code cell: a code, or None above the root
    while isinstance(current, str) and current in sr.index:
        rows.append(current)
        current = sr.at[current, "parent_code"]
    out = sr.loc[rows, ["name", "level", "value", "target", "ci_low", "ci_high", "significance", "verdict"]]
    return out.assign(boys=sr.loc[rows, "numerator"], girls=sr.loc[rows, "denominator"]).reset_index()


def trend_years(available: list[int], year: int, span: int = 5) -> list[int]:
    """The years of ``available`` in the ``span`` years ending with ``year``, oldest first."""
    return sorted(y for y in available if year - span < y <= year)


def trend_with_data(trend: pd.DataFrame) -> pd.DataFrame:
    """A trend (``queries.services.trends.trend``) without the years in which the unit has no events
    at all: no births, no pre-pregnancy check and no migrant served (a year that has only
    year-end population rows would otherwise show a birth rate of 0)."""
    events = trend.loc[trend["indicator"].isin(registry.ACTIVITY)]
    active = events.loc[events["numerator"].fillna(0) > 0, "year"].unique()
    return trend.loc[trend["year"].isin(active)].reset_index(drop=True)


def births_by_month(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    """Births per month of the period's year through the as-of month beside all twelve
    months of the year before, in one long frame: year, month, births, boys, girls.

    ``queries.services.trends.monthly_births`` for both years; the as-of month counts whole.
    """
    from queries.services.trends import monthly_births

    this = monthly_births(conn, root, period.year, basis)
    this = this.loc[this["month"] <= period.as_of.month].assign(year=period.year)
    last = monthly_births(conn, root, period.year - 1, basis).assign(year=period.year - 1)
    return pd.concat([last, this], ignore_index=True)[["year", "month", "births", "boys", "girls"]]
