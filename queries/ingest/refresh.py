"""Where a change to the data tables reaches the closure table and the derived tables.

Called in the writing transaction of every import and undo, after its rows are written, with
what the change touched (``effect.Touched`` per data table: the units and the earliest day
its added, replaced and deleted rows concern, old and new versions together). Today every
derived table is rebuilt; a refresh in proportion to the change reads ``changes``.
"""

from __future__ import annotations

from queries.analytics import lifecycle
from queries.analytics.lifecycle import Progress
from queries.ingest.effect import Touched
from queries.store.db import rebuild_ancestors


def refresh_after(conn, changes: dict[str, Touched], progress: Progress | None = None) -> None:
    rebuild_ancestors(conn)
    lifecycle.refresh(conn, progress)
