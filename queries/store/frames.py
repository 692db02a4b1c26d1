"""Running SQL into frames, and the unit tree: the subtree filter (``within`` for reading
rows, ``subtree`` for existence tests) and the tree of a root."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, and_, select

from queries.store.schema import unit_ancestors, units

UNIT_FRAME_COLUMNS = ["code", "name", "level", "parent_code", "depth"]


def frame(conn: Connection, stmt, columns: list[str]) -> pd.DataFrame:
    """Run ``stmt`` into a DataFrame.

    Plain tuples, because pandas builds a frame from SQLAlchemy Row objects an order of
    magnitude slower; and text columns stay plain Python objects, because pandas 3's
    Arrow-backed strings made merging these small per-unit frames the engine's largest cost
    (docs/benchmarks.md)."""
    rows = conn.execute(stmt).fetchall()
    data = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object) if _is_text(values) else pd.Series(values)
            for name, values in zip(columns, data, strict=True)
        },
        columns=columns,
    )


def numeric_frame(conn: Connection, stmt, names, params: dict | None = None) -> pd.DataFrame:
    """Run ``stmt`` (a unit code, then numbers) into floats indexed by code; NULL is NaN.
    One array for all the numbers: these frames are built on every scorecard."""
    rows = conn.execute(stmt, params or {}).fetchall()
    values = np.array([row[1:] for row in rows], dtype=float).reshape(len(rows), len(names))
    return pd.DataFrame(
        values,
        index=pd.Index([row[0] for row in rows], dtype=object, name="code"),
        columns=pd.Index(list(names), dtype=object),
    )


def _is_text(values) -> bool:
    first = next((v for v in values if v is not None), None)
    return first is None or isinstance(first, str)


def within(stmt: Select, unit_column, root: str) -> Select:
    """Keep rows whose ``unit_column`` lies in the subtree of ``root``: the subtree filter of
    every query that reads rows to count or sum them.

    An equality join on the closure table, not ``IN (subtree)``: SQLite turns the IN list
    into one index probe per row and list entry, which made every roll-up 4× slower.
    """
    scope = unit_ancestors.alias()
    return stmt.join(scope, and_(scope.c.unit_code == unit_column, scope.c.ancestor_code == root))


def subtree(root: str) -> Select:
    """Codes of ``root`` and every unit below it, for ``EXISTS`` tests only (``column.in_(
    subtree(root))``), which stop at the first row found.

    Joined instead (:func:`within`), SQLite walks the subtree's units and scans the period's
    rows once for each: ten times slower when the subtree has no row in the period (17 ms
    against 1.6 ms for a township of a 400-village county), the very case such a test asks.
    """
    return select(unit_ancestors.c.unit_code).where(unit_ancestors.c.ancestor_code == root)


def unit_tree(conn: Connection, root: str) -> pd.DataFrame:
    """Units in the subtree of ``root`` with their depth below it, parents before children."""
    stmt = (
        select(units.c.code, units.c.name, units.c.level, units.c.parent_code, unit_ancestors.c.depth)
        .join(unit_ancestors, unit_ancestors.c.unit_code == units.c.code)
        .where(unit_ancestors.c.ancestor_code == root)
        .order_by(unit_ancestors.c.depth, units.c.code)
    )
    return frame(conn, stmt, UNIT_FRAME_COLUMNS)


def ancestors(conn: Connection, code: str) -> pd.DataFrame:
    """The unit and its ancestors, nearest first."""
    stmt = (
        select(units.c.code, units.c.name, units.c.level, units.c.parent_code, unit_ancestors.c.depth)
        .join(unit_ancestors, unit_ancestors.c.ancestor_code == units.c.code)
        .where(unit_ancestors.c.unit_code == code)
        .order_by(unit_ancestors.c.depth)
    )
    return frame(conn, stmt, UNIT_FRAME_COLUMNS)
