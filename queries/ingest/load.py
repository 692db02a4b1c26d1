"""Loading an import into the population database: all or nothing.

``import_path`` reads a folder or workbook (``read.read_source``) and hands it to
``import_frames``, which validates every file (``validate``), raising ``ImportFailed``
with every bad row before writing anything; then writes everything in one transaction,
units first, each record upserted on its id or key (so importing the same records again
changes nothing and a changed record replaces the stored one), rebuilds the unit closure
table and the derived tables, and stamps a new data version.

Errors name a CSV file as ``births.csv`` and a workbook sheet as ``sheet births``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import Connection, Engine, Table, delete, insert, tuple_
from sqlalchemy.exc import SQLAlchemyError

from queries.analytics import lifecycle
from queries.analytics.lifecycle import Progress, ensure_schema
from queries.analytics.touched import touched_by
from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.read import read_source
from queries.ingest.spec import default_label
from queries.ingest.validate import validate
from queries.store import clock, data_version
from queries.store.db import DatabaseError, first_line, rebuild_ancestors
from queries.store.schema import DATA_TABLES

if TYPE_CHECKING:  # the dialects are imported when an upsert needs one
    from sqlalchemy.dialects import postgresql, sqlite

log = logging.getLogger(__name__)
TARGETS_ONLY = ("targets",)

CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote: rows per file (``births.csv`` -> 30000), in import order."""

    rows: dict[str, int]
    source: str = field(default="", compare=False)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        parts = ", ".join(f"{name} {n:,}" for name, n in self.rows.items())
        origin = f" from {self.source}" if self.source else ""
        return f"imported {self.total:,} rows{origin}" + (f": {parts}" if parts else "")


def import_path(
    engine: Engine, path: str | Path, today: date | None = None, progress: Progress | None = None
) -> ImportReport:
    """Read and import a folder of CSV files or an .xlsx workbook; see ``import_frames``."""
    frames = read_source(path)
    return import_frames(engine, frames, today=today, source=str(path), progress=progress)


def import_frames(
    engine: Engine,
    frames: dict[str, pd.DataFrame],
    today: date | None = None,
    source: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate ``frames`` (keyed by table, interchange columns) and write them in one transaction.

    Values may be strings or already typed (ints, ``datetime.date``, pandas datetimes).
    ``today`` (default: the bureau's today, ``queries.store.clock``) bounds the dates; ``source`` (a path) names where the frames
    came from: a workbook path makes errors name sheets instead of CSV files. Raises
    ``ImportFailed`` listing every bad row, or with a one-line reason if the database refuses;
    either way nothing is written. ``progress`` (``queries.analytics.lifecycle.Progress``) hears of
    each step as it starts: validate, write, then the derived tables' rebuild, the long
    part. The import stamps a new data version in its transaction.
    """
    today = today or clock.today()
    labels = {name: default_label(name, source) for name in frames}
    label_all = source or "import"
    started = time.perf_counter()
    # Counts and times only: the rows and the errors' texts name couples and persons.
    log.info("import from %s: %s", label_all, ", ".join(f"{n} {len(f):,}" for n, f in frames.items()))
    try:
        ensure_schema(engine)
        steps = 2 + len(lifecycle.STEPS)

        def step(done: int, name: str) -> None:
            if progress is not None:
                progress(done, steps, name)

        def rebuilding(done: int, _total: int, name: str) -> None:
            step(2 + done, name)

        with engine.begin() as conn:
            step(0, "validate")
            clean = validate(frames, conn, today, labels)
            step(1, "write")
            # Read before the writes: what they replace decides what the refresh recomputes.
            touched = touched_by(conn, clean)
            counts: dict[str, int] = {}
            for table in DATA_TABLES:
                if table.name in clean:
                    upsert(conn, table, clean[table.name])
                    counts[labels[table.name]] = len(clean[table.name])
            if set(clean) <= set(TARGETS_ONLY):
                # No derived table reads targets: a target save need not rebuild them (3 s
                # on the demo county, benchmarks/trust_bench.py).
                data_version.stamp(conn, "targets")
            else:
                if touched is None:  # the unit tree may have changed
                    rebuild_ancestors(conn)
                lifecycle.refresh(conn, rebuilding, touched)
                data_version.stamp(conn, "import")
    except ImportFailed as exc:
        log.warning("import from %s refused: %d errors, nothing written", label_all, len(exc.errors))
        raise
    except (SQLAlchemyError, DatabaseError) as exc:
        log.warning(
            "import from %s refused by the database (%s), nothing written", label_all, type(exc).__name__
        )
        raise ImportFailed(
            RowError(
                label_all,
                None,
                None,
                f"the database refused the import, nothing was written: {first_line(exc)}",
            )
        ) from exc
    _after_bulk_load(engine)
    log.info(
        "import from %s done in %.1f s: %s",
        label_all,
        time.perf_counter() - started,
        ", ".join(f"{n} {k:,}" for n, k in counts.items()),
    )
    return ImportReport(rows=counts, source=str(source))


def _after_bulk_load(engine) -> None:
    """Fresh planner statistics, and on SQLite the write-ahead log folded back into the file.

    Measured right after importing the demo county, a scorecard took 400 ms with the import
    still in the log and no statistics, against 150 ms after this (docs/benchmarks.md).
    Best effort: the import has committed, so a failure here loses nothing.
    """
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA optimize=0x10002")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE")
            conn.commit()
    except SQLAlchemyError:
        pass


def upsert(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert ``frame``'s rows, replacing any row with the same primary key; bulk, in chunks."""
    if frame.empty:
        return
    key = [c.name for c in table.primary_key.columns]
    columns = [c.name for c in table.columns]
    frame = frame[columns]
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        stmt: sqlite.Insert | postgresql.Insert
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table)
        else:
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            stmt = postgresql_insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=key, set_={c: stmt.excluded[c] for c in columns if c not in key}
        )
        # Compiled once and fed plain tuples: SQLAlchemy's per-row parameter handling
        # cost more than the database's own work (docs/benchmarks.md).
        compiled = stmt.compile(dialect=conn.dialect)
        order = None
        if compiled.positional:
            assert compiled.positiontup is not None  # a positional compile always sets it
            order = list(compiled.positiontup)
        for rows in _chunks(frame, dates_as_text=dialect == "sqlite", as_tuples=order):
            conn.exec_driver_sql(str(compiled), rows)
        return
    # any other database: delete the keys being replaced, then insert
    for records in _chunks(frame):
        step = 500
        for i in range(0, len(records), step):
            keys = [tuple(r[k] for k in key) for r in records[i : i + step]]
            cols = [table.c[k] for k in key]
            cond = cols[0].in_([k[0] for k in keys]) if len(cols) == 1 else tuple_(*cols).in_(keys)
            conn.execute(delete(table).where(cond))
        conn.execute(insert(table), records)


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
