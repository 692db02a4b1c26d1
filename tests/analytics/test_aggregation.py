"""Property: a parent's numerator and denominator are the sums of its children's, for every
indicator, whatever the tree and the events; and a value is its numerator over its
denominator, never an average of the children's values."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queries.analytics.lifecycle import ensure_schema
from queries.engine import registry
from queries.engine.indicators import compute
from queries.engine.period import make_period
from queries.store.db import make_engine
from tests.factory import County

Y = 2024
days = st.integers(min_value=-400, max_value=420).map(lambda d: date(Y, 1, 1) + timedelta(days=d))
past_days = days.filter(lambda d: d <= date(Y + 1, 2, 1))


@st.composite
def counties(draw):
    townships = draw(st.integers(1, 3))
    tree = [("C", "县", "county", None)]
    villages = []
    for t in range(townships):
        tree.append((f"T{t}", f"镇{t}", "township", "C"))
        for v in range(draw(st.integers(1, 3))):
            code = f"T{t}V{v}"
            tree.append((code, f"村{code}", "village" if v else "community", f"T{t}"))
            villages.append(code)
    village = st.sampled_from(villages)
    events = dict(
        population=draw(
            st.lists(
                st.tuples(village, st.sampled_from([Y - 1, Y]), st.integers(0, 5000), st.integers(0, 300)),
                max_size=8,
                unique_by=lambda r: (r[0], r[1]),
            )
        ),
        births=draw(
            st.lists(
                st.tuples(village, days, st.sampled_from("MF"), st.booleans(), st.booleans(), st.booleans()),
                max_size=30,
            )
        ),
        deaths=draw(st.lists(st.tuples(village, days, st.booleans(), st.booleans()), max_size=15)),
        checks=draw(st.lists(st.tuples(village, st.integers(0, 8), days), max_size=20)),
        migrants=draw(
            st.lists(
                st.tuples(
                    village,
                    days,
                    st.one_of(st.none(), days),
                    st.sampled_from(["in", "out"]),
                    st.lists(days, max_size=3),
                ),
                max_size=12,
            )
        ),
        reported=draw(
            st.lists(
                st.tuples(
                    village, st.sampled_from(registry.REPORTED_CODES), st.integers(0, 50), st.integers(0, 50)
                ),
                max_size=8,
                unique_by=lambda r: (r[0], r[1]),
            )
        ),
    )
    as_of = draw(st.dates(min_value=date(Y, 1, 1), max_value=date(Y, 12, 31)))
    basis = draw(st.sampled_from(registry.BASES))
    return tree, events, as_of, basis


def load(conn, tree, ev):
    c = County(conn).units(*tree)
    for unit, year, pop, elig in ev["population"]:
        c.population(year, unit, pop, pop // 2, eligible=elig)
    for unit, day, sex, policy, reg, res in ev["births"]:
        c.births(unit, 1, sex, day, in_policy=int(policy), registered=int(reg), resident=int(res))
    for unit, day, reg, res in ev["deaths"]:
        c.deaths(unit, 1, day, registered=int(reg), resident=int(res))
    for unit, couple, day in ev["checks"]:
        c.check(unit, f"{unit}-k{couple}", day)
    for unit, arrival, departure, direction, services in ev["migrants"]:
        if departure is not None and departure < arrival:
            arrival, departure = departure, arrival
        mid = c.migrant(unit, arrival, departure, direction)
        for day in services:
            c.service(mid, day)
    for unit, code, a, b in ev["reported"]:
        c.reported(Y, unit, code, min(a, b), max(a, b))
    c.settle()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties())
def test_parents_sum_their_children(case):
    tree, events, as_of, basis = case
    engine = make_engine("sqlite://")
    ensure_schema(engine)
    with engine.begin() as conn:
        load(conn, tree, events)
        table = compute(conn, "C", make_period(Y, as_of), basis)
    engine.dispose()

    parent_of = {code: parent for code, _, _, parent in tree}
    for code in registry.CODES:
        ind = registry.get(code)
        rows = table[table["indicator"] == code].set_index("unit_code")
        for parent in {p for p in parent_of.values() if p}:
            kids = [u for u, p in parent_of.items() if p == parent]
            for part in ("numerator", "denominator"):
                got, want = rows.loc[parent, part], rows.loc[kids, part].sum(min_count=1)
                assert (np.isnan(got) and np.isnan(want)) or np.isclose(got, want), (code, parent, part)
        den = rows["denominator"]
        expect = (
            rows["numerator"]
            if ind.denominator is None
            else rows["numerator"] / den.where(den > 0) * ind.scale
        )
        assert np.allclose(rows["value"], expect, equal_nan=True), code
        assert not np.isinf(rows["value"]).any(), code
