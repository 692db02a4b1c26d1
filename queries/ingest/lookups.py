"""Checks against what the database already holds, and references across files.

The first import must bring the unit tree; every ``unit_code`` names a unit of the import or
the database, and a data row's unit is a village or community; every service's migrant is
in ``migrants`` or the database; a unit holding stored data rows stays a village or
community. Lookups go in chunks of ``IN (...)`` values, for the databases' parameter limits.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Column, Connection, select

from queries.ingest.checking import CELL, Findings, Table
from queries.ingest.spec import UNIT_DATA_TABLES
from queries.ingest.values import isin
from queries.store import schema
from queries.store.schema import DATA_LEVELS, LEVELS
from queries.store.schema import migrants as migrants_table
from queries.store.schema import units as units_table

_DB_CHUNK = 500  # values per IN (...) lookup
_NOT_DATA_LEVELS = [lv for lv in LEVELS if lv not in DATA_LEVELS]


def stored_units(conn: Connection) -> pd.DataFrame:
    """The units in the database: code, level, parent_code."""
    rows = conn.execute(select(units_table.c.code, units_table.c.level, units_table.c.parent_code)).all()
    return pd.DataFrame(rows, columns=["code", "level", "parent_code"], dtype=object)


def _found(conn: Connection, column: Column, values: list, distinct: bool = False) -> set:
    """The ``values`` that ``column`` holds."""
    found: set = set()
    for i in range(0, len(values), _DB_CHUNK):
        stmt = select(column).where(column.in_(values[i : i + _DB_CHUNK]))
        if distinct:
            stmt = stmt.distinct()
        found.update(conn.execute(stmt).scalars())
    return found


def check_units_present(found: Findings, tables: dict[str, Table], stored: pd.DataFrame) -> None:
    """The first import must bring the unit tree."""
    if "units" not in tables and stored.empty:
        found.add("units", None, None, "no_units_yet", label=found.label("units"))


def check_units_holding_data(
    found: Findings, conn: Connection, t: Table | None, stored: pd.DataFrame
) -> None:
    """No stored village or community holding data rows turned into a township or the county."""
    if t is None or t.broken:
        return
    code, level = t.text["code"], t.text["level"]
    stored_data_units = stored.loc[stored["level"].isin(DATA_LEVELS), "code"].to_numpy()
    turned = t.ok["level"] & t.ok["code"] & ~isin(level, DATA_LEVELS) & isin(code, stored_data_units)
    if not turned.any():
        return
    codes = code[turned].tolist()
    holding: dict[str, str] = {}
    for name in UNIT_DATA_TABLES:
        for unit in _found(conn, schema.metadata.tables[name].c.unit_code, codes, distinct=True):
            holding.setdefault(unit, name)
    found.add(
        t,
        turned & isin(code, list(holding)),
        "level",
        "unit_holds_data",
        value=CELL,
        table=lambda m: [holding[c] for c in code[m]],
        unit=lambda m: code[m],
    )


def check_unit_refs(found: Findings, tables: dict[str, Table], tree: pd.DataFrame) -> None:
    """Every ``unit_code`` names a unit of ``tree``; a data row's names a village or community."""
    units_t = tables.get("units")
    if units_t is not None and units_t.broken:
        return  # the unit file's own errors say it all
    units_label = found.label("units")
    level_of = tree.drop_duplicates("code").set_index("code")["level"]
    for name, t in tables.items():
        if name == "units" or t.broken or "unit_code" not in t.text:
            continue
        _check_table_units(found, name, t, level_of, units_label)


def _check_table_units(found: Findings, name: str, t: Table, level_of: pd.Series, units_label: str) -> None:
    """``check_unit_refs`` for the table ``name``; ``level_of`` maps a unit code to its level."""
    uc, ok = t.text["unit_code"], t.ok["unit_code"]
    lvl = pd.Series(uc, dtype=object).map(level_of).to_numpy(dtype=object)
    found.add(
        t,
        ok & pd.isna(lvl) & ~isin(uc, level_of.index),
        "unit_code",
        "unknown_unit",
        value=CELL,
        units=units_label,
    )
    if name in UNIT_DATA_TABLES:
        found.add(
            t,
            ok & isin(lvl, _NOT_DATA_LEVELS),
            "unit_code",
            "unit_not_data_level",
            value=CELL,
            level=lambda m: lvl[m],
            table=name,
        )


def check_migrant_refs(found: Findings, conn: Connection, tables: dict[str, Table]) -> None:
    """Every service's ``migrant_id`` is in ``migrants`` or in the database."""
    t = tables.get("migrant_services")
    m_t = tables.get("migrants")
    if t is None or t.broken or (m_t is not None and m_t.broken):
        return
    mig, ok = t.text["migrant_id"], t.ok["migrant_id"]
    ask = ok.copy()
    if m_t is not None:
        ask &= ~isin(mig, m_t.text["migrant_id"][m_t.ok["migrant_id"]])
    if not ask.any():
        return
    stored = _found(conn, migrants_table.c.migrant_id, pd.unique(mig[ask]).tolist())
    label = found.label("migrants")
    found.add(
        t,
        ask & ~isin(mig, list(stored)) if stored else ask,
        "migrant_id",
        "unknown_migrant",
        value=CELL,
        migrants=label,
    )
