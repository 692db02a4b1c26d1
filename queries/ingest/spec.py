"""The interchange format (interchange.md) as data: its tables, their columns, keys and bounds.

Every check reads its rules from here: a column's kind (text, enum, int, flag, num, date,
year), the values an enumeration allows, a number's bounds, whether a cell or the whole
column may be left out. A new column or a new bound is one line of ``SPEC``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from queries.store.schema import DATA_TABLES, LEVELS

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in DATA_TABLES)
INT32_MAX = 2_147_483_647
MIN_YEAR = 1900
MIN_DATE = pd.Timestamp(MIN_YEAR, 1, 1)
# Tables whose rows belong to a village or community.
UNIT_DATA_TABLES = ("population", "births", "deaths", "prepregnancy_checks", "migrants", "reported")
# The level a unit's parent has; the county, the root, has none.
PARENT_LEVEL = {"township": "county", "village": "township", "community": "township"}


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # text | enum | int | flag | num | date | year
    allowed: tuple = ()
    lo: float | None = None
    hi: float | None = None
    may_be_empty: bool = False
    optional_column: bool = False


def _counts(*names: str) -> tuple[Col, ...]:
    return tuple(Col(n, "int", lo=0, hi=INT32_MAX) for n in names)


SEXES = ("M", "F")

SPEC: dict[str, tuple[Col, ...]] = {
    "units": (
        Col("code", "text"),
        Col("name", "text"),
        Col("level", "enum", LEVELS),
        Col("parent_code", "text", may_be_empty=True),
    ),
    "population": (
        Col("year", "year"),
        Col("unit_code", "text"),
        *_counts(
            "registered_population",
            "resident_population",
            "women_15_49",
            "married_women_15_49",
            "eligible_couples",
        ),
    ),
    "births": (
        Col("birth_id", "text"),
        Col("unit_code", "text"),
        Col("birth_date", "date"),
        Col("sex", "enum", SEXES),
        Col("birth_order", "int", lo=1, hi=20),
        Col("in_policy", "flag"),
        Col("registered", "flag"),
        Col("resident", "flag"),
    ),
    "deaths": (
        Col("death_id", "text"),
        Col("unit_code", "text"),
        Col("death_date", "date"),
        Col("sex", "enum", SEXES),
        Col("age", "int", lo=0, hi=130),
        Col("registered", "flag"),
        Col("resident", "flag"),
    ),
    "prepregnancy_checks": (
        Col("check_id", "text"),
        Col("unit_code", "text"),
        Col("couple_id", "text"),
        Col("check_date", "date"),
        Col("risk", "enum", ("low", "high"), may_be_empty=True, optional_column=True),
    ),
    "migrants": (
        Col("migrant_id", "text"),
        Col("unit_code", "text"),
        Col("direction", "enum", ("in", "out")),
        Col("sex", "enum", SEXES),
        Col("arrival_date", "date"),
        Col("departure_date", "date", may_be_empty=True),
    ),
    "migrant_services": (
        Col("service_id", "text"),
        Col("migrant_id", "text"),
        Col("service_date", "date"),
        Col("service", "enum", ("file", "certificate", "contraception", "education", "checkup")),
    ),
    "targets": (
        Col("year", "year"),
        Col("unit_code", "text"),
        Col("indicator", "text"),
        Col("target", "num", lo=0),
    ),
    "reported": (
        Col("year", "year"),
        Col("unit_code", "text"),
        Col("indicator", "text"),
        Col("numerator", "num", lo=0),
        Col("denominator", "num", lo=0),
    ),
}
SPEC_COLUMNS: dict[str, set[str]] = {name: {c.name for c in cols} for name, cols in SPEC.items()}
KEYS: dict[str, tuple[str, ...]] = {t.name: tuple(c.name for c in t.primary_key.columns) for t in DATA_TABLES}
# Text columns whose empty cell is stored as NULL.
NULLABLE_TEXT = {("units", "parent_code"), ("prepregnancy_checks", "risk")}


def default_label(table: str, source: str = "") -> str:
    """How errors name a table: ``births.csv``, or ``sheet births`` for a workbook."""
    return f"sheet {table}" if str(source).lower().endswith(".xlsx") else f"{table}.csv"


def label(labels: dict[str, str], table: str) -> str:
    """The name ``labels`` gives ``table`` in errors, else its CSV file's name."""
    return labels.get(table, default_label(table))
