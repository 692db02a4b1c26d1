"""Loading an import into the population database: look first, then all or nothing.

``plan_import`` reads a folder or workbook (``read.read_source``), validates every file
(``validate``) and computes what importing it would change (``effect``: rows added,
replaced and unchanged per file and year) and whether it would double records stored under
other ids (``doubling``), writing nothing. ``commit_plan`` writes it: under the write lock
(``lock``: one import at a time), validated again if the data changed since the plan, refused
by the doubling guard unless told otherwise, in one transaction: what an undo needs stored
(``undo.capture``), the added and replaced rows upserted on their key (importing the same
records again changes nothing), the closure and derived tables rebuilt (``refresh``), a new
data version stamped and the history row (``history``) closed. ``import_path`` is the two in
one, validating inside the write transaction; ``import_frames`` the same for frames a program
made (the target template, the demo builder, tests).

Errors name a CSV file as ``births.csv`` and a workbook sheet as ``sheet births``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from queries.analytics import lifecycle
from queries.analytics.lifecycle import Progress, ensure_schema
from queries.analytics.touched import touched_by
from queries.ingest import effect as effects
from queries.ingest import history, lock, undo
from queries.ingest.doubling import Doubling, DoublingSuspected, suspects
from queries.ingest.effect import Touched
from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.read import read_source
from queries.ingest.spec import default_label
from queries.ingest.validate import validate
from queries.store import clock, data_version
from queries.store.db import DatabaseError, first_line, rebuild_ancestors
from queries.store.schema import DATA_TABLES, UNDO_TABLES

log = logging.getLogger(__name__)
TARGETS_ONLY = ("targets",)


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote: rows per file (``births.csv`` -> 30000), in import order; its
    history row; its effect (``effect.EFFECT_COLUMNS``) and what it touched per data table
    (``effect.Touched``), for a refresh in proportion to it."""

    rows: dict[str, int]
    source: str = field(default="", compare=False)
    history_id: int | None = field(default=None, compare=False)
    effect: pd.DataFrame = field(default_factory=lambda: _no_effect(), compare=False, repr=False)
    changes: dict[str, Touched] = field(default_factory=dict, compare=False, repr=False)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        parts = ", ".join(f"{name} {n:,}" for name, n in self.rows.items())
        origin = f" from {self.source}" if self.source else ""
        return f"imported {self.total:,} rows{origin}" + (f": {parts}" if parts else "")


def _no_effect() -> pd.DataFrame:
    return pd.DataFrame(columns=effects.EFFECT_COLUMNS)


