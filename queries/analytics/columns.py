"""Every event measure declared once: the ``unit_months`` columns with what one event row
adds to each, and the measures the engine reads from them.

As DHIS2's ``AnalyticsTableColumn`` list holds a column's name, type and expression
together, one ``EventColumn`` holds a stored column's name, the event source it counts and
the expression one row adds; ``unit_months`` gets a column per entry, the build sums the
expression, and the as-of month's tail reads the same expression from the raw events. One
``EventMeasure`` says how a period's value comes out of the stored running totals.
Adding an event measure is an entry in each list here (and a source in ``build.SOURCES``
when it counts a table not counted yet); the registry's expressions can then use its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, literal

from queries.engine.registry import BASES


def flag(condition) -> ColumnElement:
    return case((condition, 1), else_=0)


@dataclass(frozen=True)
class EventColumn:
    """A running total in ``unit_months``: ``adds(columns of the source)`` is what one row of
    ``source`` (a key of ``build.SOURCES``) adds on its day."""

    name: str
    source: str
    adds: Callable[..., ColumnElement]


@dataclass(frozen=True)
class EventMeasure:
    """A period's measure: the running total of ``plus`` at the as-of date less the running
    total of ``minus`` (default ``plus``) on the day before 1 January. ``{basis}`` in a
    column name is the basis asked for; ``group`` names the engine's reads that include it."""

    name: str
    plus: str
    minus: str | None = None
    group: str = ""

    def stored(self, basis: str) -> tuple[str, str]:
        return self.plus.format(basis=basis), (self.minus or self.plus).format(basis=basis)


def _per_basis(name: str, source: str, adds: Callable[..., ColumnElement]) -> list[EventColumn]:
    return [EventColumn(f"{name}_{basis}", source, lambda c, b=basis: adds(c, c[b] == 1)) for basis in BASES]


EVENT_COLUMNS: tuple[EventColumn, ...] = (
    *_per_basis("births", "births", lambda c, on: flag(on)),
    *_per_basis("male_births", "births", lambda c, on: flag(and_(on, c.sex == "M"))),
    *_per_basis("female_births", "births", lambda c, on: flag(and_(on, c.sex == "F"))),
    *_per_basis("in_policy_births", "births", lambda c, on: case((on, c.in_policy), else_=0)),
    *_per_basis("deaths", "deaths", lambda c, on: flag(on)),
    EventColumn("checked_couples", "first_checks", lambda c: literal(1)),
    EventColumn("arrivals_in", "arrivals", lambda c: flag(c.direction == "in")),
    EventColumn("arrivals_out", "arrivals", lambda c: flag(c.direction == "out")),
    EventColumn("departures_in", "departures", lambda c: flag(c.direction == "in")),
    EventColumn("departures_out", "departures", lambda c: flag(c.direction == "out")),
    EventColumn("served_in", "served_migrants", lambda c: literal(1)),
)
EVENT_COLUMN_NAMES = tuple(column.name for column in EVENT_COLUMNS)

EVENT_MEASURES: tuple[EventMeasure, ...] = (
    EventMeasure("births", "births_{basis}", group="births"),
    EventMeasure("male_births", "male_births_{basis}", group="births"),
    EventMeasure("female_births", "female_births_{basis}", group="births"),
    EventMeasure("in_policy_births", "in_policy_births_{basis}", group="births"),
    EventMeasure("deaths", "deaths_{basis}", group="deaths"),
    # a couple is counted on the day of its first check in the year (build: first_checks)
    EventMeasure("checked_couples", "checked_couples", group="checks"),
    # present in the year: arrived by the as-of date, less departed before 1 January
    EventMeasure("inflow_present", "arrivals_in", "departures_in", group="migrants"),
    EventMeasure("inflow_served", "served_in", group="migrants"),
    EventMeasure("outflow_present", "arrivals_out", "departures_out", group="migrants"),
)


def measures_of(group: str) -> tuple[str, ...]:
    return tuple(m.name for m in EVENT_MEASURES if m.group == group)
