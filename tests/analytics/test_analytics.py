"""The derived tables (``queries.analytics.build``) give exactly what the raw events give.

The oracle is ``benchmarks/naive.py``: an independent reading of the raw tables in pandas.
Every measure of every unit must agree, for as-of dates at a month's end (read from the
monthly totals alone) and inside a month (monthly totals plus the month's tail of events),
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from benchmarks.naive import naive_measures
from queries.analytics import lifecycle
from queries.analytics.lifecycle import ensure_schema
from queries.analytics.read import all_measures
from queries.analytics.tables import derived_state, unit_months
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.services.trends import service_mix
from queries.store.db import make_engine
from queries.store.schema import migrant_services, migrants, unit_ancestors
from tests.analytics.test_aggregation import Y, counties, load
from tests.factory import County
from tests.services.test_series import tree


def assert_same_as_raw(engine, period, basis="registered"):
    theirs = naive_measures(engine, period, basis)
    with engine.connect() as conn:
        ours = all_measures(conn, "C", period, basis)
    ours = ours.reindex(columns=theirs.columns, fill_value=0.0).loc[theirs.index]
    differ = ~np.isclose(ours.to_numpy(float), theirs.to_numpy(float))
    where = [(theirs.index[i], theirs.columns[j]) for i, j in zip(*np.nonzero(differ), strict=True)]
    assert not where, f"{period.as_of} {basis}: engine and raw events differ at {where[:5]}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties())
def test_any_county_any_day_matches_the_raw_events(case):
    tree, events, as_of, basis = case
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'p.sqlite'}")
        ensure_schema(engine)
        with engine.begin() as conn:
            load(conn, tree, events)
        assert_same_as_raw(engine, make_period(Y, as_of), basis)
        engine.dispose()


def busy_county(conn) -> None:
    """Two townships; events on month ends, month starts and mid-month, across three years,
    including a leap day; migrants arriving, leaving and served on those days."""
    c = tree(conn)
    villages = ["V1", "V2", "V3"]
    for year in (Y - 1, Y):
        for i, v in enumerate(villages):
            c.population(year, v, 1000 + 100 * i + year % 7, eligible=50 + i)
    n = 0
    for year in (Y - 1, Y, Y + 1):
        for month in range(1, 13):
            last = calendar.monthrange(year, month)[1]
            for day in (1, 14, last):
                n += 1
                v = villages[n % 3]
                on = date(year, month, day)
                c.births(v, 1 + n % 2, "MF"[n % 2], on, in_policy=int(n % 5 > 0), resident=int(n % 4 > 0))
                c.deaths(v, n % 3, on, registered=int(n % 6 > 0))
                c.check(v, f"k{n % 17}", on)
                mid = c.migrant(v, on, None if n % 4 else date(year + 1, month, 1), "in" if n % 3 else "out")
                if n % 2:
                    c.service(mid, date(year + n % 2, (month + 1) % 12 + 1, min(day, 28)))
    c.reported(Y, "V1", "satisfaction_rate", 90, 100)
    c.reported(Y, "V3", "satisfaction_rate", 40, 50)
    c.settle()


def test_month_ends_month_starts_and_mid_month_match_the_raw_events(engine):
    with engine.begin() as conn:
        busy_county(conn)
    for month in range(1, 13):
        last = calendar.monthrange(Y, month)[1]
        for day in (1, 13, 14, last - 1, last):
            assert_same_as_raw(engine, make_period(Y, date(Y, month, day)))
    assert_same_as_raw(engine, make_period(Y, date(Y, 2, 29)), "resident")  # Y is a leap year
    assert_same_as_raw(engine, make_period(Y + 1, date(Y + 1, 3, 14)), "resident")


def test_a_database_from_an_older_version_is_rebuilt_when_opened(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    ensure_schema(engine)
    with engine.begin() as conn:
        busy_county(conn)
        want = compute(conn, "C", make_period(Y, date(Y, 8, 20)))
        # As an older version left it: other derived tables, no signature of this one.
        conn.execute(delete(unit_months))
        conn.execute(delete(derived_state))
    with engine.connect() as conn:
        assert lifecycle.problems(conn) == ["never built"]
    engine.dispose()

    engine = make_engine(url)
    ensure_schema(engine)
    with engine.connect() as conn:
        assert lifecycle.problems(conn) == []
        assert conn.execute(select(derived_state.c.signature)).scalar() == lifecycle.signature()
        got = compute(conn, "C", make_period(Y, date(Y, 8, 20)))
    pd.testing.assert_frame_equal(got, want)
    engine.dispose()


# --------------------------------------------------------------------------- service mix

KINDS = ("file", "certificate", "contraception", "education", "checkup")
service_days = st.integers(-40, 400).map(lambda d: date(Y, 1, 1) + timedelta(days=d))


def raw_mix(conn, root: str, period) -> set[tuple[str, int, int]]:
    """The service mix read straight from the services: every service dated in the period
    to a migrant of root's subtree; distinct migrants per kind."""
    ms, m, a = migrant_services.c, migrants.c, unit_ancestors.c
    rows = conn.execute(
        select(ms.service, ms.migrant_id)
        .join(migrants, m.migrant_id == ms.migrant_id)
        .join(unit_ancestors, a.unit_code == m.unit_code)
        .where(a.ancestor_code == root, ms.service_date.between(period.start, period.as_of))
    ).all()
    frame = pd.DataFrame(rows, columns=["service", "migrant_id"])
    per_kind = frame.groupby("service")["migrant_id"].agg(["size", "nunique"])
    return {(kind, int(n), int(u)) for kind, n, u in per_kind.itertuples()}


