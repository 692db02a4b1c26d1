"""What is in the database: the years with data and whether a period has any record, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from queries.engine.period import make_period
from queries.services.catalogue import has_records, years
from tests.services.test_series import tree

Y = 2025


def test_years_are_those_with_events_newest_first_gaps_kept(engine):
    with engine.begin() as conn:
        c = tree(conn)
        assert years(conn) == []
        c.population(2020, "V1", 1000)  # a baseline population alone is no year to show
        c.births("V1", 1, "M", date(2021, 12, 31))
        c.deaths("V2", 1, date(2023, 1, 1))  # 2022: nothing at all
        c.check("V3", "a", date(2024, 6, 1))
        c.service(c.migrant("V3", date(2020, 5, 1)), date(2026, 3, 1))  # arrival year is no event
        c.target(2027, "C", "birth_rate", 7.0)  # nor a target's year
        assert years(conn) == [2026, 2024, 2023, 2021]


@pytest.mark.parametrize(
    ("root", "as_of", "expected"),
    [
        ("C", date(Y, 3, 9), False),  # the first record is on 10 March
        ("C", date(Y, 3, 10), True),  # the as-of day counts
        ("T1", date(Y, 12, 31), True),
        ("V2", date(Y, 12, 31), True),  # its only record is a migrant's service
        ("V2", date(Y, 5, 31), False),
        ("T2", date(Y, 12, 31), False),  # V3's check is next year's, its birth last year's
        ("V3", date(Y, 12, 31), False),
    ],
)
def test_has_records_in_the_period_and_the_subtree_only(engine, root, as_of, expected):
    with engine.begin() as conn:
        c = tree(conn)
        c.births("V1", 2, "F", date(Y, 3, 10))
        c.deaths("V1", 1, date(Y, 8, 1))
        c.births("V3", 1, "M", date(Y - 1, 12, 31))
        c.check("V3", "a", date(Y + 1, 1, 1))
        # a migrant of V2 who arrived last year and was served on 1 June
        c.service(c.migrant("V2", date(Y - 1, 4, 1)), date(Y, 6, 1))
        assert has_records(conn, root, make_period(Y, as_of)) is expected


def test_has_records_of_a_year_nobody_has_records_in(engine):
    with engine.begin() as conn:
        c = tree(conn)
        c.service(c.migrant("V2", date(Y, 4, 1)), date(Y, 6, 1))
        assert has_records(conn, "C", make_period(Y + 1, date(Y + 1, 12, 31))) is False
        assert has_records(conn, "C", make_period(Y, date(Y, 12, 31))) is True