@dataclass(frozen=True, eq=False)
class ImportPlan:
    """An import read, validated and compared with the database, not yet written."""

    source: str  # the path given
    file_name: str  # what the user uploaded / the path's name
    file_hash: str  # sha256 of the file (a folder: of its files, sorted by name); '' for frames
    effect: pd.DataFrame  # effect.EFFECT_COLUMNS: table, file, year, added, replaced, unchanged
    suspects: tuple[Doubling, ...]  # files the doubling guard refuses; empty when none
    frames: dict[str, pd.DataFrame] = field(repr=False)  # as read, to validate again
    labels: dict[str, str] = field(repr=False)
    today: date = field(repr=False)
    clean: dict[str, pd.DataFrame] | None = field(default=None, repr=False)  # None: not validated
    version: str | None = field(default=None, repr=False)  # the data version validated against
    kind: str = "import"  # import | targets, as the history records it


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file; of a folder, of its files' names and contents, sorted by name
    (hidden files left out, as the import leaves them out)."""
    p = Path(path)
    digest = hashlib.sha256()
    files = (
        [p] if p.is_file() else sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
    )
    for f in files:
        if p.is_dir():
            digest.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _unplanned(
    frames: dict[str, pd.DataFrame],
    *,
    source: str,
    file_name: str,
    file_hash: str = "",
    today: date | None = None,
    kind: str = "import",
) -> ImportPlan:
    return ImportPlan(
        source=source,
        file_name=file_name,
        file_hash=file_hash,
        effect=_no_effect(),
        suspects=(),
        frames=frames,
        labels={name: default_label(name, source) for name in frames},
        today=today or clock.today(),
        kind=kind,
    )


def plan_import(
    engine: Engine,
    path: str | Path,
    *,
    today: date | None = None,
    progress: Progress | None = None,
    file_name: str | None = None,
) -> ImportPlan:
    """Read, validate and compare an import with the database; writes nothing (no table, no
    history row, no data version). Raises ``ImportFailed`` listing every bad row."""
    if progress is not None:
        progress(0, 3, "read")
    frames = read_source(path)
    plan = _unplanned(
        frames,
        source=str(path),
        file_name=file_name or Path(path).name,
        file_hash=file_hash(path),
        today=today,
    )
    ensure_schema(engine)
    with engine.connect() as conn:
        if progress is not None:
            progress(1, 3, "validate")
        # Read before validating: a change committed in between makes commit_plan validate again.
        version = data_version.read(conn)
        clean = validate(plan.frames, conn, plan.today, plan.labels)
        if progress is not None:
            progress(2, 3, "compare")
        staged = effects.stage(conn, clean, plan.labels)
        found = effects.effect(conn, staged)
        doubled = suspects(conn, staged, _added(found))
        effects.drop(conn, staged)
        conn.rollback()
    if progress is not None:
        progress(3, 3, "")
    log.info("import of %s planned: %s", plan.file_name, _counts_text(found))
    return ImportPlan(
        source=plan.source,
        file_name=plan.file_name,
        file_hash=plan.file_hash,
        effect=found,
        suspects=doubled,
        frames=frames,
        labels=plan.labels,
        today=plan.today,
        clean=clean,
        version=version,
    )


def import_path(
    engine: Engine,
    path: str | Path,
    *,
    today: date | None = None,
    progress: Progress | None = None,
    allow_duplicates: bool = False,
) -> ImportReport:
    """Read and import a folder of CSV files or an .xlsx workbook, validated in the writing
    transaction; see ``commit_plan``. A file that cannot be read is recorded as refused."""
    started = clock.utc_now()
    name = Path(path).name
    try:
        if progress is not None:
            progress(0, 1, "read")
        frames = read_source(path)
        digest = file_hash(path)
    except ImportFailed as exc:
        record_refusal(engine, "import", name, None, started, exc)
        raise
    plan = _unplanned(frames, source=str(path), file_name=name, file_hash=digest, today=today)
    return commit_plan(engine, plan, allow_duplicates=allow_duplicates, progress=progress)


def import_frames(
    engine: Engine,
    frames: dict[str, pd.DataFrame],
    today: date | None = None,
    source: str = "",
    progress: Progress | None = None,
    *,
    kind: str = "import",
    allow_duplicates: bool = False,
) -> ImportReport:
    """Validate ``frames`` (keyed by table, interchange columns) and write them; see ``commit_plan``.

    Values may be strings or already typed (ints, ``datetime.date``, pandas datetimes).
    ``today`` (default: the bureau's today, ``queries.store.clock``) bounds the dates; ``source``
    (a path) names where the frames came from: a workbook path makes errors name sheets
    instead of CSV files. ``kind`` is what the history calls it (``targets`` for a target save).
    """
    name = Path(source).name if source else "import"
    plan = _unplanned(frames, source=source, file_name=name, today=today, kind=kind)
    return commit_plan(engine, plan, allow_duplicates=allow_duplicates, progress=progress)


def commit_plan(
    engine: Engine, plan: ImportPlan, *, allow_duplicates: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Write ``plan`` in one transaction under the write lock, validated again when the data
    changed since it was planned; returns what it wrote.

    Raises ``ImportFailed`` listing every bad row, with a one-line reason if the database
    refuses, ``doubling.DoublingSuspected`` when it would double stored records (unless
    ``allow_duplicates``), ``lock.ImportBusy`` while another import runs; nothing is written
    then, and the history records the refusal. ``progress`` (``lifecycle.Progress``) hears of
    each step as it starts: validate, write, then the derived tables' rebuild, the long part.
    """
    ensure_schema(engine)
    label_all = plan.source or "import"
    started, began = clock.utc_now(), time.perf_counter()
    steps = 2 + len(lifecycle.STEPS)

    def step(done: int, name: str) -> None:
        if progress is not None:
            progress(done, steps, name)

    def rebuilding(done: int, _total: int, name: str) -> None:
        step(2 + done, name)

    # Counts and times only: the rows and the errors' texts name couples and persons.
    log.info("import from %s: %s", label_all, ", ".join(f"{n} {len(f):,}" for n, f in plan.frames.items()))
    log_id = lock.register(
        engine, kind=plan.kind, file_name=plan.file_name, file_hash=plan.file_hash or None, started_at=started
    )
    try:
        with lock.writing(engine, plan.file_name, log_id) as conn:
            step(0, "validate")
            clean = plan.clean
            if clean is None or plan.version != data_version.read(conn):
                clean = validate(plan.frames, conn, plan.today, plan.labels)
            step(1, "write")
            staged = effects.stage(conn, clean, plan.labels)
            found = effects.effect(conn, staged)
            doubled = suspects(conn, staged, _added(found))
            if doubled and not allow_duplicates:
                raise DoublingSuspected(doubled)
            # Read before the writes: what they replace decides what the refresh recomputes.
            touched = touched_by(conn, clean)
            undo.capture(conn, log_id, staged)
            before = undo.old_versions(conn, log_id, list(staged))
            for s in staged.values():
                effects.write(conn, s, UNDO_TABLES[s.table.name], log_id)
            changes = effects.merge(before, undo.current_versions(conn, log_id, list(staged)))
            effects.drop(conn, staged)
            if set(clean) <= set(TARGETS_ONLY):
                # No derived table reads targets: a target save need not rebuild them (3 s
                # on the demo county, benchmarks/trust_bench.py).
                version = data_version.stamp(conn, "targets")
            else:
                if touched is None:  # the unit tree may have changed
                    rebuild_ancestors(conn)
                lifecycle.refresh(conn, rebuilding, touched)
                version = data_version.stamp(conn, "import")
            totals = effects.totals(found)
            history.finish(
                conn,
                log_id,
                started_at=started,
                result="imported",
                added={f: t["added"] for f, t in totals.items()},
                replaced={f: t["replaced"] for f, t in totals.items()},
                version=version,
                undo_kept=True,
            )
            undo.prune(conn)
    except ImportFailed as exc:
        history.refuse(engine, log_id, started, exc)
        log.warning(
            "import from %s refused (%s): %d errors, nothing written",
            label_all,
            exc.errors[0].code
            if exc.errors and isinstance(exc, lock.ImportBusy | DoublingSuspected)
            else "invalid",
            len(exc.errors),
        )
        raise
    except (SQLAlchemyError, DatabaseError) as exc:
        log.warning(
            "import from %s refused by the database (%s), nothing written", label_all, type(exc).__name__
        )
        refusal = ImportFailed(RowError.of(label_all, None, None, "database_refused", detail=first_line(exc)))
        history.refuse(engine, log_id, started, refusal)
        raise refusal from exc
    _after_bulk_load(engine)
    rows = {plan.labels[t.name]: len(clean[t.name]) for t in DATA_TABLES if t.name in clean}
    log.info(
        "import %d from %s done in %.1f s: %s",
        log_id,
        label_all,
        time.perf_counter() - began,
        _counts_text(found),
    )
    return ImportReport(rows=rows, source=plan.source, history_id=log_id, effect=found, changes=changes)


def _added(found: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in found.groupby("table")["added"].sum().items()}


def _counts_text(found: pd.DataFrame) -> str:
    return ", ".join(
        f"{f} +{t['added']:,} ~{t['replaced']:,} ={t['unchanged']:,}"
        for f, t in effects.totals(found).items()
    )


def record_refusal(
    engine: Engine, kind: str, name: str, digest: str | None, started, exc: ImportFailed
) -> None:
    """A history row for an import refused before it could start (its file unreadable or
    refused while planned: the import page records what a clerk uploaded and why it failed)."""
    try:
        ensure_schema(engine)
        log_id = lock.register(engine, kind=kind, file_name=name, file_hash=digest, started_at=started)
    except (ImportFailed, DatabaseError, SQLAlchemyError):
        return  # busy or no database: the refusal itself is what the user must hear
    history.refuse(engine, log_id, started, exc)


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
