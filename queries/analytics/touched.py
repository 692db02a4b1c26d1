"""What an import changes, so that the derived tables are refreshed in proportion to it.

A ``Touch`` says where one data table's changed rows lie: the units they belong to and
their earliest day (event tables) or year (population, reported), old and new versions of
a replaced row together, deleted rows included. ``touched_by`` works it out from the
DB-ready frames about to be written (and deleted) and the stored rows they replace; a
stored row written again unchanged touches nothing. It answers None when the derived
tables must be built whole: the database has no units yet, or the unit tree changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Table, func, select, tuple_

from queries.store.schema import (
    births,
    deaths,
    migrant_services,
    migrants,
    population,
    prepregnancy_checks,
    reported,
    units,
)

# Event tables (a unit and dated rows) and year tables (a unit and a year in the key).
EVENT_TABLES = (births, deaths, prepregnancy_checks, migrants)
YEAR_TABLES = (population, reported)
LOOKUP_CHUNK = 500  # keys per IN list: well under every driver's limit of bound parameters
WHOLE_TABLE_ROWS = 20_000  # more rows than this are compared with the whole stored table


@dataclass(frozen=True)
class Touch:
    """Where one data table's changed rows lie (for services: their migrants' units)."""

    units: frozenset[str]
    since: date | None = None
    year: int | None = None

    def __or__(self, other: Touch) -> Touch:
        return Touch(self.units | other.units, _least(self.since, other.since), _least(self.year, other.year))


@dataclass(frozen=True)
class Touched:
    """Touches by data table name; a table not named was not changed."""

    tables: Mapping[str, Touch] = field(default_factory=dict)

    def units(self, *names: str) -> frozenset[str]:
        return frozenset().union(*(self.tables[n].units for n in names if n in self.tables))

    def since(self, *names: str) -> date | None:
        return _least(*(self.tables[n].since for n in names if n in self.tables))

    def year(self, *names: str) -> int | None:
        return _least(*(self.tables[n].year for n in names if n in self.tables))

    def __or__(self, other: Touched) -> Touched:
        merged = dict(self.tables)
        for name, touch in other.tables.items():
            merged[name] = merged[name] | touch if name in merged else touch
        return Touched(merged)


def _least(*values):
    present = [v for v in values if v is not None]
    return min(present) if present else None


def touched_by(
    conn: Connection, written: Mapping[str, pd.DataFrame], deleted: Mapping[str, pd.DataFrame] | None = None
) -> Touched | None:
    """What writing ``written`` (upserted on their keys) and deleting ``deleted`` (stored rows)
    will change, by table name; call before either. None: rebuild the derived tables whole."""
    deleted = deleted or {}
    stored_units = dict(conn.execute(select(units.c.code, units.c.parent_code)).all())
    if not stored_units or "units" in deleted or _tree_changes(written.get("units"), stored_units):
        return None
    tables: dict[str, Touch] = {}
    changed: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for table in EVENT_TABLES + YEAR_TABLES + (migrant_services,):
        new, old = _changed_rows(conn, table, written.get(table.name))
        if table.name in deleted:
            old = pd.concat([old, deleted[table.name]], ignore_index=True)
        changed[table.name] = (new, old)
    for table in EVENT_TABLES:
        new, old = changed[table.name]
        rows = [f for f in (new, old) if not f.empty]
        touch = None
        if table is migrants:
            touch = _migrants_touch(new, old)
        elif rows:
            touch = _event_touch(table, pd.concat(rows, ignore_index=True))
        if touch is not None:
            tables[table.name] = touch
    for table in YEAR_TABLES:
        rows = [f for f in changed[table.name] if not f.empty]
        if rows:
            both = pd.concat(rows, ignore_index=True)
            tables[table.name] = Touch(frozenset(both["unit_code"]), year=int(both["year"].min()))
    services = _services_touch(
        conn, written.get("migrants"), *changed["migrants"], *changed["migrant_services"]
    )
    if services is not None:
        tables[migrant_services.name] = services
    return Touched(tables)


def _tree_changes(frame: pd.DataFrame | None, stored: dict[str, str | None]) -> bool:
    """Whether importing ``frame`` adds a unit or moves one (names and levels the derived
    tables do not read)."""
    if frame is None or frame.empty:
        return False
    return any(code not in stored or stored[code] != parent for code, parent in _parents(frame))


def _parents(frame: pd.DataFrame) -> Iterable[tuple[str, str | None]]:
    for code, parent in zip(frame["code"], frame["parent_code"], strict=True):
        yield code, (None if parent is None or pd.isna(parent) else parent)


def _changed_rows(
    conn: Connection, table: Table, frame: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``frame`` that are new or differ from the stored row of their key, and
    those stored rows."""
    columns = [c.name for c in table.columns]
    if frame is None or frame.empty:
        empty = pd.DataFrame(columns=columns)
        return empty, empty
    frame = frame[columns].reset_index(drop=True)
    stored = _stored_rows(conn, table, frame)
    if stored.empty:
        return frame, stored
    key = [c.name for c in table.primary_key.columns]
    both = frame.merge(stored, on=key, how="left", suffixes=("", "__stored"), indicator=True)
    differs = both["_merge"] == "left_only"
    for name in columns:
        if name in key:
            continue
        a, b = both[name], both[f"{name}__stored"]
        differs |= ~_same(a, b)
    old_keys = both.loc[differs & (both["_merge"] == "both"), key]
    old = stored.merge(old_keys, on=key) if not old_keys.empty else stored.iloc[:0]
    return frame[differs.to_numpy()], old


