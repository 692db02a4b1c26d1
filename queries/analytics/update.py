"""The derived tables brought up to date after an import from what it touched
(``touched.Touched``) instead of built whole: only the rows of the touched units' ancestors
from the touched month (or year) on are computed again, in SQL, so a township's month of
records costs about a month of the county's events, not the database. ``UPDATES`` holds
one function per table of ``build.DERIVED``; each leaves its table exactly as the full
build would (tests/analytics/test_increment.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from queries.analytics.build import (
    SERVICE_MONTH_COLUMNS,
    dense_months,
    event_rows,
    event_sources,
    later,
    month_key,
    population_rows,
    reported_rows,
    services_per_village,
    up_the_tree,
    year_of,
    years_with_rows,
)
from queries.analytics.columns import EVENT_COLUMN_NAMES
from queries.analytics.tables import (
    YEAR_MEASURES,
    first_checks,
    served_migrants,
    unit_months,
    unit_service_months,
    unit_years,
)
from queries.analytics.touched import Touched
from queries.store.schema import migrant_services, migrants, prepregnancy_checks, unit_ancestors, units

# What feeds each table, by data table name.
MONTHLY_SOURCES = ("births", "deaths", "prepregnancy_checks", "migrants", "migrant_services")
SERVED_SOURCES = ("migrants", "migrant_services")
LAST_DAY = date(9999, 12, 31)


def _month(day: date) -> int:
    return day.year * 100 + day.month


def _ancestors(touched_units: frozenset[str]):
    """The units whose subtree holds a touched unit (each is its own ancestor)."""
    a = unit_ancestors.c
    return select(a.ancestor_code).where(a.unit_code.in_(sorted(touched_units))).distinct()


def _first_checks(conn: Connection, touched: Touched) -> None:
    """A couple's first check of a year depends on that year's checks of its unit only."""
    touched_units, since = touched.units("prepregnancy_checks"), touched.since("prepregnancy_checks")
    if not touched_units or since is None:
        return
    fc, pc = first_checks.c, prepregnancy_checks.c
    conn.execute(delete(first_checks).where(fc.unit_code.in_(sorted(touched_units)), fc.year >= since.year))
    year = year_of(pc.check_date)
    first = (
        select(year, pc.unit_code, pc.couple_id, func.min(pc.check_date))
        .where(pc.unit_code.in_(sorted(touched_units)), pc.check_date >= date(since.year, 1, 1))
        .group_by(year, pc.unit_code, pc.couple_id)
    )
    conn.execute(insert(first_checks).from_select(["year", "unit_code", "couple_id", "day"], first))


def _served_migrants(conn: Connection, touched: Touched) -> None:
    """A migrant's served row of a year depends on the migrant and its services that year;
    a changed migrant's rows are all of its arrival year or later."""
    touched_units, since = touched.units(*SERVED_SOURCES), touched.since(*SERVED_SOURCES)
    if not touched_units or since is None:
        return
    sm, ms, m = served_migrants.c, migrant_services.c, migrants.c
    conn.execute(
        delete(served_migrants).where(sm.unit_code.in_(sorted(touched_units)), sm.year >= since.year)
    )
    year = year_of(ms.service_date)
    first = (
        select(ms.migrant_id, year.label("year"), func.min(ms.service_date).label("first"))
        .where(
            ms.service_date >= date(since.year, 1, 1),
            ms.migrant_id.in_(select(m.migrant_id).where(m.unit_code.in_(sorted(touched_units)))),
        )
        .group_by(ms.migrant_id, year)
        .subquery()
    )
    served = (
        select(first.c.year, m.migrant_id, m.unit_code, later(first.c.first, m.arrival_date))
        .join(first, first.c.migrant_id == m.migrant_id)
        .where(
            m.unit_code.in_(sorted(touched_units)),
            m.direction == "in",
            year_of(m.arrival_date) <= first.c.year,
            or_(m.departure_date.is_(None), year_of(m.departure_date) >= first.c.year),
        )
    )
    conn.execute(insert(served_migrants).from_select(["year", "migrant_id", "unit_code", "day"], served))


def _months_with_events(conn: Connection, since: date) -> list[int]:
    """Every month from ``since`` on with an event anywhere (through the date indexes)."""
    parts = []
    for day, _unit, _adds, condition in event_sources():
        stmt = select(month_key(day).label("month")).where(day >= since).distinct()
        parts.append(stmt if condition is None else stmt.where(condition))
    return sorted(set(conn.execute(union_all(*parts)).scalars()))


