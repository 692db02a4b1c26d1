"""One import at a time: the write lock an import, a target save and an undo hold.

On PostgreSQL a transaction-scoped advisory lock (``pg_try_advisory_xact_lock``), taken as the
writing transaction's first statement and released when it ends, whatever way it ends. On
SQLite the database's own write lock, taken at once with ``BEGIN IMMEDIATE`` under a short
busy timeout. Either way a second writer is refused at once with ``ImportBusy``, never queued:
a clerk who clicks again should hear that the first import is still running, not wait minutes
and then import the same file twice.

Who holds the lock is read from ``import_log``: every writer commits its ``running`` row
before it asks for the lock (``history.begin``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from queries.ingest import history
from queries.ingest.errors import ImportFailed, RowError

log = logging.getLogger(__name__)

# Any 64-bit number the application does not use for another advisory lock.
ADVISORY_KEY = 0x706F_7064_6173_6801  # "popdash" + 1
# How long SQLite waits for a writer to finish before we call the database busy, in ms: long
# enough for a page's short write (a target deletion), far shorter than any import.
SQLITE_WAIT_MS = 300
SQLITE_DEFAULT_WAIT_MS = 5000  # Python's sqlite3 default, restored once the lock is ours


class ImportBusy(ImportFailed):
    """Another import, target save or undo holds the write lock; nothing was written."""


def is_busy(exc: BaseException) -> bool:
    """Whether a database error is SQLite's "database is locked" (another writer)."""
    return isinstance(exc, OperationalError) and "locked" in str(getattr(exc, "orig", exc)).lower()


def busy(conn: Connection, name: str, own_id: int | None = None) -> ImportBusy:
    """The refusal, naming the running import (the newest ``running`` row that is not ours)."""
    holder = history.running(conn, exclude=own_id)
    if holder is None:
        return ImportBusy(RowError.of(name, None, None, "import_busy_unknown"))
    return ImportBusy(
        RowError.of(
            name,
            None,
            None,
            "import_busy",
            started=history.local_time(holder.started_at),
            source=holder.file_name,
        )
    )


def register(
    engine: Engine, *, kind: str, file_name: str, file_hash: str | None, started_at: datetime
) -> int:
    """Commit the writer's ``running`` history row; returns its id. On SQLite this is itself a
    write: while another import holds the lock it is refused at once with ``ImportBusy``."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _begin_immediate(conn, file_name, None)
        log_id = history.insert_running(
            conn, kind=kind, file_name=file_name, file_hash=file_hash, started_at=started_at
        )
        conn.commit()
    return log_id


@contextmanager
def writing(engine: Engine, name: str, own_id: int | None = None) -> Iterator[Connection]:
    """A connection in a transaction that holds the write lock; commits on success, rolls back
    on an exception. Raises ``ImportBusy`` (naming the holder) when another writer has it."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _begin_immediate(conn, name, own_id)
        else:
            conn.begin()
            if conn.dialect.name == "postgresql":
                got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
                if not got:
                    conn.rollback()
                    log.info("write lock held by another import: refused")
                    raise busy(conn, name, own_id)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def _begin_immediate(conn: Connection, name: str, own_id: int | None) -> None:
    # pysqlite begins a transaction on its own only before INSERT/UPDATE/DELETE; an explicit
    # BEGIN IMMEDIATE as the first statement is passed through and owns the transaction, which
    # SQLAlchemy's commit and rollback then end.
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        conn.rollback()
        if not is_busy(exc):
            raise
        log.info("write lock held by another import: refused")
        raise busy(conn, name, own_id) from None
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_DEFAULT_WAIT_MS}")
