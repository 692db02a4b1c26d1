"""Time series and breakdowns the pages chart: months of a year, years of a unit, pooled years.

Every function takes the connection and the ``root`` unit whose subtree it may see, lets
the database do the grouping and summing (per village first, then up the closure table
``unit_ancestors`` as ``queries.analytics.read`` does), and returns a small aggregated
DataFrame: a handful of rows per unit, never event rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, case, distinct, exists, extract, func, literal, select

from queries.analytics.read import birth_measures, migrant_measures, month_cut
from queries.analytics.tables import first_checks, unit_service_months
from queries.engine import registry
from queries.engine.indicators import check_unit, compute, effective_targets
from queries.engine.period import Period, PeriodError, make_period, same_day_in
from queries.engine.verdict import judge
from queries.store.frames import unit_tree, within
from queries.store.schema import (
    DATA_LEVELS,
    LEVELS,
    births,
    migrant_services,
    migrants,
    unit_ancestors,
    units,
)

MONTHS = tuple(range(1, 13))

MONTHLY_CHECK_COLUMNS = ["unit_code", "month", "couples", "cumulative"]
MONTHLY_BIRTH_COLUMNS = ["month", "births", "boys", "girls"]
TREND_COLUMNS = [
    "year",
    "indicator",
    "value",
    "target",
    "status",
    "verdict",
    "numerator",
    "denominator",
    "as_of",
]
MIGRANT_FLOW_COLUMNS = ["unit_code", "inflow_present", "inflow_served", "outflow_present", "coverage"]
SERVICE_MIX_COLUMNS = ["service", "services", "migrants"]
POOLED_SEX_RATIO_COLUMNS = [
    "unit_code",
    "boys",
    "girls",
    "births",
    "value",
    "target",
    "ci_low",
    "ci_high",
    "status",
    "significance",
    "verdict",
]


# --------------------------------------------------------------------------- helpers


def level_names(level: str) -> tuple[str, ...]:
    """The ``units.level`` values a level argument stands for.

    ``"village"`` and ``"community"`` both mean the data units (villages and communities
    alike), since they sit at the same place in the tree.
    """
    if level in DATA_LEVELS:
        return DATA_LEVELS
    if level in LEVELS:
        return (level,)
    raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")


def _level_codes(root: str, level: str):
    """The codes of the units of ``level`` within the subtree of ``root``, as a query."""
    return within(select(units.c.code).where(units.c.level.in_(level_names(level))), units.c.code, root)


def level_units(conn: Connection, root: str, level: str) -> list[str]:
    """Codes of the units of ``level`` within the subtree of ``root`` (root included), sorted."""
    return [row[0] for row in conn.execute(_level_codes(root, level).order_by(units.c.code)).all()]


def _check_basis(basis: str) -> None:
    if basis not in registry.BASES:
        raise ValueError(f"basis must be one of {', '.join(registry.BASES)}, not {basis!r}")


def _year_range(year: int):
    return date(int(year), 1, 1), date(int(year), 12, 31)


# --------------------------------------------------------------------------- months


def monthly_checks(conn: Connection, root: str, year: int, level: str | None = None) -> pd.DataFrame:
    """Couples checked for the first time in ``year``, month by month, with the running sum.

    A couple counts once per village, in the month of its first check of the year (a couple
    checked in February and again in May counts in February), as the engine counts
    distinct couples: the derived table ``first_checks`` holds that first day. The database
    counts per village and month, then sums the villages onto their ancestors through
    ``unit_ancestors``.

    With ``level`` None the one unit is ``root``; otherwise every unit of ``level`` within
    root ("township", or "village"/"community" for the data units). Every unit gets all
    twelve months, zeros included. Columns: unit_code, month (1–12), couples, cumulative.
    """
    check_unit(conn, root, root)
    fc = first_checks.c
    month = extract("month", fc.day)
    per_unit = (
        within(select(fc.unit_code, month.label("month"), func.count().label("couples")), fc.unit_code, root)
        .where(fc.year == int(year))
        .group_by(fc.unit_code, month)
        .subquery()
    )
    a = unit_ancestors
    if level is None:
        wanted = [root]
        which = a.c.ancestor_code == root
    else:
        wanted = level_units(conn, root, level)
        which = a.c.ancestor_code.in_(_level_codes(root, level))
    stmt = (
        select(a.c.ancestor_code, per_unit.c.month, func.sum(per_unit.c.couples))
        .join(per_unit, per_unit.c.unit_code == a.c.unit_code)
        .where(which)
        .group_by(a.c.ancestor_code, per_unit.c.month)
    )
    found = pd.DataFrame(conn.execute(stmt).all(), columns=["unit_code", "month", "couples"])
    found = found.astype({"month": int, "couples": int}) if not found.empty else found
    grid = pd.MultiIndex.from_product([wanted, MONTHS], names=["unit_code", "month"])
    counts = found.set_index(["unit_code", "month"])["couples"].reindex(grid, fill_value=0).astype(int)
    out = counts.reset_index()
    out["cumulative"] = out.groupby("unit_code")["couples"].cumsum().astype(int)
    return out[MONTHLY_CHECK_COLUMNS]


def monthly_births(conn: Connection, root: str, year: int, basis: str = "registered") -> pd.DataFrame:
    """Births in root's subtree by month of ``year``: columns month (1–12), births, boys, girls.

    Only births flagged for ``basis`` (registered or resident) count, as in the engine.
    All twelve months are present, zeros included.
    """
    _check_basis(basis)
    check_unit(conn, root, root)
    flag = births.c.registered if basis == "registered" else births.c.resident
    start, end = _year_range(year)
    month = extract("month", births.c.birth_date)
    one = literal(1)
    counts = select(
        month.label("month"),
        func.count(),
        func.sum(case((births.c.sex == "M", one), else_=0)),
        func.sum(case((births.c.sex == "F", one), else_=0)),
    )
    stmt = (
        within(counts, births.c.unit_code, root)
        .where(births.c.birth_date.between(start, end), flag == 1)
        .group_by(month)
    )
    found = pd.DataFrame(conn.execute(stmt).all(), columns=MONTHLY_BIRTH_COLUMNS)
    found["month"] = found["month"].astype(int)
    out = found.set_index("month").reindex(list(MONTHS), fill_value=0).astype(int)
    return out.reset_index()[MONTHLY_BIRTH_COLUMNS]


births_by_month = monthly_births


# --------------------------------------------------------------------------- years


def trend(
    conn: Connection,
    root_unit: str,
    years: list[int],
    basis: str = "registered",
    as_of_month_day: date | None = None,
) -> pd.DataFrame:
    """The engine's indicators for ``root_unit`` itself (not its children), year by year.

    Like is compared with like: with ``as_of_month_day`` (a date; its month and day are used,
    29 February becoming 28 in a common year) every year runs from 1 January through that
    day, so a running year's point sits beside the same stretch of each past year, never
    beside whole years; without it every year is whole. Columns: year, indicator, value,
    target, status, verdict, numerator, denominator, as_of — one row per year and indicator.
    The numbers are ``compute``'s.
    """
    rows = []
    for year in sorted(set(int(y) for y in years)):
        day = date(year, 12, 31) if as_of_month_day is None else same_day_in(year, as_of_month_day)
        period = make_period(year, day)
        table = compute(conn, root_unit, period, basis)
        own = table.loc[table["unit_code"] == root_unit].assign(year=year, as_of=period.as_of)
        rows.append(own)
    if not rows:
        return pd.DataFrame(columns=TREND_COLUMNS)
    return pd.concat(rows, ignore_index=True)[TREND_COLUMNS]


# --------------------------------------------------------------------------- migrants


def migrant_flows(conn: Connection, root: str, period: Period, level: str) -> pd.DataFrame:
    """Inflow present and served, outflow present and service coverage (%) per unit of ``level``.

    The engine's migrant measures (``queries.analytics.read.migrant_measures``): present in the
    period means arrived by ``as_of`` and not gone before 1 January; served means at least
    one service dated in the period. Coverage is NaN (no data) where no inflow is present.
    """
    check_unit(conn, root, root)
    codes = level_units(conn, root, level)
    cols = ["inflow_present", "inflow_served", "outflow_present"]
    m = migrant_measures(conn, root, period).reindex(index=codes, columns=cols).fillna(0.0)
    present = m["inflow_present"]
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = m["inflow_served"].where(present > 0) / present.where(present > 0) * 100.0
    out = m.astype(int).assign(coverage=coverage.astype(float))
    out.index.name = "unit_code"
    return out.reset_index()[MIGRANT_FLOW_COLUMNS]


def service_mix(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """Services of each kind given in the period to migrants of root's subtree.

    Columns: service, services (how many were given), migrants (distinct migrants who got
    that kind at least once). Inflow and outflow migrants alike; most given first.

    Whole months come from ``unit_service_months`` (a migrant counted in the month of the
    first service of the kind in the year); the as-of month's part is corrected from the
    services themselves, as the engine's event measures are (``measures.month_cut``).
    """
    check_unit(conn, root, root)
    through, sign, since, until = month_cut(period.as_of)
    usm = unit_service_months.c
    stored = (
        select(usm.service, func.sum(usm.services), func.sum(usm.migrants))
        .where(usm.unit_code == root, usm.month.between(period.start.year * 100 + 1, through))
        .group_by(usm.service)
    )
    totals: dict[str, np.ndarray] = {
        kind: np.array([int(n), int(m)]) for kind, n, m in conn.execute(stored).all()
    }
    if sign:
        ms, earlier = migrant_services.c, migrant_services.alias("earlier").c
        # The days' services first: left to choose, SQLite walks every migrant of a county
        # looking for its services (seconds) instead of the half month's services.
        days = (
            select(ms.migrant_id, ms.service, ms.service_date)
            .where(ms.service_date.between(since, until))
            .cte("days")
            .prefix_with("MATERIALIZED")
        )
        first_of_kind = ~exists().where(
            earlier.migrant_id == days.c.migrant_id,
            earlier.service == days.c.service,
            earlier.service_date >= period.start,
            earlier.service_date < days.c.service_date,
        )
        counts = select(
            days.c.service, func.count(), func.count(distinct(case((first_of_kind, days.c.migrant_id))))
        ).join(migrants, migrants.c.migrant_id == days.c.migrant_id)
        tail = within(counts, migrants.c.unit_code, root).group_by(days.c.service)
        for kind, n, m in conn.execute(tail).all():
            totals[kind] = totals.get(kind, np.zeros(2, dtype=int)) + sign * np.array([int(n), int(m)])
    rows = [(kind, int(n), int(m)) for kind, (n, m) in totals.items() if n > 0]
    out = pd.DataFrame(rows, columns=SERVICE_MIX_COLUMNS).astype({"services": int, "migrants": int})
    return out.sort_values(["services", "service"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------- pooled years


def sex_ratio_pooled(
    conn: Connection,
    root: str,
    years: list[int],
    basis: str,
    level: str,
    as_of: date | None = None,
) -> pd.DataFrame:
    """The sex ratio at birth per unit of ``level`` over several years pooled together.

    Boys and girls are summed over 1 January of the first year through 31 December of the
    last (or through ``as_of``, which must fall in the last year) — one date range, so the
    years are taken as the span from the earliest to the latest. The value, the 95 %
    interval and the verdict are ``queries.engine.verdict.judge``'s on the pooled counts, against
    the unit's effective (own or inherited) target of the last year. Columns: unit_code,
    boys, girls, births, value, target, ci_low, ci_high, status, significance, verdict.
    """
    _check_basis(basis)
    check_unit(conn, root, root)
    if not years:
        raise ValueError("years is empty: give at least one year to pool")
    first, last = min(int(y) for y in years), max(int(y) for y in years)
    if as_of is not None and as_of.year != last:
        raise PeriodError(f"as-of date {as_of.isoformat()} is not in the year {last}")
    # birth_measures reads only the span start … as_of of the period it is given.
    span = Period(first, as_of if as_of is not None else date(last, 12, 31))
    codes = level_units(conn, root, level)
    cols = ["births", "male_births", "female_births"]
    m = birth_measures(conn, root, span, basis).reindex(index=codes, columns=cols).fillna(0.0)

    ind = registry.interval_judged()
    tg = effective_targets(conn, root, last, unit_tree(conn, root))
    by_unit = tg.loc[tg["indicator"] == ind.code].set_index("unit_code")["target"]
    target = by_unit.reindex(codes).astype(float).to_numpy()

    boys = m["male_births"].to_numpy(float)
    girls = m["female_births"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(girls > 0, boys / np.where(girls > 0, girls, 1.0) * ind.scale, np.nan)
    j = judge(np.full(len(codes), ind.code, dtype=object), value, target, boys, girls, 1.0)
    return pd.DataFrame(
        {
            "unit_code": codes,
            "boys": boys.astype(int),
            "girls": girls.astype(int),
            "births": m["births"].to_numpy(float).astype(int),
            "value": value,
            "target": target,
            "ci_low": j["ci_low"],
            "ci_high": j["ci_high"],
            "status": j["status"],
            "significance": j["significance"],
            "verdict": j["verdict"],
        },
        columns=POOLED_SEX_RATIO_COLUMNS,
    )


# --------------------------------------------------------------------------- checks page


CHECK_CURVE_COLUMNS = ["series", "year", "month", "cumulative"]


def monthly_checks_through(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """Couples checked in root's subtree month by month up to the as-of date, with the running sum.

    As :func:`monthly_checks` for ``root`` alone, but only checks dated 1 January through
    ``period.as_of`` count, and the months after the as-of month are left out, so the last
    row's ``cumulative`` is the engine's ``prepregnancy_checks`` value for the period.
    Columns: month (1 … as-of month), couples, cumulative.
    """
    check_unit(conn, root, root)
    fc = first_checks.c
    month = extract("month", fc.day)
    stmt = (
        within(select(month.label("month"), func.count()), fc.unit_code, root)
        .where(fc.year == period.year, fc.day <= period.as_of)
        .group_by(month)
    )
    found = pd.DataFrame(conn.execute(stmt).all(), columns=["month", "couples"])
    months = list(range(1, period.as_of.month + 1))
    found["month"] = found["month"].astype(int)
    out = found.set_index("month")["couples"].reindex(months, fill_value=0).astype(int).reset_index()
    out["cumulative"] = out["couples"].cumsum().astype(int)
    return out[["month", "couples", "cumulative"]]


def check_curves(conn: Connection, root: str, period: Period) -> pd.DataFrame:
    """This year's cumulative checks up to the as-of month and last year's over all twelve
    months, in one long frame for a line chart. Last year is left out when it has no checks.
    Columns: series ('this_year' or 'last_year'), year, month, cumulative.
    """
    this = monthly_checks_through(conn, root, period).assign(series="this_year", year=period.year)
    last = monthly_checks(conn, root, period.year - 1).assign(series="last_year", year=period.year - 1)
    frames = [this] if last["couples"].sum() == 0 else [this, last]
    return pd.concat(frames, ignore_index=True)[CHECK_CURVE_COLUMNS]
