"""Per-unit measures summed up the unit tree in SQL.

Every function here returns one row per unit in the subtree of ``root`` (villages,
townships and the county alike): the database pre-aggregates the event rows per village,
then joins the closure table and sums per ancestor, so a parent's figures are by
construction the sums of its children's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, and_, case, func, literal, select

from queries.period import Period
from queries.schema import (
    births,
    deaths,
    migrant_years,
    population,
    prepregnancy_checks,
    reported,
    unit_ancestors,
    units,
)

UNIT_FRAME_COLUMNS = ["code", "name", "level", "parent_code", "depth"]


def frame(conn: Connection, stmt, columns: list[str]) -> pd.DataFrame:
    """Run ``stmt`` into a DataFrame.

    Plain tuples, because pandas builds a frame from SQLAlchemy Row objects an order of
    magnitude slower; and text columns stay plain Python objects, because pandas 3's
    Arrow-backed strings made merging these small per-unit frames the engine's largest cost
    (docs/benchmarks.md)."""
    rows = [tuple(r) for r in conn.execute(stmt)]
    data = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object) if _is_text(values) else pd.Series(values)
            for name, values in zip(columns, data, strict=True)
        },
        columns=columns,
    )


def _is_text(values) -> bool:
    return any(isinstance(v, str) for v in values) or not values


def subtree(root: str) -> Select:
    """Codes of ``root`` and every unit below it."""
    return select(unit_ancestors.c.unit_code).where(unit_ancestors.c.ancestor_code == root)


def within(stmt: Select, unit_column, root: str) -> Select:
    """Keep rows whose ``unit_column`` lies in the subtree of ``root``.

    An equality join on the closure table, not ``IN (subtree)``: SQLite turns the IN list
    into one index probe per row and list entry, which made every roll-up 4× slower.
    """
    scope = unit_ancestors.alias()
    return stmt.join(scope, and_(scope.c.unit_code == unit_column, scope.c.ancestor_code == root))


def unit_tree(conn: Connection, root: str) -> pd.DataFrame:
    """Units in the subtree of ``root`` with their depth below it, parents before children."""
    stmt = (
        select(units.c.code, units.c.name, units.c.level, units.c.parent_code, unit_ancestors.c.depth)
        .join(unit_ancestors, unit_ancestors.c.unit_code == units.c.code)
        .where(unit_ancestors.c.ancestor_code == root)
        .order_by(unit_ancestors.c.depth, units.c.code)
    )
    return frame(conn, stmt, UNIT_FRAME_COLUMNS)


def ancestors(conn: Connection, code: str) -> pd.DataFrame:
    """The unit and its ancestors, nearest first."""
    stmt = (
        select(units.c.code, units.c.name, units.c.level, units.c.parent_code, unit_ancestors.c.depth)
        .join(unit_ancestors, unit_ancestors.c.ancestor_code == units.c.code)
        .where(unit_ancestors.c.unit_code == code)
        .order_by(unit_ancestors.c.depth)
    )
    return frame(conn, stmt, UNIT_FRAME_COLUMNS)


def _roll_up(
    conn: Connection, per_unit, columns: list[str], root: str, keys: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Sum the per-village subquery's ``columns`` onto every ancestor within ``root``
    (grouped also by ``keys``, columns of the subquery)."""
    a = unit_ancestors
    stmt = within(
        select(
            a.c.ancestor_code.label("code"),
            *[per_unit.c[k] for k in keys],
            *[func.sum(per_unit.c[c]).label(c) for c in columns],
        ).join(per_unit, per_unit.c.unit_code == a.c.unit_code),
        a.c.ancestor_code,
        root,
    ).group_by(a.c.ancestor_code, *[per_unit.c[k] for k in keys])
    out = frame(conn, stmt, ["code", *keys, *columns])
    if keys:
        return out
    return out.set_index("code").astype(float)


def _in_period(column, period: Period):
    return column.between(period.start, period.as_of)


