"""An import that updates the derived tables from what it touched leaves them exactly as a
full build would: random counties, then random increments through the importer (new
records, replaced ones, records moved to another unit or month, a migrant moved with its
services), on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from unittest import mock

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, literal, select

from queries.analytics import lifecycle
from queries.analytics.tables import DERIVED_TABLES, unit_months
from queries.analytics.touched import Touched, touched_by
from queries.engine import registry
from queries.ingest.load import import_frames
from queries.store.schema import births, metadata, migrant_services, migrants

Y = 2024
TODAY = date(2026, 1, 1)
days = st.integers(min_value=-400, max_value=420).map(lambda d: date(Y, 1, 1) + timedelta(days=d))
KINDS = ("file", "certificate")  # few kinds and migrants: a kind served twice a year is common


@st.composite
def trees(draw):
    rows = [("C", "县", "county", None)]
    villages = []
    for t in range(draw(st.integers(1, 3))):
        rows.append((f"T{t}", f"镇{t}", "township", "C"))
        for v in range(draw(st.integers(1, 3))):
            code = f"T{t}V{v}"
            rows.append((code, f"村{code}", "village" if v else "community", f"T{t}"))
            villages.append(code)
    return rows, villages


def records(village, max_size: int):
    """One import's records; ids from small pools, so a later import replaces some."""
    return st.fixed_dictionaries(
        dict(
            births=st.lists(
                st.tuples(
                    st.integers(0, 30), village, days, st.sampled_from("MF"), st.booleans(), st.booleans()
                ),
                max_size=max_size,
            ),
            deaths=st.lists(
                st.tuples(st.integers(0, 15), village, days, st.booleans()), max_size=max_size // 2
            ),
            checks=st.lists(
                st.tuples(st.integers(0, 20), village, st.integers(0, 5), days), max_size=max_size // 2
            ),
            migrants=st.lists(
                st.tuples(
                    st.integers(0, 6),
                    village,
                    days,
                    st.one_of(st.none(), days),
                    st.sampled_from(["in", "out"]),
                ),
                max_size=max_size // 2,
            ),
            services=st.lists(
                st.tuples(st.integers(0, 20), st.integers(0, 6), days, st.sampled_from(KINDS)),
                max_size=max_size // 2,
            ),
            leaves=st.lists(st.tuples(st.integers(0, 6), days), max_size=3),
            population=st.lists(
                st.tuples(village, st.sampled_from([Y - 1, Y]), st.integers(0, 5000), st.integers(0, 300)),
                max_size=4,
            ),
            reported=st.lists(
                st.tuples(
                    village,
                    st.sampled_from([Y - 1, Y]),
                    st.sampled_from(registry.REPORTED_CODES),
                    st.integers(0, 50),
                    st.integers(0, 50),
                ),
                max_size=3,
            ),
        )
    )


@st.composite
def histories(draw):
    tree, villages = draw(trees())
    village = st.sampled_from(villages)
    first = draw(records(village, 16))
    increments = draw(st.lists(records(village, 6), min_size=1, max_size=3))
    resend_units = draw(st.booleans())  # a monthly import may carry the unchanged units file
    return tree, first, increments, resend_units


