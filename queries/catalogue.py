"""What is in the database: the unit tree, the years with data, whether a period is empty."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, extract, func, select, union

from queries.measures import frame, subtree
from queries.period import Period
from queries.schema import births, deaths, migrant_services, migrants, prepregnancy_checks, units


def units_frame(conn: Connection) -> pd.DataFrame:
    stmt = select(units.c.code, units.c.name, units.c.level, units.c.parent_code).order_by(units.c.code)
    return frame(conn, stmt, ["code", "name", "level", "parent_code"])


def years(conn: Connection) -> list[int]:
    """Calendar years with events, newest first. A year with only a year-end population
    row (the baseline before the first year of events) or only targets has nothing to show."""
    parts = [
        select(extract("year", births.c.birth_date).label("y")).distinct(),
        select(extract("year", deaths.c.death_date).label("y")).distinct(),
        select(extract("year", prepregnancy_checks.c.check_date).label("y")).distinct(),
        select(extract("year", migrant_services.c.service_date).label("y")).distinct(),
    ]
    found = {int(r[0]) for r in conn.execute(union(*parts)).all() if r[0] is not None}
    return sorted(found, reverse=True)


def record_count(conn: Connection, root: str, period: Period) -> int:
    """Events of any kind dated in the period within root's subtree."""
    total = 0
    for table, column in (
        (births, births.c.birth_date),
        (deaths, deaths.c.death_date),
        (prepregnancy_checks, prepregnancy_checks.c.check_date),
    ):
        total += conn.execute(
            select(func.count())
            .select_from(table)
            .where(column.between(period.start, period.as_of), table.c.unit_code.in_(subtree(root)))
        ).scalar_one()
    total += conn.execute(
        select(func.count())
        .select_from(migrant_services.join(migrants, migrants.c.migrant_id == migrant_services.c.migrant_id))
        .where(
            migrant_services.c.service_date.between(period.start, period.as_of),
            migrants.c.unit_code.in_(subtree(root)),
        )
    ).scalar_one()
    return int(total)
