"""Engines, the default embedded database, and schema upkeep."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, event, insert, inspect, select

from queries.store.config import REPO_ROOT
from queries.store.schema import unit_ancestors, units

DEFAULT_DB_PATH = REPO_ROOT / "data" / "population.sqlite"
DB_URL_ENV = "POPDASH_DB_URL"
log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database cannot be reached or is not a population database; the text says which."""


def default_db_url() -> str:
    """The URL the app and the command line use when none is given."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{DEFAULT_DB_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the app read while an import writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last import,
    # which the importer's all-or-nothing promise already covers.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The default 2 MB page cache thrashes on a county's event tables; 64 MB and a memory
    # map keep the scorecard's scans in memory (docs/benchmarks.md).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = url or default_db_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # a malformed URL or a driver that is not installed
        raise DatabaseError(f"cannot use database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def is_empty(engine: Engine) -> bool:
    if not inspect(engine).has_table("units"):
        return True
    with engine.connect() as conn:
        return conn.execute(select(units.c.code).limit(1)).first() is None


def rebuild_ancestors(conn) -> None:
    """Rebuild the closure table from ``units``; call inside the importing transaction."""
    parent_of = dict(conn.execute(select(units.c.code, units.c.parent_code)).all())
    rows = []
    for code in parent_of:
        depth, node, seen = 0, code, set()
        while node is not None and node not in seen:
            seen.add(node)
            rows.append({"ancestor_code": node, "unit_code": code, "depth": depth})
            node = parent_of.get(node)
            depth += 1
    conn.execute(delete(unit_ancestors))
    if rows:
        conn.execute(insert(unit_ancestors), rows)


def first_line(exc: BaseException) -> str:
    """Why a library refused, for a one-line message: the first line of its text (a database
    error's is its driver's, ``orig``, without SQLAlchemy's SQL and link), else its type's name."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__
