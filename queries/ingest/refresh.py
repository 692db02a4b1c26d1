"""How an undo reaches the closure table and the derived tables.

An import works out what it touches before it writes (``analytics.touched.touched_by``,
which also knows that an unchanged row touches nothing and a departure only its month). An
undo knows what it touched from the rows it restores and deletes (``effect.Touched`` per data
table: units and earliest day, old and new versions together): that is turned into the
analytics' ``Touched`` here, so the derived tables are updated in proportion to it; a change
to the units themselves rebuilds the closure and every derived table.
"""

from __future__ import annotations

from queries.analytics import lifecycle
from queries.analytics.lifecycle import Progress
from queries.analytics.touched import Touch, Touched
from queries.ingest.effect import Touched as RowsTouched
from queries.store.db import rebuild_ancestors

YEARLY = ("population", "reported")
NOT_DERIVED = ("targets",)  # no derived table reads targets


def as_touched(changes: dict[str, RowsTouched]) -> Touched | None:
    """The analytics' view of ``changes``; None (build whole) when units changed."""
    if changes.get("units") is not None and changes["units"].units:
        return None
    tables = {}
    for name, c in changes.items():
        if name in NOT_DERIVED or name == "units" or not c.units:
            continue
        if name in YEARLY:
            tables[name] = Touch(c.units, year=c.since.year if c.since else None)
        else:
            tables[name] = Touch(c.units, since=c.since)
    return Touched(tables)


def refresh_after(conn, changes: dict[str, RowsTouched], progress: Progress | None = None) -> None:
    touched = as_touched(changes)
    if touched is None:
        rebuild_ancestors(conn)
    lifecycle.refresh(conn, progress, touched)
