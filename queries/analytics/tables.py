"""The derived tables' definitions, on the one ``MetaData`` of ``queries.store.schema`` (so
creating the schema creates them): what each holds, column by column. ``build`` creates,
populates, verifies and stamps them; ``read`` reads them.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, Index, Integer, String, Table

from queries.analytics.columns import EVENT_COLUMN_NAMES
from queries.engine.registry import REPORTED_CODES
from queries.store.schema import metadata

# Derived tables, rebuilt by queries.analytics.lifecycle.refresh inside every import's transaction
# (so never stale when an import commits, never half-built when it fails), the way DHIS2's
# analytics tables are. Raw events stay the record; these only make reading them cheap.

# Events whose day is not a column of a raw table. A couple counts as checked in a year
# from the day of its first check that year (per village); an inflow migrant counts as
# served in a year from the later of arrival and the first service dated that year, if
# present that year at all.
first_checks = Table(
    "first_checks",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    Column("couple_id", String(64), primary_key=True),
    Column("day", Date, nullable=False),
    Index("ix_first_checks_day", "day", "unit_code"),
)
served_migrants = Table(
    "served_migrants",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("migrant_id", String(64), primary_key=True),
    Column("unit_code", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Index("ix_served_migrants_day", "day", "unit_code"),
)

# The event measures of every unit (villages, townships and the county alike, each the sum
# of its subtree) as running totals since the first event, at the end of each month in
# which something in the subtree happened (month = year × 100 + month). A period's measure
# is the total at the end of the last whole month before its as-of date, plus the events
# of the as-of month up to that date (read from the events), minus the total before its
# 1 January: a few index probes per unit, whatever the number of events.
#
# Migrants present in year Y by day D are those arrived by D less those departed before
# 1 January Y (a departure is never before its arrival): arrivals and departures are kept
# apart for that.
unit_months = Table(
    "unit_months",
    metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("month", Integer, primary_key=True),
    *[Column(name, Integer, nullable=False) for name in EVENT_COLUMN_NAMES],
)

# Per unit and year, summed up the tree: population (the year's average, its end and the
# eligible couples, each after the village-level fallback to last year's end) and the
# reported numerators and denominators, one pair of columns per survey-reported indicator.
POPULATION_MEASURES = (
    "avg_population_registered",
    "avg_population_resident",
    "population_registered",
    "population_resident",
    "eligible_couples",
)
REPORTED_MEASURES = tuple(f"rep_{part}_{code}" for code in REPORTED_CODES for part in ("num", "den"))
YEAR_MEASURES = POPULATION_MEASURES + REPORTED_MEASURES
unit_years = Table(
    "unit_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    *[Column(name, Float, nullable=True) for name in YEAR_MEASURES],
)

# Which definition of the derived tables the database holds (a digest of their columns
# and queries.analytics.lifecycle.VERSION); a database built by another version is rebuilt from
# its raw tables when opened (queries.analytics.lifecycle.ensure_schema).
derived_state = Table(
    "derived_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("signature", String(64), nullable=False),
)

# Per unit (summed over its subtree), month (year × 100 + month) and kind of service: the
# services its migrants were given, and how many of them got that kind for the first time
# in the year, so that the distinct migrants of a kind from 1 January on are a sum of months.
unit_service_months = Table(
    "unit_service_months",
    metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("month", Integer, primary_key=True),
    Column("service", String(16), primary_key=True),
    Column("services", Integer, nullable=False),
    Column("migrants", Integer, nullable=False),
)

DERIVED_TABLES = (
    first_checks,
    served_migrants,
    unit_months,
    unit_service_months,
    unit_years,
    derived_state,
)
