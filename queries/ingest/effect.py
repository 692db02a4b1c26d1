"""What an import will change, computed by the database in proportion to the import.

Each validated frame is loaded into a TEMP table of its table's columns, plus the row's
spreadsheet number (``_row``) and year (``_year``), keyed like the table; joined to the
table on the primary key, a row is *added* (no stored row has its key), *replaced* (one has,
with other content) or *unchanged*. Nothing reads the whole table: every join starts from
the import's rows and probes the table's primary key or one of its indexes.

The writing transaction stages the frames the same way, stores what an undo needs from the
staged rows (``undo.capture``) and writes from them (``write``), only the rows it added or
replaced. ``touched`` says which units and from which day a set of rows concerns, for a
refresh of the derived tables in proportion to the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    MetaData,
    Select,
    Table,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
)

from queries.store.schema import DATA_TABLES, migrants

CHUNK_ROWS = 10_000
# The column whose year an effect is counted under (units have none).
YEAR_OF = {
    "population": "year",
    "births": "birth_date",
    "deaths": "death_date",
    "prepregnancy_checks": "check_date",
    "migrants": "arrival_date",
    "migrant_services": "service_date",
    "targets": "year",
    "reported": "year",
}
EFFECT_COLUMNS = ["table", "file", "year", "added", "replaced", "unchanged"]
TABLES = {t.name: t for t in DATA_TABLES}


@dataclass(frozen=True)
class Staged:
    """One table of an import in its TEMP table."""

    table: Table  # the data table
    temp: Table  # its rows in this import: the table's columns, _row, _year
    label: str  # how errors and the effect name it: births.csv, sheet births
    rows: int

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.table.primary_key.columns]

    def on_key(self, other: FromClause) -> ColumnElement[bool]:
        """The staged row and ``other``'s row have the same key."""
        return and_(*(self.temp.c[k] == other.c[k] for k in self.key))

    def differs(self, other: FromClause) -> ColumnElement[bool]:
        """Some column other than the key differs (NULL-safe)."""
        rest = [c.name for c in self.table.columns if c.name not in self.key]
        return or_(*(self.temp.c[c].is_distinct_from(other.c[c]) for c in rest)) if rest else false()


def _temp_table(table: Table) -> Table:
    key = {c.name for c in table.primary_key.columns}
    return Table(
        f"incoming_{table.name}",
        MetaData(),
        *[Column(c.name, c.type, primary_key=c.name in key) for c in table.columns],
        Column("_row", Integer, nullable=False),
        Column("_year", Integer, nullable=True),
        prefixes=["TEMPORARY"],
    )


def _drop_temp(conn: Connection, temp: Table) -> None:
    schema = "temp" if conn.dialect.name == "sqlite" else "pg_temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{temp.name}")


def stage(conn: Connection, clean: dict[str, pd.DataFrame], labels: dict[str, str]) -> dict[str, Staged]:
    """Load the validated frames (index: spreadsheet row numbers) into TEMP tables, in
    import order. ``drop`` removes them; a rolled-back transaction on PostgreSQL does too."""
    out: dict[str, Staged] = {}
    for table in DATA_TABLES:
        frame = clean.get(table.name)
        if frame is None:
            continue
        temp = _temp_table(table)
        _drop_temp(conn, temp)  # one a failed plan left on this pooled connection
        temp.create(conn)
        rows = frame[[c.name for c in table.columns]].assign(
            _row=frame.index.to_numpy(dtype="int64"), _year=pd.array(_years(table.name, frame), dtype="Int64")
        )
        _insert(conn, temp, rows)
        out[table.name] = Staged(table, temp, labels.get(table.name, f"{table.name}.csv"), len(frame))
    return out


def drop(conn: Connection, staged: dict[str, Staged]) -> None:
    for s in staged.values():
        _drop_temp(conn, s.temp)


def _years(name: str, frame: pd.DataFrame) -> list[int | None]:
    col = YEAR_OF.get(name)
    if col is None:
        return [None] * len(frame)
    if col == "year":
        return [int(v) for v in frame[col]]
    return [None if v is None else v.year for v in frame[col]]


