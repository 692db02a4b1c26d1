"""Build small counties straight into the schema, for engine tests that must not depend
on the importer; and the frames the importer reads, for tests that import."""

from __future__ import annotations

from datetime import date
from itertools import count

import pandas as pd
from sqlalchemy import insert, text

from queries.analytics import lifecycle
from queries.store import schema as s
from queries.store.db import make_engine, rebuild_ancestors

_ids = count(1)


class County:
    def __init__(self, conn):
        self.conn = conn

    def units(self, *rows: tuple[str, str, str, str | None]) -> County:
        self.conn.execute(
            insert(s.units), [dict(code=c, name=n, level=lv, parent_code=p) for c, n, lv, p in rows]
        )
        rebuild_ancestors(self.conn)
        return self

    def population(
        self, year: int, unit: str, registered: int, resident: int | None = None, eligible: int = 0
    ):
        self.conn.execute(
            insert(s.population),
            [
                dict(
                    year=year,
                    unit_code=unit,
                    registered_population=registered,
                    resident_population=registered if resident is None else resident,
                    women_15_49=0,
                    married_women_15_49=0,
                    eligible_couples=eligible,
                )
            ],
        )

    def births(
        self,
        unit: str,
        n: int,
        sex: str,
        on: date,
        in_policy: int = 1,
        registered: int = 1,
        resident: int = 1,
    ):
        if n:
            self.conn.execute(
                insert(s.births),
                [
                    dict(
                        birth_id=f"b{next(_ids)}",
                        unit_code=unit,
                        birth_date=on,
                        sex=sex,
                        birth_order=1,
                        in_policy=in_policy,
                        registered=registered,
                        resident=resident,
                    )
                    for _ in range(n)
                ],
            )

    def deaths(self, unit: str, n: int, on: date, registered: int = 1, resident: int = 1):
        if n:
            self.conn.execute(
                insert(s.deaths),
                [
                    dict(
                        death_id=f"d{next(_ids)}",
                        unit_code=unit,
                        death_date=on,
                        sex="M",
                        age=80,
                        registered=registered,
                        resident=resident,
                    )
                    for _ in range(n)
                ],
            )

    def check(self, unit: str, couple: str, on: date):
        self.conn.execute(
            insert(s.prepregnancy_checks),
            [dict(check_id=f"c{next(_ids)}", unit_code=unit, couple_id=couple, check_date=on, risk=None)],
        )

    def migrant(self, unit: str, arrival: date, departure: date | None = None, direction: str = "in") -> str:
        mid = f"m{next(_ids)}"
        self.conn.execute(
            insert(s.migrants),
            [
                dict(
                    migrant_id=mid,
                    unit_code=unit,
                    direction=direction,
                    sex="F",
                    arrival_date=arrival,
                    departure_date=departure,
                )
            ],
        )
        return mid

    def service(self, migrant_id: str, on: date, kind: str = "file"):
        self.conn.execute(
            insert(s.migrant_services),
            [dict(service_id=f"s{next(_ids)}", migrant_id=migrant_id, service_date=on, service=kind)],
        )

    def settle(self) -> County:
        """Rebuild the derived tables, as an import does once at its end: call after adding
        data and before computing (the engine reads only the derived tables)."""
        lifecycle.refresh(self.conn)
        return self

    def target(self, year: int, unit: str, indicator: str, value: float):
        self.conn.execute(
            insert(s.targets), [dict(year=year, unit_code=unit, indicator=indicator, target=value)]
        )

    def reported(self, year: int, unit: str, indicator: str, num: float, den: float):
        self.conn.execute(
            insert(s.reported),
            [dict(year=year, unit_code=unit, indicator=indicator, numerator=num, denominator=den)],
        )


# --------------------------------------------------------------------------- frames for the importer


def births(unit: str, n: int, on: date, prefix: str = "extra") -> pd.DataFrame:
    """``n`` births in ``unit`` on ``on``, as the importer reads them (all text)."""
    return pd.DataFrame(
        {
            "birth_id": [f"{prefix}-{i}" for i in range(n)],
            "unit_code": unit,
            "birth_date": on.isoformat(),
            "sex": ["M", "F"] * (n // 2) + ["M"] * (n % 2),
            "birth_order": "1",
            "in_policy": "1",
            "registered": "1",
            "resident": "1",
        }
    )


def a_village(url: str) -> str:
    """The first village (by code) of the database at ``url``."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT code FROM units WHERE level = 'village' ORDER BY code")).scalar()
    finally:
        engine.dispose()
