"""Per-unit measures summed up the unit tree in SQL.

Every function here returns one row per unit in the subtree of ``root`` (villages,
townships and the county alike). The sums up the tree are made in SQL when data is
imported (``queries.analytics.build`` writes one row per unit holding the sums over its
subtree), so a parent's figures are by construction the sums of its children's, and a
query here reads a few index entries per unit instead of every event.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, Integer, Select, String, and_, bindparam, func, select

from queries.analytics import build
from queries.analytics.columns import EVENT_MEASURES, measures_of
from queries.analytics.tables import REPORTED_MEASURES, unit_months, unit_years
from queries.engine.period import Period
from queries.store.frames import numeric_frame, unit_tree, within
from queries.store.schema import unit_ancestors


def _in_scope(table, root: str):
    """Rows of a derived table (one row per unit, already summed over the unit's subtree)
    for the units in the subtree of ``root``."""
    return within(select(table.c.unit_code.label("code")).select_from(table), table.c.unit_code, root)


def _month(day: date) -> int:
    return day.year * 100 + day.month


def _stored(basis: str) -> dict[str, tuple[str, str]]:
    """Event measure → (the ``unit_months`` column summed to the as-of date, the column
    taken off as of the day before 1 January)."""
    _check_basis(basis)
    return {m.name: m.stored(basis) for m in EVENT_MEASURES}


def month_cut(as_of: date) -> tuple[int, int, date | None, date | None]:
    """How a monthly table reaches ``as_of``: (the last month key to take whole, the sign of
    the correction, its first and last day). Through the previous month plus the days since,
    in the first half of a month; through the as-of month less the days after, in the
    second; the whole month at its last day (sign 0, no days). At most half a month of
    events is then read from the raw tables."""
    month_start = as_of.replace(day=1)
    month_end = date(as_of.year, as_of.month, calendar.monthrange(as_of.year, as_of.month)[1])
    if as_of == month_end:
        return _month(as_of), 0, None, None
    if as_of.day <= (month_end.day + 1) // 2:
        return _month(month_start - timedelta(days=1)), 1, month_start, as_of
    return _month(month_end), -1, as_of + timedelta(days=1), month_end


def _event_measures(
    conn: Connection, root: str, period: Period, basis: str, names: tuple[str, ...]
) -> pd.DataFrame:
    """Event measures for every unit in the subtree (units without events get zeros).

    The running total at a month's end, less the running total before 1 January, corrected
    by the events between that month's end and the as-of date: the previous month's end
    plus the events since, in the first half of a month; the as-of month's end less the
    events after, in the second. So at most half a month of events is read, and as of
    today (no events after it) next to none."""
    through, tail_sign, since, until = month_cut(period.as_of)
    params = {"root": root, "through": through, "before": _month(period.start - timedelta(days=1))}
    if tail_sign:
        params |= {"since": since, "until": until}
    return numeric_frame(conn, _event_statement(basis, names, tail_sign), names, params)


@functools.lru_cache(maxsize=64)
def _event_statement(basis: str, names: tuple[str, ...], tail_sign: int) -> Select:
    """The statement for ``_event_measures``, built once per shape: building and keying a
    statement of this size costs SQLAlchemy more than SQLite takes to run it."""
    stored = {name: _stored(basis)[name] for name in names}
    um = unit_months
    scope = unit_ancestors.alias("scope")

    def at_month(alias, key):
        # Every unit has a row for every month the root has one (analytics._unit_months),
        # so the root's last month up to the key serves them all: computed once.
        last = (
            select(func.max(um.c.month))
            .where(um.c.unit_code == bindparam("root", type_=String), um.c.month <= key)
            .scalar_subquery()
        )
        return and_(alias.c.unit_code == scope.c.unit_code, alias.c.month == last)

    now, before = um.alias("now"), um.alias("before")
    joined = scope.outerjoin(now, at_month(now, bindparam("through", type_=Integer))).outerjoin(
        before, at_month(before, bindparam("before", type_=Integer))
    )
    terms = {
        name: func.coalesce(now.c[plus], 0) - func.coalesce(before.c[minus], 0)
        for name, (plus, minus) in stored.items()
    }
    if tail_sign:
        pluses = tuple(sorted({plus for plus, _ in stored.values()}))
        rows = build.event_rows(
            since=bindparam("since", type_=Date), until=bindparam("until", type_=Date), measures=pluses
        )
        a = unit_ancestors.c
        tail = (
            select(a.ancestor_code.label("unit_code"), *[func.sum(rows.c[c]).label(c) for c in pluses])
            .select_from(unit_ancestors)
            .join(rows, rows.c.unit_code == a.unit_code)
            .group_by(a.ancestor_code)
            .subquery()
        )
        joined = joined.outerjoin(tail, tail.c.unit_code == scope.c.unit_code)
        terms = {
            name: term + tail_sign * func.coalesce(tail.c[stored[name][0]], 0) for name, term in terms.items()
        }
    return (
        select(scope.c.unit_code, *[term.label(name) for name, term in terms.items()])
        .select_from(joined)
        .where(scope.c.ancestor_code == bindparam("root", type_=String))
    )


def _check_basis(basis: str) -> None:
    if basis not in ("registered", "resident"):
        raise ValueError(f"basis must be registered or resident, not {basis!r}")


BIRTHS = measures_of("births")
MIGRANTS = measures_of("migrants")
EVENTS = tuple(m.name for m in EVENT_MEASURES)


def birth_measures(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    """Births, boys, girls and births in policy dated 1 January of ``period.start``'s year
    through ``period.as_of`` (several years when the period spans them)."""
    return _event_measures(conn, root, period, basis, BIRTHS)


def death_measures(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    return _event_measures(conn, root, period, basis, measures_of("deaths"))


def check_measures(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """Distinct couples checked per village in the period (counted on the day of their
    first check of the year); a parent sums its villages."""
    return _event_measures(conn, root, period, "registered", measures_of("checks"))


def migrant_measures(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """Inflow migrants present in the year by the as-of date (arrived by then, not departed
    before 1 January), those of them served in the year by then, and outflow present."""
    return _event_measures(conn, root, period, "registered", MIGRANTS)


def year_measures(conn: Connection, root: str, year: int, basis: str) -> pd.DataFrame:
    """Population and reported figures per unit for ``year``, from ``unit_years``.

    Average population is the mean of the two year-ends when both exist, else the end of
    the year; a year not yet closed (no row for Y) falls back to the end of Y−1, so the
    current year's rates have a denominator. Each village chooses its own rule before the
    sums (``analytics``), so a parent's denominator is the sum of its children's. Reported
    numerators and denominators come one pair per survey-reported indicator
    (``rep_num_<code>``, ``rep_den_<code>``), no data where nobody reported.
    """
    _check_basis(basis)
    uy = unit_years.c
    names = {
        f"avg_population_{basis}": "avg_population",
        f"population_{basis}": "population",
        "eligible_couples": "eligible_couples",
    } | {name: name for name in REPORTED_MEASURES}
    stmt = _in_scope(unit_years, root).add_columns(*[uy[c] for c in names]).where(uy.year == year)
    return numeric_frame(conn, stmt, list(names.values()))


def all_measures(
    conn: Connection, root: str, period: Period, basis: str, tree: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every measure for every unit in the subtree (``tree``: its ``unit_tree`` when the
    caller has it already); a unit with no rows gets zeros."""
    tree = unit_tree(conn, root) if tree is None else tree
    frames = [
        _event_measures(conn, root, period, basis, EVENTS),
        year_measures(conn, root, period.year, basis),
    ]
    codes = tree["code"].to_numpy(object)
    position = {code: i for i, code in enumerate(codes)}
    columns: dict[str, np.ndarray] = {}
    for part in frames:
        rows = np.array([position[c] for c in part.index], dtype=int)
        for name in part.columns:
            column = np.zeros(len(codes))
            column[rows] = np.nan_to_num(part[name].to_numpy(float))  # not reported: 0, as no rows
            columns[name] = column
    return pd.DataFrame(columns, index=pd.Index(codes, dtype=object, name="code"))
