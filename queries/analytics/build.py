"""How each derived table is populated from the raw tables (``DERIVED``, in build order);
``lifecycle`` runs them inside the importing transaction. Every sum up the
unit tree happens here, in SQL, through the closure table: a unit's row is the sum over its
subtree, so a parent's figures are by construction the sums of its children's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    FunctionElement,
    Integer,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles

from queries.analytics.columns import EVENT_COLUMN_NAMES, EVENT_COLUMNS
from queries.analytics.tables import (
    YEAR_MEASURES,
    first_checks,
    served_migrants,
    unit_months,
    unit_service_months,
    unit_years,
)
from queries.engine.registry import REPORTED_CODES
from queries.store.schema import (
    births,
    deaths,
    migrant_services,
    migrants,
    population,
    prepregnancy_checks,
    reported,
    unit_ancestors,
)


class _DatePart(FunctionElement):
    """A date column's year (``year``) or year × 100 + month (``month``) as an integer.
    SQLite keeps dates as ISO text: cutting the text is twice as fast as its strftime,
    which the derived tables' grouping would call half a million times per import."""

    type = Integer()
    inherit_cache = True


class _Year(_DatePart):
    name = "year_of"
    inherit_cache = True


class _Month(_DatePart):
    name = "month_of"
    inherit_cache = True


@compiles(_Year)
def _year_default(element, compiler, **kw):
    return f"CAST(EXTRACT(YEAR FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(_Month)
def _month_default(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(YEAR FROM {day}) * 100 + EXTRACT(MONTH FROM {day}) AS INTEGER)"


@compiles(_Year, "sqlite")
def _year_sqlite(element, compiler, **kw):
    return f"CAST(substr({compiler.process(element.clauses, **kw)}, 1, 4) AS INTEGER)"


