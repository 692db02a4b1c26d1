"""Import a bureau's export (interchange.md) into the population database: all or nothing.

An import is a folder of ``<table>.csv`` files or one ``.xlsx`` workbook with a sheet per
table. ``read_source`` reads it as raw strings; ``import_frames`` validates every file
(``queries.ingest.validation``), collects every bad row of every file and raises ``ImportFailed``
before writing anything; then writes everything in one transaction, units first, each
record upserted on its id or key (so importing the same records again changes nothing and
a changed record replaces the stored one), and rebuilds the unit closure table.

Decisions where interchange.md is silent:

* ``units`` is required while the database has no units; once it has, an import may leave
  ``units`` out (more births for a county already loaded) and refer to the stored units.
* In a folder, hidden files (``.name``) are ignored; any other file or folder that is not one
  of the nine ``<table>.csv`` files is an error. Names are matched ignoring case.
* CSV text is UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
* Workbook cells that Excel typed are read as what they show: dates as ``YYYY-MM-DD``,
  whole numbers without ``.0``.
* Errors name a CSV file as ``births.csv`` and a workbook sheet as ``sheet births``.
* The other rules (bounds on years, dates and counts, one reason per cell) are in
  ``queries.ingest.validation``.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import Connection, Engine, Table, delete, insert, tuple_
from sqlalchemy.exc import SQLAlchemyError

from queries.analytics import lifecycle
from queries.analytics.lifecycle import Progress, ensure_schema
from queries.ingest.validation import TABLE_NAMES, ImportFailed, RowError, default_label, validate
from queries.store import clock, data_version
from queries.store.db import DatabaseError, rebuild_ancestors
from queries.store.schema import DATA_TABLES

log = logging.getLogger(__name__)
TARGETS_ONLY = ("targets",)

__all__ = [
    "ImportFailed",
    "ImportReport",
    "RowError",
    "TABLE_NAMES",
    "import_frames",
    "import_path",
    "read_source",
]

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


# --------------------------------------------------------------------------- reading


def read_source(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a folder of CSV files or an .xlsx workbook into raw all-string frames keyed by table.

    Row ``i`` (from 0) of a frame is spreadsheet row ``i + 2``; blank rows are kept (the
    import skips them) so that the numbers stay right. Raises ``ImportFailed`` for a path
    that cannot be read, an unknown file or sheet, or text that is not UTF-8 or GB18030.
    """
    p = Path(path)
    if not p.exists():
        raise ImportFailed(RowError(str(p), None, None, "does not exist"))
    if p.is_dir():
        return _read_folder(p)
    if p.suffix.lower() == ".xlsx":
        return _read_workbook(p)
    raise ImportFailed(
        RowError(
            str(p),
            None,
            None,
            "is neither a folder of CSV files nor an .xlsx workbook "
            "(to import single CSV files, put them in a folder)",
        )
    )


def _known_tables() -> str:
    return ", ".join(TABLE_NAMES)


def _read_folder(folder: Path) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    found: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        stem, suffix = entry.stem.lower(), entry.suffix.lower()
        if not entry.is_file() or suffix != ".csv" or stem not in TABLE_NAMES:
            errors.append(
                RowError(
                    entry.name,
                    None,
                    None,
                    f"unknown file; an import folder holds only CSV files named after the tables "
                    f"({_known_tables()}), e.g. births.csv",
                )
            )
            continue
        if stem in found:
            errors.append(
                RowError(entry.name, None, None, f"a second file for {stem}, besides {found[stem]}")
            )
            continue
        found[stem] = entry.name
        label = f"{stem}.csv"
        try:
            frames[stem] = _read_csv(entry, label)
        except ImportFailed as exc:
            errors.extend(exc.errors)
    if not found and not errors:
        errors.append(
            RowError(str(folder), None, None, f"has no CSV files to import (expected {_known_tables()})")
        )
    if errors:
        raise ImportFailed(errors)
    return frames


def _decode(data: bytes, label: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(RowError(label, None, None, "is neither UTF-8 nor GB18030/GBK text"))


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    try:
        text = _decode(path.read_bytes(), label)
    except OSError as exc:
        raise ImportFailed(RowError(label, None, None, f"cannot be read: {exc.strerror or exc}")) from exc
    if not text.strip():
        raise ImportFailed(RowError(label, None, None, "is empty; it needs at least the header row"))
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False
        )
    except pd.errors.ParserError as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot be parsed"
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if m:
            raise ImportFailed(
                RowError(label, int(m.group(2)), None, f"has {m.group(3)} cells; the header has {m.group(1)}")
            ) from exc
        raise ImportFailed(RowError(label, None, None, f"is not a readable CSV file: {message}")) from exc
    return frame.fillna("")


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ImportFailed(
            RowError(path.name, None, None, f"is not a readable .xlsx workbook: {reason}")
        ) from exc
    frames: dict[str, pd.DataFrame] = {}
    errors: list[RowError] = []
    for sheet, frame in sheets.items():
        name = str(sheet).strip()
        if name.lower() not in TABLE_NAMES:
            errors.append(
                RowError(
                    f"{path.name} sheet {name}",
                    None,
                    None,
                    f"unknown sheet; a workbook holds only sheets named after the tables ({_known_tables()})",
                )
            )
            continue
        out = pd.DataFrame(
            {str(c): frame[c].map(_cell).astype(str) for c in frame.columns}, index=frame.index
        )
        frames[name.lower()] = out
    if errors:
        raise ImportFailed(errors)
    return frames


# --------------------------------------------------------------------------- importing


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
    either way nothing is written. ``progress`` (``queries.analytics.build.Progress``) hears of
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
                rebuild_ancestors(conn)
                lifecycle.refresh(conn, rebuilding)
                data_version.stamp(conn, "import")
    except ImportFailed as exc:
        log.warning("import from %s refused: %d errors, nothing written", label_all, len(exc.errors))
        raise
    except (SQLAlchemyError, DatabaseError) as exc:
        log.warning(
            "import from %s refused by the database (%s), nothing written", label_all, type(exc).__name__
        )
        reason = _first_line(exc)
        raise ImportFailed(
            RowError(label_all, None, None, f"the database refused the import, nothing was written: {reason}")
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
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        stmt = dialect_insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=key, set_={c: stmt.excluded[c] for c in columns if c not in key}
        )
        # Compiled once and fed plain tuples: SQLAlchemy's per-row parameter handling
        # cost more than the database's own work (docs/benchmarks.md).
        compiled = stmt.compile(dialect=conn.dialect)
        order = list(compiled.positiontup) if compiled.positional else None
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


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__
