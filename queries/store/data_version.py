"""The data version: one token that changes with every change to what the numbers rest on.

``stamp`` is called inside the transaction that makes the change (an import, a target
save or deletion, a rebuild of the derived tables), so the token and the data commit
together; ``read`` is one primary-key probe, cheap enough for every page run.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from queries.store import clock
from queries.store.schema import data_version


def stamp(conn: Connection, reason: str) -> str:
    """Give the database a new version (inside the caller's transaction); returns it."""
    token = uuid.uuid4().hex
    conn.execute(delete(data_version))
    conn.execute(insert(data_version).values(id=1, token=token, changed_at=clock.utc_now(), reason=reason))
    return token


def read(conn: Connection) -> str:
    """The current version ('' for a database never stamped)."""
    return conn.execute(select(data_version.c.token).where(data_version.c.id == 1)).scalar() or ""


def last_change(conn: Connection) -> tuple[datetime | None, str]:
    """When the data last changed and why ('import', 'targets', 'rebuild'), for a page's footer."""
    row = conn.execute(
        select(data_version.c.changed_at, data_version.c.reason).where(data_version.c.id == 1)
    ).first()
    return (row[0], row[1]) if row else (None, "")