def birth_measures(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    flag = births.c.registered if basis == "registered" else births.c.resident
    one = literal(1)
    per_unit = (
        select(
            births.c.unit_code,
            func.count().label("births"),
            func.sum(case((births.c.sex == "M", one), else_=0)).label("male_births"),
            func.sum(case((births.c.sex == "F", one), else_=0)).label("female_births"),
            func.sum(births.c.in_policy).label("in_policy_births"),
        )
        .where(_in_period(births.c.birth_date, period), flag == 1, births.c.unit_code.in_(subtree(root)))
        .group_by(births.c.unit_code)
        .subquery()
    )
    cols = ["births", "male_births", "female_births", "in_policy_births"]
    return _roll_up(conn, per_unit, cols, root)


def death_measures(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    flag = deaths.c.registered if basis == "registered" else deaths.c.resident
    per_unit = (
        select(deaths.c.unit_code, func.count().label("deaths"))
        .where(_in_period(deaths.c.death_date, period), flag == 1, deaths.c.unit_code.in_(subtree(root)))
        .group_by(deaths.c.unit_code)
        .subquery()
    )
    return _roll_up(conn, per_unit, ["deaths"], root)


def population_measures(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    """Average population, year-end population and eligible couples per unit.

    Average population is the mean of the two year-ends when both exist, else the end of
    the year; a year not yet closed (no row for Y) falls back to the end of Y−1, so the
    current year's rates have a denominator. Each village chooses its own rule before the
    sums, so a parent's denominator is the sum of its children's.
    """
    col = population.c.registered_population if basis == "registered" else population.c.resident_population
    y = period.year
    cur = func.sum(case((population.c.year == y, col)))
    prev = func.sum(case((population.c.year == y - 1, col)))
    elig_cur = func.sum(case((population.c.year == y, population.c.eligible_couples)))
    elig_prev = func.sum(case((population.c.year == y - 1, population.c.eligible_couples)))
    years = (
        select(
            population.c.unit_code,
            cur.label("cur"),
            prev.label("prev"),
            elig_cur.label("elig_cur"),
            elig_prev.label("elig_prev"),
        )
        .where(population.c.year.in_([y - 1, y]), population.c.unit_code.in_(subtree(root)))
        .group_by(population.c.unit_code)
        .subquery()
    )
    avg = case(
        (and_(years.c.cur.is_not(None), years.c.prev.is_not(None)), (years.c.cur + years.c.prev) / 2.0),
        else_=func.coalesce(years.c.cur, years.c.prev),
    )
    per_unit = select(
        years.c.unit_code,
        avg.label("avg_population"),
        func.coalesce(years.c.cur, years.c.prev).label("population"),
        func.coalesce(years.c.elig_cur, years.c.elig_prev).label("eligible_couples"),
    ).subquery()
    return _roll_up(conn, per_unit, ["avg_population", "population", "eligible_couples"], root)


def check_measures(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """Distinct couples checked per village in the period; a parent sums its villages."""
    pc = prepregnancy_checks
    pairs = (
        select(pc.c.unit_code, pc.c.couple_id)
        .where(_in_period(pc.c.check_date, period), pc.c.unit_code.in_(subtree(root)))
        .distinct()
        .subquery()
    )
    per_unit = (
        select(pairs.c.unit_code, func.count().label("checked_couples"))
        .group_by(pairs.c.unit_code)
        .subquery()
    )
    return _roll_up(conn, per_unit, ["checked_couples"], root)


def migrant_measures(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """Inflow migrants present in the period, those of them served in it, and outflow
    present, from ``migrant_years`` (one row per migrant and year present)."""
    my = migrant_years
    is_in = my.c.direction == "in"
    served = and_(is_in, my.c.first_service <= period.as_of)
    per_unit = (
        select(
            my.c.unit_code,
            func.sum(case((is_in, 1), else_=0)).label("inflow_present"),
            func.sum(case((served, 1), else_=0)).label("inflow_served"),
            func.sum(case((my.c.direction == "out", 1), else_=0)).label("outflow_present"),
        )
        .where(my.c.year == period.year, my.c.arrival_date <= period.as_of, my.c.unit_code.in_(subtree(root)))
        .group_by(my.c.unit_code)
        .subquery()
    )
    return _roll_up(conn, per_unit, ["inflow_present", "inflow_served", "outflow_present"], root)


def reported_measures(conn: Connection, root: str, year: int) -> pd.DataFrame:
    """Reported numerators and denominators, one pair of columns per indicator code."""
    per_unit = (
        select(
            reported.c.unit_code,
            reported.c.indicator,
            func.sum(reported.c.numerator).label("num"),
            func.sum(reported.c.denominator).label("den"),
        )
        .where(reported.c.year == year, reported.c.unit_code.in_(subtree(root)))
        .group_by(reported.c.unit_code, reported.c.indicator)
        .subquery()
    )
    long = _roll_up(conn, per_unit, ["num", "den"], root, keys=("indicator",))
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="code"))
    wide = long.pivot(index="code", columns="indicator", values=["num", "den"])
    wide.columns = [f"rep_{part}_{ind}" for part, ind in wide.columns]
    return wide.astype(float)


def all_measures(conn: Connection, root: str, period: Period, basis: str) -> pd.DataFrame:
    """Every measure for every unit in the subtree; a unit with no rows gets zeros."""
    tree = unit_tree(conn, root)
    frames = [
        birth_measures(conn, root, period, basis),
        death_measures(conn, root, period, basis),
        population_measures(conn, root, period, basis),
        check_measures(conn, root, period),
        migrant_measures(conn, root, period),
        reported_measures(conn, root, period.year),
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