def _stored_rows(conn: Connection, table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """The stored rows with the keys of ``frame`` (for many keys: the whole table, which the
    caller's merge narrows; 500 keys a statement took 44 s for a 10x county sent again)."""
    key = [table.c[c.name] for c in table.primary_key.columns]
    columns = [c.name for c in table.columns]
    if len(frame) > WHOLE_TABLE_ROWS:
        return pd.DataFrame([tuple(r) for r in conn.execute(select(*table.c)).all()], columns=columns)
    keys = list(zip(*(frame[c.name] for c in key), strict=True))
    parts: list = []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        where = key[0].in_([k[0] for k in chunk]) if len(key) == 1 else tuple_(*key).in_(chunk)
        parts.extend(conn.execute(select(*table.c).where(where)).all())
    return pd.DataFrame([tuple(r) for r in parts], columns=columns)


def _event_touch(table: Table, rows: pd.DataFrame) -> Touch:
    days = [rows[c.name].dropna() for c in table.columns if c.type.python_type is date]
    since = min(min(d) for d in days if len(d))
    return Touch(frozenset(rows["unit_code"]), since)


def _migrants_touch(new: pd.DataFrame, old: pd.DataFrame) -> Touch | None:
    """A migrant counts from its arrival (arrivals, departures and services all come on or
    after it), but one who only leaves changes nothing before the day it leaves: the
    common replacement, a departure filled in, touches that month, not the arrival's."""
    if new.empty and old.empty:
        return None
    both = new.merge(old, on="migrant_id", how="outer", suffixes=("", "__old"), indicator=True)
    paired = both["_merge"] == "both"
    moved = ~paired
    for name in ("unit_code", "direction", "arrival_date"):
        moved |= both[name] != both[f"{name}__old"]
    left = paired & ~moved & ~_same(both["departure_date"], both["departure_date__old"])
    days = [
        both.loc[moved, c].dropna()
        for c in ("arrival_date", "departure_date", "arrival_date__old", "departure_date__old")
    ]
    days += [both.loc[left, c].dropna() for c in ("departure_date", "departure_date__old")]
    present = [min(d) for d in days if len(d)]
    if not present:
        return None  # only what no derived table reads (the sex)
    touched = both[moved | left]
    return Touch(
        frozenset(touched["unit_code"].dropna()) | frozenset(touched["unit_code__old"].dropna()), min(present)
    )


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a == b) | (a.isna() & b.isna())


def _services_touch(
    conn: Connection,
    written_migrants: pd.DataFrame | None,
    new_migrants: pd.DataFrame,
    old_migrants: pd.DataFrame,
    new_services: pd.DataFrame,
    old_services: pd.DataFrame,
) -> Touch | None:
    """Services count in their migrant's unit: a changed service touches its migrant's unit
    after the import (new version) and before it (old version); a migrant that moves to
    another unit moves every service it has."""
    before = _unit_of_migrants(conn, set(new_services["migrant_id"]) | set(old_services["migrant_id"]))
    after = dict(before)
    if written_migrants is not None:
        after.update(zip(written_migrants["migrant_id"], written_migrants["unit_code"], strict=True))
    touch = None
    if not new_services.empty or not old_services.empty:
        touch = Touch(
            frozenset(after[m] for m in new_services["migrant_id"])
            | frozenset(before[m] for m in old_services["migrant_id"] if m in before),
            _least(_min(new_services["service_date"]), _min(old_services["service_date"])),
        )
    moved = new_migrants.merge(old_migrants, on="migrant_id", suffixes=("", "__old"))
    moved = moved[moved["unit_code"] != moved["unit_code__old"]]
    if not moved.empty:
        ms = migrant_services.c
        ids = list(moved["migrant_id"])
        firsts = [
            conn.execute(
                select(func.min(ms.service_date)).where(ms.migrant_id.in_(ids[i : i + LOOKUP_CHUNK]))
            ).scalar()
            for i in range(0, len(ids), LOOKUP_CHUNK)
        ]
        first = _least(*firsts)
        if first is not None:
            moving = Touch(frozenset(moved["unit_code"]) | frozenset(moved["unit_code__old"]), first)
            touch = moving if touch is None else touch | moving
    return touch


def _unit_of_migrants(conn: Connection, ids: set[str]) -> dict[str, str]:
    m = migrants.c
    out: dict[str, str] = {}
    listed = sorted(ids)
    for start in range(0, len(listed), LOOKUP_CHUNK):
        chunk = listed[start : start + LOOKUP_CHUNK]
        out.update(conn.execute(select(m.migrant_id, m.unit_code).where(m.migrant_id.in_(chunk))).all())
    return out


def _min(values: pd.Series) -> date | None:
    present = values.dropna()
    return min(present) if len(present) else None
