"""The population database: one SQLAlchemy Core schema for SQLite and PostgreSQL.

Event tables carry the village or community they belong to; every roll-up goes through
``unit_ancestors`` (a closure table rebuilt on each import of units), so a township's or
the county's numbers are one GROUP BY in SQL whatever the depth of the tree.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

from queries.engine.registry import REPORTED_CODES

metadata = MetaData()

LEVELS = ("county", "township", "village", "community")
DATA_LEVELS = ("village", "community")

units = Table(
    "units",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(32), nullable=True, index=True),
)

# (ancestor, unit, depth): every unit is its own ancestor at depth 0.
unit_ancestors = Table(
    "unit_ancestors",
    metadata,
    Column("ancestor_code", String(32), primary_key=True),
    Column("unit_code", String(32), primary_key=True),
    Column("depth", SmallInteger, nullable=False),
    Index("ix_unit_ancestors_unit", "unit_code", "ancestor_code"),
)

population = Table(
    "population",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), primary_key=True),
    Column("registered_population", Integer, nullable=False),
    Column("resident_population", Integer, nullable=False),
    Column("women_15_49", Integer, nullable=False),
    Column("married_women_15_49", Integer, nullable=False),
    Column("eligible_couples", Integer, nullable=False),
)

births = Table(
    "births",
    metadata,
    Column("birth_id", String(64), primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_order", SmallInteger, nullable=False),
    Column("in_policy", SmallInteger, nullable=False),
    Column("registered", SmallInteger, nullable=False),
    Column("resident", SmallInteger, nullable=False),
    Index("ix_births_date_unit", "birth_date", "unit_code"),
)

deaths = Table(
    "deaths",
    metadata,
    Column("death_id", String(64), primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("death_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("age", SmallInteger, nullable=False),
    Column("registered", SmallInteger, nullable=False),
    Column("resident", SmallInteger, nullable=False),
    Index("ix_deaths_date_unit", "death_date", "unit_code"),
)

prepregnancy_checks = Table(
    "prepregnancy_checks",
    metadata,
    Column("check_id", String(64), primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("couple_id", String(64), nullable=False),
    Column("check_date", Date, nullable=False),
    Column("risk", String(8), nullable=True),
    Index("ix_checks_date_unit", "check_date", "unit_code", "couple_id"),
)

migrants = Table(
    "migrants",
    metadata,
    Column("migrant_id", String(64), primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("arrival_date", Date, nullable=False),
    Column("departure_date", Date, nullable=True),
    Index("ix_migrants_unit", "unit_code", "direction"),
    Index("ix_migrants_arrival", "arrival_date", "unit_code"),
    Index("ix_migrants_departure", "departure_date", "unit_code"),
)

migrant_services = Table(
    "migrant_services",
    metadata,
    Column("service_id", String(64), primary_key=True),
    Column("migrant_id", String(64), ForeignKey("migrants.migrant_id"), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("service", String(16), nullable=False),
    Index("ix_services_migrant_date", "migrant_id", "service_date"),
    Index("ix_services_date", "service_date"),
)

targets = Table(
    "targets",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), primary_key=True),
    Column("indicator", String(48), primary_key=True),
    Column("target", Float, nullable=False),
)

reported = Table(
    "reported",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(32), ForeignKey("units.code"), primary_key=True),
    Column("indicator", String(48), primary_key=True),
    Column("numerator", Float, nullable=False),
    Column("denominator", Float, nullable=False),
)

# Derived tables, rebuilt by queries.analytics.build.refresh inside every import's transaction
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
EVENT_MEASURES = (
    "births_registered",
    "births_resident",
    "male_births_registered",
    "male_births_resident",
    "female_births_registered",
    "female_births_resident",
    "in_policy_births_registered",
    "in_policy_births_resident",
    "deaths_registered",
    "deaths_resident",
    "checked_couples",
    "arrivals_in",
    "arrivals_out",
    "departures_in",
    "departures_out",
    "served_in",
)
unit_months = Table(
    "unit_months",
    metadata,
    Column("unit_code", String(32), primary_key=True),
    Column("month", Integer, primary_key=True),
    *[Column(name, Integer, nullable=False) for name in EVENT_MEASURES],
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
# and queries.analytics.build.VERSION); a database built by another version is rebuilt from
# its raw tables when opened (queries.store.db.ensure_schema).
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

# The data version: a new random token (and the time) with every import, target change and
# derived-table rebuild, written in the same transaction. Caches are keyed by the token, so
# the first page opened after a change shows it on every session. A token, not a counter:
# a database built anew must never repeat the version of the one it replaced.
data_version = Table(
    "data_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(32), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(32), nullable=False),
)

DERIVED_TABLES = (
    first_checks,
    served_migrants,
    unit_months,
    unit_service_months,
    unit_years,
    derived_state,
)

# Import order: a table is written after those it refers to.
DATA_TABLES = (
    units,
    population,
    births,
    deaths,
    prepregnancy_checks,
    migrants,
    migrant_services,
    targets,
    reported,
)