def _unit_months(conn: Connection, touched: Touched) -> None:
    """Running totals change from the touched month on, for the touched units' ancestors;
    every other unit keeps its totals but follows the months with events anywhere (the
    table is dense: a row per unit for every such month from its own first one on)."""
    touched_units, since = touched.units(*MONTHLY_SOURCES), touched.since(*MONTHLY_SOURCES)
    if not touched_units or since is None:
        return
    um = unit_months.c
    first_day = since.replace(day=1)
    start = _month(first_day)
    roots = select(units.c.code).where(units.c.parent_code.is_(None))
    # Every unit below a root has a row in each of the root's months: the roots' months are
    # the table's months.
    old = sorted(
        set(
            conn.execute(
                select(um.month).where(um.unit_code.in_(roots), um.month >= start).distinct()
            ).scalars()
        )
    )
    before = conn.execute(
        select(func.max(um.month)).where(um.unit_code.in_(roots), um.month < start)
    ).scalar()
    new = _months_with_events(conn, first_day)
    names = ["unit_code", "month", *EVENT_COLUMN_NAMES]
    # A unit whose totals stay gets a row in a month that gains events: its row of the month
    # before (every unit with a row then has one); inserted before any month is dropped.
    for month in sorted(set(new) - set(old)):
        prev = max([m for m in old if m < month], default=before)
        if prev is not None:
            copied = select(um.unit_code, literal(month), *[um[n] for n in EVENT_COLUMN_NAMES]).where(
                um.month == prev
            )
            conn.execute(insert(unit_months).from_select(names, copied))
    gone = sorted(set(old) - set(new))
    if gone:
        conn.execute(delete(unit_months).where(um.month.in_(gone)))
    ancestors = _ancestors(touched_units)
    conn.execute(delete(unit_months).where(um.unit_code.in_(ancestors), um.month >= start))
    if not new:
        return
    # Bounded on both sides: SQLite then takes the day indexes; from a lower bound alone it
    # walked the migrants' unit index through every row (1.7 s against 0.1 s at 10x).
    events = event_rows(month_key, since=first_day, until=LAST_DAY)
    rows = (
        select(
            events.c.unit_code,
            events.c.key.label("month"),
            *[func.sum(events.c[n]).label(n) for n in EVENT_COLUMN_NAMES],
        )
        .group_by(events.c.unit_code, events.c.key)
        .subquery()
    )
    per_month = (
        up_the_tree(rows, ("month",), EVENT_COLUMN_NAMES)
        .where(unit_ancestors.c.ancestor_code.in_(ancestors))
        .cte("per_month")
    )
    # The totals up to the month before: each ancestor's row then, if it had events before.
    base = (
        select(um.unit_code, *[um[n] for n in EVENT_COLUMN_NAMES])
        .where(um.month == before, um.unit_code.in_(ancestors))
        .cte("base")
    )
    months = union_all(*[select(literal(m).label("month")) for m in new]).subquery()
    firsts = union_all(
        select(base.c.unit_code, literal(0).label("first")),
        select(per_month.c.unit_code, func.min(per_month.c.month).label("first")).group_by(
            per_month.c.unit_code
        ),
    ).subquery()
    starts = (
        select(firsts.c.unit_code, func.min(firsts.c.first).label("first"))
        .group_by(firsts.c.unit_code)
        .subquery()
    )
    dense = dense_months(per_month, months, starts)
    running = (
        select(
            dense.c.unit_code,
            dense.c.month,
            *[
                (
                    func.coalesce(base.c[n], 0)
                    + func.sum(dense.c[n]).over(partition_by=dense.c.unit_code, order_by=dense.c.month)
                ).label(n)
                for n in EVENT_COLUMN_NAMES
            ],
        )
        .select_from(dense)
        .outerjoin(base, base.c.unit_code == dense.c.unit_code)
    )
    conn.execute(insert(unit_months).from_select(names, running))


def _unit_service_months(conn: Connection, touched: Touched) -> None:
    """A service changes its month's counts and, within its year, which later service of
    its migrant is the first of the kind: the touched units' ancestors from the touched
    month on are counted again, each service knowing whether an earlier one of the kind
    that year came before the touched month."""
    touched_units, since = touched.units("migrant_services"), touched.since("migrant_services")
    if not touched_units or since is None:
        return
    ms, usm = migrant_services.c, unit_service_months.c
    first_day = since.replace(day=1)
    ancestors = _ancestors(touched_units)
    conn.execute(
        delete(unit_service_months).where(usm.unit_code.in_(ancestors), usm.month >= _month(first_day))
    )
    earlier = migrant_services.alias("earlier")
    e = earlier.c
    before_in_year = and_(
        ms.service_date < date(first_day.year + 1, 1, 1),
        exists().where(
            e.migrant_id == ms.migrant_id,
            e.service == ms.service,
            e.service_date >= date(first_day.year, 1, 1),
            e.service_date < first_day,
        ),
    )
    order = func.row_number().over(
        partition_by=(ms.migrant_id, ms.service, year_of(ms.service_date)), order_by=ms.service_date
    )
    flagged = (
        select(
            ms.migrant_id,
            ms.service,
            month_key(ms.service_date).label("month"),
            case((and_(order == 1, ~before_in_year), 1), else_=0).label("first"),
        )
        .where(ms.service_date >= first_day)
        .subquery()
    )
    summed = up_the_tree(services_per_village(flagged), ("month", "service"), ("services", "migrants")).where(
        unit_ancestors.c.ancestor_code.in_(ancestors)
    )
    conn.execute(insert(unit_service_months).from_select(SERVICE_MONTH_COLUMNS, summed))


def _unit_years(conn: Connection, touched: Touched) -> None:
    """A year's row of a unit reads its subtree's population of that year and the one
    before, and its reported figures of that year. A year that enters or leaves the years
    with rows holds no rows of untouched units (their data alone would have put it there)."""
    touched_units, first = touched.units("population", "reported"), touched.year("population", "reported")
    if not touched_units or first is None:
        return
    uy = unit_years.c
    ancestors = _ancestors(touched_units)
    conn.execute(delete(unit_years).where(uy.unit_code.in_(ancestors), uy.year >= first))
    for year in (y for y in years_with_rows(conn) if y >= first):
        rows = union_all(population_rows(year), reported_rows(year)).subquery()
        rolled = (
            up_the_tree(rows, (), YEAR_MEASURES)
            .where(unit_ancestors.c.ancestor_code.in_(ancestors))
            .add_columns(literal(year))
        )
        conn.execute(insert(unit_years).from_select(["unit_code", *YEAR_MEASURES, "year"], rolled))


UPDATES: dict[str, Callable[[Connection, Touched], None]] = {
    first_checks.name: _first_checks,
    served_migrants.name: _served_migrants,
    unit_months.name: _unit_months,
    unit_service_months.name: _unit_service_months,
    unit_years.name: _unit_years,
}
