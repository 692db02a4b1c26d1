"""The reporting period: calendar year Y from 1 January through an as-of date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from queries.store import clock


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    year: int
    as_of: date

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    @property
    def days_in_year(self) -> int:
        return 366 if calendar.isleap(self.year) else 365

    @property
    def year_fraction(self) -> float:
        return ((self.as_of - self.start).days + 1) / self.days_in_year

    @property
    def is_full_year(self) -> bool:
        return self.as_of == self.end

    @property
    def is_provisional(self) -> bool:
        """Results of this period may still change: it ends before 31 December, or the year
        is not over yet by the bureau's today."""
        return not self.is_full_year or not clock.year_is_over(self.year)

    def previous_year(self) -> Period:
        """The same stretch of last year (29 Feb falls back to 28 Feb)."""
        return Period(self.year - 1, same_day_in(self.year - 1, self.as_of))


def same_day_in(year: int, day: date) -> date:
    """``day``'s month and day in ``year``; 29 February becomes 28 February in other years."""
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def make_period(year: int, as_of: date | str | None = None) -> Period:
    if not 1900 <= int(year) <= 2200:
        raise PeriodError(f"year {year} is out of range")
    year = int(year)
    if as_of is None:
        # Not 31 December: a running year read as closed expects the whole task done.
        return Period(year, clock.default_as_of(year))
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise PeriodError(f"as-of date {as_of!r} is not a YYYY-MM-DD date") from None
    if as_of.year != year:
        raise PeriodError(f"as-of date {as_of.isoformat()} is not in the year {year}")
    return Period(year, as_of)
