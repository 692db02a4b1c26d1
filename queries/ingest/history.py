"""The import history (``import_log``): every import, target save and undo, refused ones too.

A writer commits a ``running`` row first (``lock.register``), so that a second writer can say
who holds the lock; the writing transaction turns it into ``imported`` (or an undo's row,
and the undone import's ``undone``) as it commits; a refusal is written in a transaction of
its own (``refuse``), since the import's was rolled back. Rows hold counts, file names, hashes
and message codes, never a person-level value.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from queries.ingest.errors import ImportFailed
from queries.ingest.messages import MESSAGES
from queries.store import clock
from queries.store.schema import import_log

log = logging.getLogger(__name__)

HISTORY_COLUMNS = [
    "id",
    "started_at",
    "finished_at",
    "file_name",
    "file_hash",
    "kind",
    "result",
    "rows_added",
    "rows_replaced",
    "duration_s",
    "data_version",
    "undo_of",
    "error_code",
    "error_count",
    "undo_kept",
]


@dataclass(frozen=True)
class Entry:
    """One row of the history, as the lock and undo read it."""

    id: int
    started_at: datetime  # UTC
    file_name: str
    kind: str
    result: str
    data_version: str | None
    undo_of: int | None
    undo_kept: bool


def utc(value: datetime | None) -> datetime | None:
    """A stored time as UTC: SQLite gives it back without its zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_time(value: datetime) -> str:
    """HH:MM in the bureau's time, with the date when it is not today."""
    local = value.astimezone(clock.zone())
    return local.strftime("%H:%M") if local.date() == clock.today() else local.strftime("%Y-%m-%d %H:%M")


def insert_running(
    conn: Connection, *, kind: str, file_name: str, file_hash: str | None, started_at: datetime
) -> int:
    return int(
        conn.execute(
            insert(import_log)
            .values(
                started_at=started_at,
                file_name=file_name[:255],
                file_hash=file_hash,
                kind=kind,
                result="running",
                undo_kept=0,
            )
            .returning(import_log.c.id)
        ).scalar_one()
    )


def finish(
    conn: Connection,
    log_id: int,
    *,
    started_at: datetime,
    result: str,
    added: dict[str, int],
    replaced: dict[str, int],
    version: str,
    undo_kept: bool = False,
    undo_of: int | None = None,
    file_name: str | None = None,
) -> None:
    """Close the row in the writing transaction, so that it commits with what it records."""
    finished = clock.utc_now()
    named = {} if file_name is None else {"file_name": file_name[:255]}
    conn.execute(
        update(import_log)
        .where(import_log.c.id == log_id)
        .values(
            **named,
            finished_at=finished,
            result=result,
            rows_added=json.dumps(added, ensure_ascii=False),
            rows_replaced=json.dumps(replaced, ensure_ascii=False),
            duration_s=(finished - started_at).total_seconds(),
            data_version=version,
            undo_kept=int(undo_kept),
            undo_of=undo_of,
        )
    )


def refuse(engine: Engine, log_id: int, started_at: datetime, exc: ImportFailed) -> None:
    """Record a refusal in a transaction of its own; best effort (the refusal itself is what
    the user must hear, not a failure to record it)."""
    first = exc.errors[0].code if exc.errors else "import_failed"
    # A code outside MESSAGES is finished English text that may quote a cell: not stored.
    code = first if first in MESSAGES else "invalid"
    finished = clock.utc_now()
    try:
        with engine.begin() as conn:
            conn.execute(
                update(import_log)
                .where(import_log.c.id == log_id)
                .values(
                    finished_at=finished,
                    result="refused",
                    duration_s=(finished - started_at).total_seconds(),
                    error_code=code,
                    error_count=len(exc.errors),
                )
            )
    except SQLAlchemyError as err:
        log.warning("could not record the refusal of import %d: %s", log_id, type(err).__name__)


def _entry(row) -> Entry:
    started = utc(row.started_at)
    assert started is not None  # the column is NOT NULL
    return Entry(
        id=row.id,
        started_at=started,
        file_name=row.file_name,
        kind=row.kind,
        result=row.result,
        data_version=row.data_version,
        undo_of=row.undo_of,
        undo_kept=bool(row.undo_kept),
    )


def running(conn: Connection, exclude: int | None = None) -> Entry | None:
    """The newest row still running, other than ``exclude`` (the asker's own)."""
    stmt = (
        select(import_log).where(import_log.c.result == "running").order_by(import_log.c.id.desc()).limit(1)
    )
    if exclude is not None:
        stmt = stmt.where(import_log.c.id != exclude)
    row = conn.execute(stmt).first()
    return _entry(row) if row else None


def changes(conn: Connection, limit: int = 100) -> list[Entry]:
    """The rows that changed the data (not running, not refused), newest first."""
    rows = conn.execute(
        select(import_log)
        .where(import_log.c.result.in_(("imported", "undone")))
        .order_by(import_log.c.id.desc())
        .limit(limit)
    ).all()
    return [_entry(r) for r in rows]


def history(conn: Connection, limit: int = 50) -> pd.DataFrame:
    """The latest ``limit`` rows, newest first: ``HISTORY_COLUMNS``, times as UTC timestamps,
    ``rows_added``/``rows_replaced`` as dicts (file -> rows), ``undo_kept`` as bool."""
    rows = conn.execute(select(import_log).order_by(import_log.c.id.desc()).limit(limit)).mappings().all()
    out = pd.DataFrame([dict(r) for r in rows], columns=HISTORY_COLUMNS)
    for col in ("started_at", "finished_at"):
        out[col] = pd.to_datetime(pd.Series([utc(v) for v in out[col]], dtype=object), utc=True)
    for col in ("rows_added", "rows_replaced"):
        out[col] = pd.Series([json.loads(r[col]) if r[col] else {} for r in rows], dtype=object)
    out["undo_kept"] = out["undo_kept"].astype(bool)
    for col in ("undo_of", "error_count"):
        out[col] = out[col].astype("Int64")
    for col in ("file_hash", "data_version", "error_code"):
        out[col] = pd.Series([r[col] for r in rows], dtype=object)  # None stays None, not NaN
    return out
