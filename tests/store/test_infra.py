"""The database fixtures themselves: both engines store what the importer will write."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from queries.store.schema import births, units


def test_schema_round_trips_dates_and_chinese_names(engine):
    with engine.begin() as conn:
        conn.execute(
            insert(units),
            [
                {"code": "C", "name": "城关县", "level": "county", "parent_code": None},
                {"code": "T1", "name": "东城街道", "level": "township", "parent_code": "C"},
                {"code": "V1", "name": "柳树湾村", "level": "village", "parent_code": "T1"},
            ],
        )
        conn.execute(
            insert(births),
            {
                "birth_id": "b1",
                "unit_code": "V1",
                "birth_date": dt.date(2024, 2, 29),
                "sex": "F",
                "birth_order": 2,
                "in_policy": 1,
                "registered": 1,
                "resident": 0,
            },
        )
    with engine.connect() as conn:
        names = dict(conn.execute(select(units.c.code, units.c.name)).all())
        born = conn.execute(select(births.c.birth_date).where(births.c.unit_code == "V1")).scalar_one()
    assert names == {"C": "城关县", "T1": "东城街道", "V1": "柳树湾村"}
    assert born == dt.date(2024, 2, 29)  # a date: neither text nor a datetime equals it


def test_each_test_starts_from_an_empty_schema(engine):
    with engine.connect() as conn:
        assert conn.execute(select(units.c.code)).first() is None
