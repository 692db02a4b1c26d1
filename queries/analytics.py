"""Derived tables the indicator queries read instead of joining raw events.

Rebuilt from the raw tables inside the importing transaction, so they are never stale
when the import commits and never half-built when it fails.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, delete, func, insert, literal, or_, select

from queries.schema import births, deaths, migrant_services, migrant_years, migrants, prepregnancy_checks


def migrant_year_span(conn: Connection, today: date | None = None) -> range:
    """Years to materialise: the first year with any event (the first year a page can
    show) through next year (a migrant still present has no departure, so the data alone
    does not bound the span)."""
    firsts = [
        conn.execute(select(func.min(column))).scalar()
        for column in (
            births.c.birth_date,
            deaths.c.death_date,
            prepregnancy_checks.c.check_date,
            migrant_services.c.service_date,
        )
    ]
    firsts = [f if isinstance(f, date) else date.fromisoformat(str(f)[:10]) for f in firsts if f is not None]
    if not firsts or conn.execute(select(migrants.c.migrant_id).limit(1)).first() is None:
        return range(0)
    return range(min(firsts).year, (today or date.today()).year + 2)


def is_missing(conn: Connection) -> bool:
    """Migrants imported but no derived rows: a database from before migrant_years."""
    has_migrants = conn.execute(select(migrants.c.migrant_id).limit(1)).first() is not None
    return has_migrants and conn.execute(select(migrant_years.c.year).limit(1)).first() is None


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