def frames_of(rec: dict, known: dict[int, tuple]) -> dict[str, pd.DataFrame]:
    """The importer's frames (typed values), last row winning where an id repeats;
    ``known`` (the migrants stored, by number) is brought up to date."""

    def frame(rows, columns, key):
        out = pd.DataFrame(rows, columns=columns)
        return out.drop_duplicates(key, keep="last") if len(out) else out

    births = [(f"b{k}", u, d, s, 1, int(p), int(r), 1) for k, u, d, s, p, r in rec["births"]]
    deaths = [(f"d{k}", u, d, "M", 70, int(r), 1) for k, u, d, r in rec["deaths"]]
    checks = [(f"c{k}", u, f"{u}-k{c}", d, None) for k, u, c, d in rec["checks"]]
    migrants = [
        (f"m{k}", u, dr, "F", min(a, dep) if dep else a, max(a, dep) if dep else None)
        for k, u, a, dep, dr in rec["migrants"]
    ]
    arriving = {k for k, *_ in rec["migrants"]}
    # a stored migrant who leaves: the same record with its departure filled in
    for k, day in rec["leaves"]:
        if k in known and k not in arriving:
            u, dr, a, _dep = known[k]
            migrants.append((f"m{k}", u, dr, "F", a, max(a, day)))
    for mid, u, dr, _sex, a, dep in migrants:
        known[int(mid[1:])] = (u, dr, a, dep)
    services = [(f"s{k}", f"m{m}", d, kind) for k, m, d, kind in rec["services"] if m in known]
    population = [(y, u, p, p, 0, 0, e) for u, y, p, e in rec["population"]]
    reported = [(y, u, code, min(a, b), max(a, b)) for u, y, code, a, b in rec["reported"]]
    out = {
        "births": frame(
            births,
            [
                "birth_id",
                "unit_code",
                "birth_date",
                "sex",
                "birth_order",
                "in_policy",
                "registered",
                "resident",
            ],
            "birth_id",
        ),
        "deaths": frame(
            deaths,
            ["death_id", "unit_code", "death_date", "sex", "age", "registered", "resident"],
            "death_id",
        ),
        "prepregnancy_checks": frame(
            checks, ["check_id", "unit_code", "couple_id", "check_date", "risk"], "check_id"
        ),
        "migrants": frame(
            migrants,
            ["migrant_id", "unit_code", "direction", "sex", "arrival_date", "departure_date"],
            "migrant_id",
        ),
        "migrant_services": frame(
            services, ["service_id", "migrant_id", "service_date", "service"], "service_id"
        ),
        "population": frame(
            population,
            [
                "year",
                "unit_code",
                "registered_population",
                "resident_population",
                "women_15_49",
                "married_women_15_49",
                "eligible_couples",
            ],
            ["year", "unit_code"],
        ),
        "reported": frame(
            reported,
            ["year", "unit_code", "indicator", "numerator", "denominator"],
            ["year", "unit_code", "indicator"],
        ),
    }
    return {name: f for name, f in out.items() if len(f)}


def derived_rows(conn) -> dict[str, pd.DataFrame]:
    out = {}
    for table in DERIVED_TABLES:
        key = [c.name for c in table.primary_key.columns]
        rows = pd.DataFrame(conn.execute(select(*table.c)).all(), columns=[c.name for c in table.columns])
        out[table.name] = rows.sort_values(key).reset_index(drop=True)
    return out


def assert_same_as_full_build(engine) -> None:
    with engine.connect() as conn:
        updated = derived_rows(conn)
    with engine.connect() as conn:
        building = conn.begin()
        lifecycle.refresh(conn)
        built = derived_rows(conn)
        building.rollback()
    for name, rows in built.items():
        pd.testing.assert_frame_equal(updated[name], rows, check_dtype=False, obj=name)


