"""Undoing the latest import: the database back exactly to its content before it.

At import time (``capture``, in the writing transaction, before the rows are written) each
data table's ``undo_<table>`` receives, keyed by the import's history id, the key of every
row the import adds and the stored version of every row it replaces: in proportion to the
import, nothing for its unchanged rows. ``undo_latest`` restores the replaced rows, deletes
the added ones, rebuilds the closure and derived tables, stamps a new data version and marks
the import undone, in one transaction under the write lock.

Only the latest import that is not undone can be undone, and only while nothing changed
after it: the database's data version must be the one the latest history row produced
(a target deletion or a rebuild of the derived tables stamps a new one without a history
row). Undoing it again steps further back, as long as the earlier import's rows are kept:
the last ``DEPTH`` imports keep theirs.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, Table, and_, delete, func, literal, select, tuple_, update

from queries.analytics import lifecycle
from queries.analytics.lifecycle import Progress
from queries.ingest import history, lock
from queries.ingest.effect import Staged, Touched, merge, touched, upsert_from
from queries.ingest.errors import ImportFailed, RowError
from queries.ingest.refresh import refresh_after
from queries.store import clock, data_version
from queries.store.schema import DATA_TABLES, UNDO_TABLES, import_log

log = logging.getLogger(__name__)

DEPTH = 5  # imports whose undo rows are kept


class UndoRefused(ImportFailed):
    """Nothing can be undone now; the message says why. Nothing was written."""


@dataclass(frozen=True)
class UndoReport:
    """What an undo did: which import it undid, the rows it deleted (those the import added)
    and restored (those it replaced) per file, and what that touched (``effect.Touched``)."""

    undone_id: int
    history_id: int
    file_name: str
    deleted: dict[str, int]
    restored: dict[str, int]
    changes: dict[str, Touched] = field(default_factory=dict, compare=False)

    def summary(self) -> str:
        def parts(counts: dict[str, int]) -> str:
            return ", ".join(f"{f} {n:,}" for f, n in counts.items() if n) or "none"

        return (
            f"undid import #{self.undone_id} of {self.file_name}: deleted {parts(self.deleted)}; "
            f"restored {parts(self.restored)}"
        )


# --------------------------------------------------------------------------- at import time


def capture(conn: Connection, import_id: int, staged: dict[str, Staged]) -> None:
    """Record what undoing ``import_id`` needs, before its rows are written."""
    for name, s in staged.items():
        u = UNDO_TABLES[name]
        o = s.table.alias("stored")
        k = o.c[s.key[0]]
        added = (
            select(literal(import_id), *(s.temp.c[c] for c in s.key), literal("added"))
            .select_from(s.temp.outerjoin(o, s.on_key(o)))
            .where(k.is_(None))
        )
        conn.execute(u.insert().from_select(["import_id", *s.key, "action"], added))
        columns = [c.name for c in s.table.columns]
        replaced = (
            select(literal(import_id), *(o.c[c] for c in columns), literal("replaced"))
            .select_from(s.temp.join(o, s.on_key(o)))
            .where(s.differs(o))
        )
        conn.execute(u.insert().from_select(["import_id", *columns, "action"], replaced))


def old_versions(conn: Connection, import_id: int, names: list[str] | None = None) -> dict[str, Touched]:
    """What the stored versions of the rows ``import_id`` replaces touch (call before writing);
    ``names`` the data tables to look at (default: all)."""
    return {
        t.name: touched(conn, t.name, _kept(UNDO_TABLES[t.name], t, import_id, "replaced"))
        for t in DATA_TABLES
        if names is None or t.name in names
    }


def current_versions(conn: Connection, import_id: int, names: list[str] | None = None) -> dict[str, Touched]:
    """What the rows now stored under the keys ``import_id`` added or replaced touch."""
    out = {}
    for t in DATA_TABLES:
        if names is not None and t.name not in names:
            continue
        u = UNDO_TABLES[t.name]
        key = [c.name for c in t.primary_key.columns]
        # driven from the import's undo rows: in proportion to the import, not the table
        rows = (
            select(*t.columns)
            .select_from(u.join(t, and_(*(u.c[k] == t.c[k] for k in key))))
            .where(u.c.import_id == import_id)
        )
        out[t.name] = touched(conn, t.name, rows)
    return out


def _kept(u: Table, table: Table, import_id: int, action: str):
    return select(*(u.c[c.name] for c in table.columns)).where(
        u.c.import_id == import_id, u.c.action == action
    )


def prune(conn: Connection) -> None:
    """Keep the undo rows of the latest ``DEPTH`` imports only."""
    old = (
        select(import_log.c.id)
        .where(import_log.c.undo_kept == 1)
        .order_by(import_log.c.id.desc())
        .offset(DEPTH)
    )
    ids = list(conn.execute(old).scalars())
    if not ids:
        return
    for u in UNDO_TABLES.values():
        conn.execute(delete(u).where(u.c.import_id.in_(ids)))
    conn.execute(update(import_log).where(import_log.c.id.in_(ids)).values(undo_kept=0))


# --------------------------------------------------------------------------- undoing


def _refuse(code: str, entry: history.Entry | None = None, **params: object) -> UndoRefused:
    if entry is not None:
        params.update(source=entry.file_name, started=history.local_time(entry.started_at))
    return UndoRefused(RowError.of("undo", None, None, code, **params))


def candidate(conn: Connection) -> history.Entry:
    """The import ``undo_latest`` would undo now; raises ``UndoRefused`` saying why none can be."""
    rows = history.changes(conn, limit=4 * DEPTH)
    if not rows:
        raise _refuse("undo_nothing")
    latest = rows[0]
    if latest.data_version != data_version.read(conn):
        raise _refuse("undo_changed_since", latest)
    # Rows after it are undos and the imports they undid: the database is as it left it.
    entry = next((r for r in rows if r.result == "imported"), None)
    if entry is None:
        raise _refuse("undo_nothing")
    if entry.kind != "import":
        raise _refuse("undo_targets_last", entry)
    if not entry.undo_kept:
        raise _refuse("undo_not_kept", entry, depth=DEPTH)
    return entry


def undo_latest(engine: Engine, progress: Progress | None = None) -> UndoReport:
    """Undo the latest import (see the module's docstring); raises ``UndoRefused`` when none
    can be, ``lock.ImportBusy`` while another import runs. Recorded in the history either way."""
    lifecycle.ensure_schema(engine)
    started, began = clock.utc_now(), time.perf_counter()
    with engine.connect() as conn:
        try:
            name = candidate(conn).file_name
        except UndoRefused:
            name = "undo"
    log_id = lock.register(engine, kind="undo", file_name=name, file_hash=None, started_at=started)
    steps = 1 + len(lifecycle.STEPS)

    def rebuilding(done: int, _total: int, step: str) -> None:
        if progress is not None:
            progress(1 + done, steps, step)

    try:
        with lock.writing(engine, name, log_id) as conn:
            if progress is not None:
                progress(0, steps, "undo")
            entry = candidate(conn)
            before = current_versions(conn, entry.id)
            restored, deleted = _restore(conn, entry.id)
            after = old_versions(conn, entry.id)
            for u in UNDO_TABLES.values():
                conn.execute(delete(u).where(u.c.import_id == entry.id))
            changes = merge(before, after)
            refresh_after(conn, changes, rebuilding)
            version = data_version.stamp(conn, "undo")
            conn.execute(
                update(import_log).where(import_log.c.id == entry.id).values(result="undone", undo_kept=0)
            )
            added_by, replaced_by = _counts_of(conn, entry.id)
            history.finish(
                conn,
                log_id,
                started_at=started,
                result="undone",
                added=added_by,
                replaced=replaced_by,
                version=version,
                undo_of=entry.id,
                file_name=entry.file_name,
            )
    except ImportFailed as exc:
        history.refuse(engine, log_id, started, exc)
        log.warning("undo refused: %s", exc.errors[0].code if exc.errors else "")
        raise
    log.info(
        "undid import %d in %.1f s: deleted %s, restored %s",
        entry.id,
        time.perf_counter() - began,
        sum(deleted.values()),
        sum(restored.values()),
    )
    return UndoReport(entry.id, log_id, entry.file_name, added_by, replaced_by, changes)


def _counts_of(conn: Connection, import_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """The undone import's rows added and replaced per file, as its history row has them."""
    row = conn.execute(
        select(import_log.c.rows_added, import_log.c.rows_replaced).where(import_log.c.id == import_id)
    ).one()
    return json.loads(row[0] or "{}"), json.loads(row[1] or "{}")


def _restore(conn: Connection, import_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Put the replaced rows back (parents first), then delete the added ones (children first,
    once no restored row refers to them); returns rows restored and deleted per table."""
    restored, deleted = {}, {}
    for t in DATA_TABLES:
        rows = _kept(UNDO_TABLES[t.name], t, import_id, "replaced")
        n = conn.execute(select(func.count()).select_from(rows.subquery())).scalar_one()
        if n:
            upsert_from(conn, t, rows)
        restored[t.name] = int(n)
    for t in reversed(DATA_TABLES):
        u = UNDO_TABLES[t.name]
        key = [c.name for c in t.primary_key.columns]
        result = conn.execute(delete(t).where(_key_in(t, u, key, import_id, "added")))
        deleted[t.name] = int(result.rowcount or 0)
    return restored, deleted


def _key_in(t: Table, u: Table, key: list[str], import_id: int, action: str):
    """``t``'s key is among the undo rows' (an IN on the key: an index probe per undo row)."""
    kept = select(*(u.c[k] for k in key)).where(u.c.import_id == import_id, u.c.action == action)
    return (t.c[key[0]] if len(key) == 1 else tuple_(*(t.c[k] for k in key))).in_(kept)