@st.composite
def migrants_served(draw):
    villages = ["V1", "V2", "V3"]
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(villages),
                st.sampled_from(["in", "out"]),
                st.lists(st.tuples(service_days, st.sampled_from(KINDS[:3])), max_size=5),
            ),
            max_size=10,
        )
    ), draw(st.dates(min_value=date(Y, 1, 1), max_value=date(Y, 12, 31)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(migrants_served())
def test_service_mix_of_any_day_matches_the_services(case):
    """Whole months from ``unit_service_months`` plus or minus the as-of month's part must
    give what the services themselves give: a migrant served twice with one kind counts
    once a year, in the month of the first."""
    served, as_of = case
    engine = make_engine("sqlite://")
    ensure_schema(engine)
    with engine.begin() as conn:
        c = tree(conn)
        for village, direction, services in served:
            mid = c.migrant(village, date(Y - 1, 6, 1), None, direction)
            for day, kind in services:
                c.service(mid, day, kind)
        c.settle()
        last = calendar.monthrange(Y, as_of.month)[1]
        for day in {as_of, as_of.replace(day=1), as_of.replace(day=last), as_of.replace(day=min(16, last))}:
            period = make_period(Y, day)
            for root in ("C", "T1", "V3"):
                got = {tuple(r) for r in service_mix(conn, root, period).itertuples(index=False)}
                assert got == raw_mix(conn, root, period), (root, day)
    engine.dispose()


def test_service_mix_in_both_halves_of_a_month_on_both_engines(engine):
    with engine.begin() as conn:
        busy_county(conn)
        c = County(conn)
        for n, day in enumerate((3, 9, 9, 17, 25, 30)):
            mid = c.migrant("V1" if n % 2 else "V3", date(Y - 1, 1, 1))
            c.service(mid, date(Y, 4, day), KINDS[n % 5])
            c.service(mid, date(Y, 4, 30 - day // 2), KINDS[(n + 1) % 5])
            c.service(mid, date(Y, 2, 1), KINDS[(n + 2) % 5])  # an earlier service of some kind
            c.service(mid, date(Y - 1, 12, 20), KINDS[n % 5])  # last year's: April's is still a first
        c.settle()
        for day in (1, 8, 9, 15, 16, 24, 29, 30):
            period = make_period(Y, date(Y, 4, day))
            for root in ("C", "T1", "T2", "V1"):
                got = {tuple(r) for r in service_mix(conn, root, period).itertuples(index=False)}
                assert got == raw_mix(conn, root, period), (root, day)