def effect(conn: Connection, staged: dict[str, Staged]) -> pd.DataFrame:
    """Rows added, replaced and unchanged per file and year (``EFFECT_COLUMNS``; year is
    NA for units), in import order, years ascending."""
    parts = []
    for s in staged.values():
        o = s.table.alias("stored")
        k = o.c[s.key[0]]
        stmt = (
            select(
                s.temp.c._year,
                func.sum(case((k.is_(None), 1), else_=0)),
                func.sum(case((and_(k.is_not(None), s.differs(o)), 1), else_=0)),
                func.count(),
            )
            .select_from(s.temp.outerjoin(o, s.on_key(o)))
            .group_by(s.temp.c._year)
            .order_by(s.temp.c._year)
        )
        for year, added, replaced, n in conn.execute(stmt).all():
            parts.append((s.table.name, s.label, year, int(added), int(replaced), int(n - added - replaced)))
    out = pd.DataFrame(parts, columns=EFFECT_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    return out


def totals(effect: pd.DataFrame) -> dict[str, dict[str, int]]:
    """added / replaced / unchanged per file."""
    by_file = effect.groupby("file", sort=False)[["added", "replaced", "unchanged"]].sum()
    return {str(f): {str(k): int(v) for k, v in row.items()} for f, row in by_file.iterrows()}


# --------------------------------------------------------------------------- writing


def write(conn: Connection, s: Staged, changed: Table, import_id: int) -> None:
    """Upsert the staged rows whose key ``changed`` lists for ``import_id`` (the rows the import
    adds or replaces: ``undo.capture`` has just recorded them), straight from the TEMP table."""
    columns = [c.name for c in s.table.columns]
    picked = select(*(s.temp.c[c] for c in columns)).where(
        select(literal(1))
        .select_from(changed)
        .where(changed.c.import_id == import_id, *(changed.c[k] == s.temp.c[k] for k in s.key))
        .exists()
    )
    upsert_from(conn, s.table, picked)


def upsert_from(conn: Connection, table: Table, rows: Select) -> None:
    """Insert ``rows`` (a select of ``table``'s columns, in order), replacing any stored row
    with the same key in place: an UPDATE, never a delete, so rows referring to it stay valid."""
    columns = [c.name for c in table.columns]
    key = [c.name for c in table.primary_key.columns]
    rest = [c for c in columns if c not in key]
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        from sqlalchemy.dialects import postgresql, sqlite

        stmt: sqlite.Insert | postgresql.Insert = (
            sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
        ).from_select(columns, rows)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in rest})
            if rest
            else stmt.on_conflict_do_nothing()
        )
        return
    # any other database: delete the keys being replaced, then insert
    sub = rows.subquery()
    conn.execute(
        delete(table).where(tuple_(*(table.c[k] for k in key)).in_(select(*(sub.c[k] for k in key))))
    )
    conn.execute(insert(table).from_select(columns, select(sub)))


def _insert(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Bulk insert ``frame`` into ``table``, compiled once and fed plain tuples: SQLAlchemy's
    per-row parameter handling cost more than the database's own work (docs/benchmarks.md)."""
    if frame.empty:
        return
    compiled = insert(table).compile(dialect=conn.dialect)
    order = list(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    for rows in _chunks(frame, dates_as_text=conn.dialect.name == "sqlite", as_tuples=order):
        conn.exec_driver_sql(str(compiled), rows)


def _chunks(
    frame: pd.DataFrame, dates_as_text: bool = False, as_tuples: list[str] | None = None
) -> Iterator[list]:
    """The rows as dicts of Python values (int, float, str, date, None), ``CHUNK_ROWS`` at a time.

    ``dates_as_text`` gives dates as 'YYYY-MM-DD', the form SQLAlchemy stores in SQLite;
    ``as_tuples`` gives tuples in that column order instead of dicts."""
    columns = list(frame.columns)
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        values = [_python_values(part[c]) for c in columns]
        if dates_as_text:
            values = [
                [None if v is None else v.isoformat() for v in col] if _holds_dates(col) else col
                for col in values
            ]
        if as_tuples is not None:
            by_name = dict(zip(columns, values, strict=True))
            yield list(zip(*(by_name[c] for c in as_tuples), strict=True))
        else:
            yield [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _holds_dates(values: list) -> bool:
    return isinstance(next((v for v in values if v is not None), None), date)


def _python_values(s: pd.Series) -> list:
    """A column as Python values, a missing value (None, NaN, NaT) as None."""
    if ptypes.is_numeric_dtype(s) and not s.hasnans:
        return s.tolist()
    return s.astype(object).where(s.notna(), None).tolist()


# --------------------------------------------------------------------------- what a change touches


@dataclass(frozen=True)
class Touched:
    """Rows of one data table that a change added, replaced or deleted, old and new versions
    together: the units they are on (for ``units``, the units themselves) and their earliest
    day (1 January of the earliest year for yearly tables; None for units)."""

    units: frozenset[str]
    since: date | None

    def __or__(self, other: Touched) -> Touched:
        days = [d for d in (self.since, other.since) if d is not None]
        return Touched(self.units | other.units, min(days) if days else None)


def touched(conn: Connection, name: str, rows: Select) -> Touched:
    """Which units and from which day ``rows`` (a select of ``name``'s columns) concern. A
    migrant service is on its migrant's unit as ``migrants`` holds it now."""
    sub = rows.subquery()
    if name == "units":
        return Touched(frozenset(conn.execute(select(sub.c.code)).scalars()), None)
    unit: ColumnElement
    if name == "migrant_services":
        unit = migrants.c.unit_code
        src: FromClause = sub.join(migrants, migrants.c.migrant_id == sub.c.migrant_id)
    else:
        unit, src = sub.c.unit_code, sub
    units = frozenset(conn.execute(select(unit).select_from(src).distinct()).scalars())
    col = YEAR_OF[name]
    first = conn.execute(select(func.min(sub.c[col]))).scalar()
    if first is None:
        since = None
    elif col == "year":
        since = date(int(first), 1, 1)
    else:
        since = first if isinstance(first, date) else date.fromisoformat(str(first))
    return Touched(units, since)


def merge(a: dict[str, Touched], b: dict[str, Touched]) -> dict[str, Touched]:
    out = dict(a)
    for name, t in b.items():
        out[name] = out[name] | t if name in out else t
    return {n: t for n, t in out.items() if t.units or t.since is not None}
