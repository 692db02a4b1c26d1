"""What is in the database: the unit tree, the years with data, whether a period is empty."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, exists, func, select

from queries.engine.period import Period
from queries.store.frames import frame, subtree
from queries.store.schema import births, deaths, migrant_services, migrants, prepregnancy_checks, units


def units_frame(conn: Connection) -> pd.DataFrame:
    stmt = select(units.c.code, units.c.name, units.c.level, units.c.parent_code).order_by(units.c.code)
    return frame(conn, stmt, ["code", "name", "level", "parent_code"])


def years(conn: Connection) -> list[int]:
    """Calendar years with events, newest first. A year with only a year-end population
    row (the baseline before the first year of events) or only targets has nothing to show.

    Each date column is indexed, so its first and last day and whether a year between has
    any row are index probes, not the scan that grouping every row by year would be."""
    found: set[int] = set()
    for column in _EVENT_DAYS:
        first = conn.execute(select(func.min(column))).scalar()
        if first is None:
            continue
        last = conn.execute(select(func.max(column))).scalar()
        assert last is not None  # the column has a least day, so it has a greatest
        for year in range(first.year, last.year + 1):
            if (
                year not in found
                and conn.execute(
                    select(exists().where(column.between(date(year, 1, 1), date(year, 12, 31))))
                ).scalar()
            ):
                found.add(year)
    return sorted(found, reverse=True)


def has_records(conn: Connection, root: str, period: Period) -> bool:
    """Whether any birth, death, pre-pregnancy check or migrant service is dated in the
    period within root's subtree: the pages' test for a year with nothing to show. Each
    test stops at the first row found, where counting them read every one (2 s for a
    city-size county)."""
    scope = subtree(root)
    during = {column: column.between(period.start, period.as_of) for column in _EVENT_DAYS}
    tests = [
        exists().where(during[column], column.table.c.unit_code.in_(scope))
        for column in (births.c.birth_date, deaths.c.death_date, prepregnancy_checks.c.check_date)
    ]
    ms = migrant_services.c
    tests.append(
        exists().where(
            during[ms.service_date],
            migrants.c.migrant_id == ms.migrant_id,
            migrants.c.unit_code.in_(scope),
        )
    )
    # A period with no rows at all is answered by the date indexes alone: asked with the
    # subtree, the planner may walk every migrant of a county looking for a service.
    anywhere = [exists().where(test) for test in during.values()]
    if not any(conn.execute(select(test)).scalar() for test in anywhere):
        return False
    return any(conn.execute(select(test)).scalar() for test in tests)


_EVENT_DAYS = (
    births.c.birth_date,
    deaths.c.death_date,
    prepregnancy_checks.c.check_date,
    migrant_services.c.service_date,
)
