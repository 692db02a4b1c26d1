"""Derived tables the indicator queries read instead of joining raw events.

Rebuilt from the raw tables inside the importing transaction, so they are never stale
when the import commits and never half-built when it fails.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, delete, func, insert, literal, or_, select

from queries.schema import migrant_services, migrant_years, migrants


def migrant_year_span(conn: Connection, today: date | None = None) -> range:
    """Years to materialise: from the first arrival through next year (a migrant still
    present has no departure, so the data alone does not bound the span)."""
    first = conn.execute(select(func.min(migrants.c.arrival_date))).scalar()
    if first is None:
        return range(0)
    first_year = first.year if isinstance(first, date) else int(str(first)[:4])
    last = (today or date.today()).year + 1
    return range(first_year, last + 1)


def refresh(conn: Connection, today: date | None = None) -> None:
    conn.execute(delete(migrant_years))
    for year in migrant_year_span(conn, today):
        start, end = date(year, 1, 1), date(year, 12, 31)
        first = (
            select(migrant_services.c.migrant_id, func.min(migrant_services.c.service_date).label("first"))
            .where(migrant_services.c.service_date.between(start, end))
            .group_by(migrant_services.c.migrant_id)
            .subquery()
        )
        present = (
            select(
                literal(year),
                migrants.c.migrant_id,
                migrants.c.unit_code,
                migrants.c.direction,
                migrants.c.arrival_date,
                first.c.first,
            )
            .outerjoin(first, first.c.migrant_id == migrants.c.migrant_id)
            .where(
                migrants.c.arrival_date <= end,
                or_(migrants.c.departure_date.is_(None), migrants.c.departure_date >= start),
            )
        )
        conn.execute(
            insert(migrant_years).from_select(
                ["year", "migrant_id", "unit_code", "direction", "arrival_date", "first_service"], present
            )
        )
