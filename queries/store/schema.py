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
    Text,
)

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

# Every import, target save and undo, refused ones too: when, which file (its name and
# SHA-256), what it did (rows added and replaced per file, as JSON text) and the data version
# it produced. Times are UTC; callers show them in the bureau's time (queries.store.clock).
# Never a person-level value: counts, a file's name, a message code. ``result`` is running
# while the import works (committed before it takes the write lock, so that a second import
# can say who holds it), then imported, refused or undone; ``undo_kept`` says whether the
# rows its undo needs are still stored (queries.ingest.undo keeps them for the last few).
import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("file_name", String(255), nullable=False),
    Column("file_hash", String(64), nullable=True),
    Column("kind", String(8), nullable=False),  # import | targets | deletion (of targets) | undo
    Column("result", String(8), nullable=False),  # running | imported | refused | undone
    Column("rows_added", Text, nullable=True),
    Column("rows_replaced", Text, nullable=True),
    Column("duration_s", Float, nullable=True),
    Column("data_version", String(32), nullable=True),
    Column("undo_of", Integer, nullable=True),  # an undo: the import it undid
    Column("error_code", String(48), nullable=True),  # a refusal: its first message code
    Column("error_count", Integer, nullable=True),
    Column("undo_kept", SmallInteger, nullable=False, default=0),
)


def _undo_table(table: Table) -> Table:
    """What undoing an import needs of one data table: the key of every row it added
    (``action`` added, other columns NULL) and the stored version of every row it replaced
    (``action`` replaced), keyed by the import's ``import_log.id``."""
    key = [c.name for c in table.primary_key.columns]
    return Table(
        f"undo_{table.name}",
        metadata,
        Column("import_id", Integer, primary_key=True),
        *[
            Column(c.name, c.type, primary_key=c.name in key, nullable=c.name not in key)
            for c in table.columns
        ],
        Column("action", String(8), nullable=False),
    )


UNDO_TABLES: dict[str, Table] = {t.name: _undo_table(t) for t in DATA_TABLES}
# Tables about the data rather than data: left out when two states of a database are compared.
BOOKKEEPING_TABLES = ("data_version", "import_log", *(t.name for t in UNDO_TABLES.values()))