@settings(
    max_examples=25,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(histories())
def test_an_updated_import_equals_a_full_build(engine, caplog, case):
    tree, first, increments, resend_units = case
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    unit_frame = pd.DataFrame(tree, columns=["code", "name", "level", "parent_code"])
    known: dict[int, tuple] = {}
    import_frames(engine, {"units": unit_frame, **frames_of(first, known)}, today=TODAY)
    # Every import is updated, however far back it reaches: the threshold is for speed only.
    with mock.patch.object(lifecycle, "UPDATE_SHARE", 1.0):
        for rec in increments:
            frames = frames_of(rec, known)
            if not frames:
                continue
            if resend_units:
                frames["units"] = unit_frame
            caplog.clear()
            with caplog.at_level(logging.INFO, logger=lifecycle.__name__):
                import_frames(engine, frames, today=TODAY)
            assert "derived tables updated" in caplog.text
            assert_same_as_full_build(engine)


EMPTY = dict(deaths=[], checks=[], migrants=[], services=[], leaves=[], population=[], reported=[])


def small_county(engine) -> pd.DataFrame:
    """Two townships with a few months of every kind of record; returns the units."""
    tree = [
        ("C", "县", "county", None),
        ("T0", "镇0", "township", "C"),
        ("T0V0", "村0", "village", "T0"),
        ("T0V1", "村1", "village", "T0"),
        ("T1", "镇1", "township", "C"),
        ("T1V0", "村2", "village", "T1"),
    ]
    rec = dict(
        births=[
            (k, ["T0V0", "T0V1", "T1V0"][k % 3], date(Y, 1 + k % 12, 1 + k), "MF"[k % 2], True, True)
            for k in range(20)
        ],
        deaths=[(k, "T0V1", date(Y, 2 + k, 3), True) for k in range(5)],
        checks=[(k, "T1V0", k % 3, date(Y, 1 + k, 9)) for k in range(8)],
        migrants=[(k, ["T0V0", "T1V0"][k % 2], date(Y - 1, 5 + k, 1), None, "in") for k in range(5)],
        services=[(k, k % 5, date(Y, 1 + k % 10, 15), KINDS[k % 2]) for k in range(12)],
        leaves=[],
        population=[("T0V0", Y - 1, 900, 40), ("T1V0", Y - 1, 700, 30)],
        reported=[("T0V1", Y, registry.REPORTED_CODES[0], 30, 40)],
    )
    units = pd.DataFrame(tree, columns=["code", "name", "level", "parent_code"])
    import_frames(engine, {"units": units, **frames_of(rec, {})}, today=TODAY)
    return units


def stored(conn, table, where) -> pd.DataFrame:
    return pd.DataFrame(
        conn.execute(select(*table.c).where(where)).all(), columns=[c.name for c in table.columns]
    )


def test_the_same_records_imported_again_touch_nothing(sqlite_engine):
    small_county(sqlite_engine)
    with sqlite_engine.connect() as conn:
        frames = {t.name: stored(conn, t, literal(True)) for t in (births, migrants, migrant_services)}
        assert touched_by(conn, frames) == Touched({})
        frames["births"].loc[0, "birth_date"] = date(Y, 12, 30)  # one birth moved to December
        touch = touched_by(conn, frames)
    assert touch is not None and set(touch.tables) == {"births"}
    assert touch.since("births") == date(Y, 1, 1) and touch.units("births") == {"T0V0"}


def test_a_new_unit_rebuilds_the_closure_and_counts_its_records(sqlite_engine):
    units = small_county(sqlite_engine)
    new = pd.concat([units, pd.DataFrame([("T1V1", "村3", "village", "T1")], columns=units.columns)])
    with sqlite_engine.connect() as conn:
        assert touched_by(conn, {"units": new}) is None  # the tree changes: build whole
    births_there = frames_of(dict(births=[(99, "T1V1", date(Y, 3, 3), "F", True, True)]) | EMPTY, {})
    import_frames(sqlite_engine, {"units": new, **births_there}, today=TODAY)
    with sqlite_engine.connect() as conn:
        got = conn.execute(
            select(unit_months.c.unit_code, unit_months.c.births_registered).where(
                unit_months.c.month == Y * 100 + 3
            )
        ).all()
    assert ("T1V1", 1) in got
    assert_same_as_full_build(sqlite_engine)


def test_deleted_records_update_the_derived_tables_as_a_full_build(engine):
    """What undoing an import does: its records deleted, the touch read before."""
    small_county(engine)
    with engine.begin() as conn, mock.patch.object(lifecycle, "UPDATE_SHARE", 1.0):
        gone = {
            "births": stored(conn, births, births.c.birth_date >= date(Y, 6, 1)),
            "migrant_services": stored(conn, migrant_services, migrant_services.c.migrant_id == "m1"),
            "migrants": stored(conn, migrants, migrants.c.migrant_id == "m1"),
        }
        touch = touched_by(conn, {}, deleted=gone)
        assert touch is not None and touch.units("migrant_services") == {"T1V0"}
        conn.execute(delete(births).where(births.c.birth_date >= date(Y, 6, 1)))
        conn.execute(delete(migrant_services).where(migrant_services.c.migrant_id == "m1"))
        conn.execute(delete(migrants).where(migrants.c.migrant_id == "m1"))
        lifecycle.refresh(conn, touched=touch)
    assert_same_as_full_build(engine)
