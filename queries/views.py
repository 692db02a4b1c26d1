"""What the overview and scorecard pages show, computed from the engine's long table.

Pure pandas on the small per-unit table (a few thousand rows): no SQL here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from queries import registry
from queries.indicators import compute
from queries.period import Period

DATA_LEVELS = ("village", "community")


def shortfall(table: pd.DataFrame) -> pd.Series:
    """How far a value is on the wrong side of its target, as a share of the target.

    Positive means failing; NaN without a value or target. The sex ratio counts as failing
    only when its interval lies wholly above the line (the spec's honest rule), so a
    village whose few births merely look high is never ranked as behind for it.
    """
    lower = table["indicator"].map(lambda c: registry.BY_CODE[c].better == "lower")
    target = table["target"].where(table["target"] != 0)
    gap = (table["value"] - target) / target.abs()
    out = gap.where(lower, -gap)
    not_significant = (table["indicator"] == "sex_ratio_at_birth") & (table["verdict"] != "high")
    return out.mask(not_significant & (out > 0), 0.0)


def overview(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    """The root unit's indicators with last year's value over the same stretch of the year."""
    now = compute(conn, root, period, basis)
    before = compute(conn, root, period.previous_year(), basis)
    cards = now[now["unit_code"] == root].set_index("indicator")
    last = before[before["unit_code"] == root].set_index("indicator")["value"]
    cards = cards.assign(previous=last.reindex(cards.index), change=cards["value"] - last.reindex(cards.index))
    return cards.reset_index()


def unit_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per unit: indicators met, failed (honestly), behind pace, and the mean shortfall."""
    t = table.assign(shortfall=shortfall(table))
    failing = (t["shortfall"] > 0) & (t["status"] == "not_met")
    judged = t["status"].isin(["met", "not_met"])
    g = t.assign(failing=failing, judged=judged, met=t["status"] == "met", behind=t["pace"] == "behind")
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
        .query("status == 'not_met' and shortfall > 0")
        .sort_values("shortfall", ascending=False)
        .drop_duplicates("unit_code")
        .set_index("unit_code")["indicator"]
    )
    return summary.assign(worst_indicator=worst.reindex(summary.index)).reset_index()


def children_of(table: pd.DataFrame, parent: str) -> pd.DataFrame:
    return table[table["parent_code"] == parent]


def scorecard(table: pd.DataFrame, parent: str, codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per child unit of ``parent``: rank, counts, and value/target/gap/status for
    every indicator, in columns named ``<code>|value`` and so on.

    Rank: most indicators met first, then the smaller mean shortfall; equal units share a rank.
    """
    rows = children_of(table, parent)
    if codes:
        rows = rows[rows["indicator"].isin(codes)]
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(gap=rows["value"] - rows["target"])
    wide = rows.pivot(index="unit_code", columns="indicator", values=["value", "target", "gap", "status"])
    order = [c for c in registry.CODES if c in set(rows["indicator"])]
    wide.columns = [f"{ind}|{part}" for part, ind in wide.columns]
    wide = wide[[f"{ind}|{part}" for ind in order for part in ("value", "target", "gap", "status")]]
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


def pace_summary(row: pd.Series) -> float:
    """Done as a share of the expected-by-today count (1.0 = exactly on pace)."""
    if not row.get("expected") or np.isnan(row.get("expected", np.nan)):
        return np.nan
    return row["value"] / row["expected"]
