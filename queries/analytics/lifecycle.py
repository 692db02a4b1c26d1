"""The one life cycle of every derived table: create, populate, verify, stamp.

As DHIS2's ``JdbcAnalyticsTableManager`` does for its analytics tables: ``refresh``
populates every table of ``build.DERIVED`` inside the importing transaction (so they are
never stale when an import commits, never half-built when it fails) and stamps the
definition it built; ``problems`` verifies them on every page run; ``rebuild`` drops and
creates them when they are missing, empty or from another version; ``ensure_schema`` does all
of that when a database is opened.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, delete, func, insert, inspect, literal, select

from queries.analytics.build import DERIVED
from queries.analytics.tables import DERIVED_TABLES, derived_state
from queries.analytics.touched import Touched
from queries.analytics.update import UPDATES
from queries.store import data_version
from queries.store.db import DatabaseError, first_line
from queries.store.schema import (
    DATA_LEVELS,
    births,
    deaths,
    metadata,
    migrant_services,
    migrants,
    prepregnancy_checks,
    units,
)

log = logging.getLogger(__name__)

# Bump when what a derived table holds changes (its columns are in the signature already):
# databases stamped otherwise are rebuilt when opened.
VERSION = 5

STEPS = tuple(d.table.name for d in DERIVED)
# When an import's touch is updated rather than built whole: unless it reaches more than
# this share of the events (dated from its first touched month on) and of the villages and
# communities both, and at most this many touched units.
UPDATE_SHARE = 0.5
UPDATE_UNITS = 5000
Progress = Callable[[int, int, str], None]  # (steps done, steps in all, the step now running)


def signature() -> str:
    """What the derived tables' definition is: VERSION and every derived column (so adding
    a reported indicator to the registry or an event column also rebuilds them)."""
    columns = [f"{t.name}.{c.name}" for t in DERIVED_TABLES for c in t.columns]
    return hashlib.sha1(f"{VERSION}:{','.join(columns)}".encode()).hexdigest()


def problems(conn: Connection) -> list[str]:
    """What is wrong with the derived tables, in words for the log; empty when they can be
    read: every one present, stamped with this version's definition, and none empty
    while the raw rows it is made from exist. A few index probes: cheap enough to run on
    every page view."""
    if not _has_rows(conn, units):
        return []
    present = set(inspect(conn).get_table_names())
    missing = [t.name for t in DERIVED_TABLES if t.name not in present]
    if missing:
        return [f"missing {', '.join(missing)}"]
    if "signature" not in {c["name"] for c in inspect(conn).get_columns(derived_state.name)}:
        return ["stamped by a version before signatures"]
    stamp = conn.execute(
        select(derived_state.c.signature).where(derived_state.c.name == "analytics")
    ).scalar()
    if stamp != signature():
        return ["never built" if stamp is None else "built by another version"]
    empty = {
        d.table.name
        for d in DERIVED
        if not _has_rows(conn, d.table) and any(_has_rows(conn, raw) for raw in d.made_from)
    }
    return [f"{name} is empty" for name in sorted(empty)]


def _has_rows(conn: Connection, table) -> bool:
    return conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None


def rebuild(conn: Connection, progress: Progress | None = None) -> None:
    """Drop, create, populate and stamp every derived table (inside the caller's
    transaction): for a database built by another version, or one whose derived tables
    were lost. A table of another version may have other columns, hence drop and create."""
    for table in reversed(DERIVED_TABLES):
        table.drop(conn, checkfirst=True)
    for table in DERIVED_TABLES:
        table.create(conn)
    refresh(conn, progress)
    data_version.stamp(conn, "rebuild")


def refresh(conn: Connection, progress: Progress | None = None, touched: Touched | None = None) -> None:
    """Bring every derived table up to date and stamp the definition; call inside the
    importing transaction, after the writes and the closure table. With ``touched`` (what
    the import changed, ``touched.touched_by`` before its writes) only the rows it changes
    are computed again, unless it reaches so far back that building whole is as cheap;
    None builds every table anew. ``progress`` hears of each step as it starts."""
    started = time.perf_counter()
    if touched is not None and not worth_updating(conn, touched):
        touched = None
    if touched is None:
        for table in DERIVED_TABLES:
            conn.execute(delete(table))
    else:
        conn.execute(delete(derived_state))
    for done, derived in enumerate(DERIVED):
        if progress is not None:
            progress(done, len(STEPS), derived.table.name)
        if touched is None:
            derived.populate(conn)
        else:
            UPDATES[derived.table.name](conn, touched)
    conn.execute(insert(derived_state).values(name="analytics", signature=signature()))
    if progress is not None:
        progress(len(STEPS), len(STEPS), "")
    how = "rebuilt" if touched is None else "updated"
    log.info("derived tables %s in %.1f s", how, time.perf_counter() - started)


def worth_updating(conn: Connection, touched: Touched) -> bool:
    """Whether updating the derived tables from ``touched`` is cheaper than building them.

    An update reads every event from the touched month on (the county's own rows sum all of
    them) and computes the touched units' ancestors again. Measured at 10x on SQLite, one
    township's correction reaching back to 76 % of the events still updated six times
    faster than a full build (docs/benchmarks.md, Import): only when the touch reaches past
    UPDATE_SHARE of both the events and the units is a full build as cheap. Counted on the
    indexes. Too many touched units would also overflow the statements' bound parameters."""
    touched_units = touched.units(*touched.tables)
    if len(touched_units) > UPDATE_UNITS:
        return False
    since = touched.since(*touched.tables)
    if since is None:
        return True
    since = since.replace(day=1)
    after = every = 0
    for table, day in _RAW_DAYS:
        every += conn.execute(select(func.count()).select_from(table)).scalar() or 0
        after += conn.execute(select(func.count()).where(day >= since)).scalar() or 0
    if after <= UPDATE_SHARE * every:
        return True
    data_units = conn.execute(select(func.count()).where(units.c.level.in_(DATA_LEVELS))).scalar() or 0
    return len(touched_units) <= UPDATE_SHARE * data_units


_RAW_DAYS = (
    (births, births.c.birth_date),
    (deaths, deaths.c.death_date),
    (prepregnancy_checks, prepregnancy_checks.c.check_date),
    (migrants, migrants.c.arrival_date),
    (migrant_services, migrant_services.c.service_date),
)


def ensure_schema(engine: Engine, progress: Progress | None = None) -> None:
    """Create any missing table; existing data is left as it is. Derived tables that are
    missing, empty or from another version are rebuilt from the raw tables."""
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            # create_all adds no index to a table that exists: a database from an older
            # version gets the indexes added since.
            for table in metadata.sorted_tables:
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
            wrong = problems(conn)
            if wrong:
                log.warning("derived tables rebuilt from the raw tables: %s", "; ".join(wrong))
                rebuild(conn, progress)
    except Exception as exc:
        raise DatabaseError(f"cannot open the database: {first_line(exc)}") from exc