@compiles(_Month, "sqlite")
def _month_sqlite(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"CAST(substr({day}, 1, 4) || substr({day}, 6, 2) AS INTEGER)"


def year_of(column):
    return _Year(column)


def month_key(day):
    """year × 100 + month of a date column."""
    return _Month(day)


def later(a, b):
    """The later of two dates (SQLite's max(a, b) is PostgreSQL's greatest: spell it out)."""
    return case((a < b, b), else_=a)


def _first_checks(conn: Connection) -> None:
    pc = prepregnancy_checks.c
    year = year_of(pc.check_date)
    first = select(year, pc.unit_code, pc.couple_id, func.min(pc.check_date)).group_by(
        year, pc.unit_code, pc.couple_id
    )
    conn.execute(insert(first_checks).from_select(["year", "unit_code", "couple_id", "day"], first))


def _served_migrants(conn: Connection) -> None:
    ms, m = migrant_services.c, migrants.c
    year = year_of(ms.service_date)
    first = (
        select(ms.migrant_id, year.label("year"), func.min(ms.service_date).label("first"))
        .group_by(ms.migrant_id, year)
        .subquery()
    )
    served = (
        select(first.c.year, m.migrant_id, m.unit_code, later(first.c.first, m.arrival_date))
        .join(first, first.c.migrant_id == m.migrant_id)
        .where(
            m.direction == "in",
            year_of(m.arrival_date) <= first.c.year,  # present in the year of the service
            or_(m.departure_date.is_(None), year_of(m.departure_date) >= first.c.year),
        )
    )
    conn.execute(insert(served_migrants).from_select(["year", "migrant_id", "unit_code", "day"], served))


@dataclass(frozen=True)
class Source:
    """A dated event source the monthly totals count: its table, the day an event counts on
    (indexed), the unit it belongs to, and which rows count at all."""

    table: Table
    day: str
    condition: Callable[[Table], ColumnElement] | None = None


SOURCES = {
    "births": Source(births, "birth_date"),
    "deaths": Source(deaths, "death_date"),
    "first_checks": Source(first_checks, "day"),
    "arrivals": Source(migrants, "arrival_date"),
    "departures": Source(migrants, "departure_date", lambda t: t.c.departure_date.is_not(None)),
    "served_migrants": Source(served_migrants, "day"),
}


def event_sources() -> list[tuple]:
    """Every source with the event columns it adds to, as (day column, unit column,
    {event column: what one row adds}, extra condition): what the monthly totals sum and
    what the as-of month's tail reads."""
    out = []
    for key, source in SOURCES.items():
        c = source.table.c
        adds = {column.name: column.adds(c) for column in EVENT_COLUMNS if column.source == key}
        condition = source.condition(source.table) if source.condition else None
        out.append((c[source.day], c.unit_code, adds, condition))
    return out


def event_rows(key=None, since=None, until=None, measures: tuple[str, ...] = EVENT_COLUMN_NAMES):
    """Event ``measures`` per village (and per ``key(day column)``, a month say, when
    given), for events dated ``since`` … ``until`` when given: a subquery with unit_code,
    key and the measures. Each source is grouped on its own before the union, so the sorts
    stay narrow; sources that add nothing to ``measures`` are left out."""
    parts = []
    for day, unit_code, adds, condition in event_sources():
        if not set(adds) & set(measures):
            continue
        keys = [unit_code.label("unit_code")] + ([] if key is None else [key(day).label("key")])
        stmt = select(
            *keys,
            *[(func.sum(adds[n]) if n in adds else literal(0)).label(n) for n in measures],
        ).group_by(*keys)
        if condition is not None:
            stmt = stmt.where(condition)
        if since is not None:
            stmt = stmt.where(day.between(since, until))
        parts.append(stmt)
    return union_all(*parts).subquery()


def up_the_tree(rows, keys: tuple[str, ...], sums: tuple[str, ...]):
    """Per-village ``rows`` summed over every unit's subtree through the closure table:
    unit_code (the unit whose subtree it is), the ``keys`` columns, then the ``sums``."""
    a = unit_ancestors.c
    by = [rows.c[key] for key in keys]
    return (
        select(a.ancestor_code.label("unit_code"), *by, *[func.sum(rows.c[n]).label(n) for n in sums])
        .select_from(unit_ancestors)
        .join(rows, rows.c.unit_code == a.unit_code)
        .group_by(a.ancestor_code, *by)
    )


def _unit_months(conn: Connection) -> None:
    events = event_rows(month_key)
    # One row per village and month before the closure join multiplies rows by the depth.
    rows = (
        select(
            events.c.unit_code,
            events.c.key.label("month"),
            *[func.sum(events.c[n]).label(n) for n in EVENT_COLUMN_NAMES],
        )
        .group_by(events.c.unit_code, events.c.key)
        .subquery()
    )
    per_month = up_the_tree(rows, ("month",), EVENT_COLUMN_NAMES).cte("per_month")
    # Every unit gets a row for every month with events anywhere, from its own first one
    # on, so that one month key (the root's last month up to a cut) finds every unit's
    # total by an equality join, where a sparse table needed a lookup per unit.
    months = select(per_month.c.month).distinct().subquery()
    firsts = (
        select(per_month.c.unit_code, func.min(per_month.c.month).label("first"))
        .group_by(per_month.c.unit_code)
        .subquery()
    )
    dense = dense_months(per_month, months, firsts)
    running = select(
        dense.c.unit_code,
        dense.c.month,
        *[
            func.sum(dense.c[name]).over(partition_by=dense.c.unit_code, order_by=dense.c.month).label(name)
            for name in EVENT_COLUMN_NAMES
        ],
    )
    conn.execute(insert(unit_months).from_select(["unit_code", "month", *EVENT_COLUMN_NAMES], running))


def dense_months(per_month, months, firsts):
    """A row for every unit and every month of ``months`` from its ``first`` on: the
    unit's events that month (``per_month``), zeros where it had none. The full build and
    the update (``update.py``) fill ``unit_months`` from it."""
    grid = (
        select(firsts.c.unit_code, months.c.month).join(months, months.c.month >= firsts.c.first).subquery()
    )
    return (
        select(
            grid.c.unit_code,
            grid.c.month,
            *[func.coalesce(per_month.c[name], 0).label(name) for name in EVENT_COLUMN_NAMES],
        )
        .select_from(grid)
        .outerjoin(
            per_month, and_(per_month.c.unit_code == grid.c.unit_code, per_month.c.month == grid.c.month)
        )
        .subquery()
    )


def _unit_service_months(conn: Connection) -> None:
    ms = migrant_services.c
    # One pass over the services, each flagged when it is its migrant's first of the kind
    # in its year, and one join to the migrants: a second grouping for the firsts and a
    # second join took twice as long (23 s against 10 s for a 10x county).
    order = func.row_number().over(
        partition_by=(ms.migrant_id, ms.service, year_of(ms.service_date)), order_by=ms.service_date
    )
    flagged = select(
        ms.migrant_id,
        ms.service,
        month_key(ms.service_date).label("month"),
        case((order == 1, 1), else_=0).label("first"),
    ).subquery()
    summed = up_the_tree(services_per_village(flagged), ("month", "service"), ("services", "migrants"))
    conn.execute(insert(unit_service_months).from_select(SERVICE_MONTH_COLUMNS, summed))


SERVICE_MONTH_COLUMNS = ["unit_code", "month", "service", "services", "migrants"]


def services_per_village(flagged):
    """Services per migrant's village, month and kind, and how many were a migrant's first of
    the kind that year, from ``flagged`` (migrant_id, service, month, first: 1 or 0). The full
    build and the update (``update.py``) sum it up the tree."""
    m = migrants.c
    return (
        select(
            m.unit_code,
            flagged.c.month,
            flagged.c.service,
            func.count().label("services"),
            func.sum(flagged.c.first).label("migrants"),
        )
        .join(migrants, m.migrant_id == flagged.c.migrant_id)
        .group_by(m.unit_code, flagged.c.month, flagged.c.service)
        .subquery()
    )


def _unit_years(conn: Connection) -> None:
    """Population for each year from the first population year through the year after the
    last (whose rates fall back to the last year's end), and reported figures for every
    reported year, summed up the tree. Each village chooses its population rule before the
    sums: the mean of the two year-ends when both exist, else whichever exists."""
    for year in years_with_rows(conn):
        rows = union_all(population_rows(year), reported_rows(year)).subquery()
        rolled = up_the_tree(rows, (), YEAR_MEASURES).add_columns(literal(year))
        conn.execute(insert(unit_years).from_select(["unit_code", *YEAR_MEASURES, "year"], rolled))


def years_with_rows(conn: Connection) -> list[int]:
    """The years ``unit_years`` has rows for: from the first population year through the
    year after the last, and every reported year."""
    p, r = population.c, reported.c
    first, last = conn.execute(select(func.min(p.year), func.max(p.year))).one()
    years = set(range(first, last + 2)) if first is not None else set()
    years |= set(conn.execute(select(r.year).distinct()).scalars())
    return sorted(years)


def _year_row(unit_code, **values):
    return select(
        unit_code.label("unit_code"),
        *[(values[name] if name in values else null()).label(name) for name in YEAR_MEASURES],
    )


def population_rows(year: int):
    p = population.c

    def at(column, y):
        return func.sum(case((p.year == y, column)))

    ends = (
        select(
            p.unit_code,
            at(p.registered_population, year).label("reg_cur"),
            at(p.registered_population, year - 1).label("reg_prev"),
            at(p.resident_population, year).label("res_cur"),
            at(p.resident_population, year - 1).label("res_prev"),
            at(p.eligible_couples, year).label("elig_cur"),
            at(p.eligible_couples, year - 1).label("elig_prev"),
        )
        .where(p.year.in_([year - 1, year]))
        .group_by(p.unit_code)
        .subquery()
    )
    e = ends.c

    def average(cur, prev):
        return case(
            (and_(cur.is_not(None), prev.is_not(None)), (cur + prev) / 2.0),
            else_=func.coalesce(cur, prev),
        )

    return _year_row(
        e.unit_code,
        avg_population_registered=average(e.reg_cur, e.reg_prev),
        avg_population_resident=average(e.res_cur, e.res_prev),
        population_registered=func.coalesce(e.reg_cur, e.reg_prev),
        population_resident=func.coalesce(e.res_cur, e.res_prev),
        eligible_couples=func.coalesce(e.elig_cur, e.elig_prev),
    )


def reported_rows(year: int):
    r = reported.c
    values = {}
    for code in REPORTED_CODES:
        values[f"rep_num_{code}"] = func.sum(case((r.indicator == code, r.numerator)))
        values[f"rep_den_{code}"] = func.sum(case((r.indicator == code, r.denominator)))
    return _year_row(r.unit_code, **values).where(r.year == year).group_by(r.unit_code)


@dataclass(frozen=True)
class Derived:
    """One derived table and how it is populated. It cannot be empty while any of
    ``made_from`` has rows: one emptied by hand (or by a failed copy) would otherwise read
    as "0 births, met"."""

    table: Table
    populate: Callable[[Connection], None]
    made_from: tuple[Table, ...]


# In build order: a table is populated after those it reads (unit_months counts first_checks
# and served_migrants).
DERIVED = (
    Derived(first_checks, _first_checks, (prepregnancy_checks,)),
    Derived(served_migrants, _served_migrants, ()),
    Derived(unit_months, _unit_months, (births, deaths, prepregnancy_checks, migrants)),
    Derived(unit_service_months, _unit_service_months, (migrant_services,)),
    Derived(unit_years, _unit_years, (population, reported)),
)
