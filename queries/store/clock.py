"""The bureau's clock: what day it is where the bureau is, whatever the server's zone.

Every default as-of date, the importer's "not in the future" check and the papers' date
read :func:`today`. A server on UTC is still on yesterday until 08:00 in Beijing; using
its ``date.today()`` showed yesterday's numbers and refused records dated today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queries.store.config import setting

DEFAULT_ZONE = "Asia/Shanghai"


class ClockError(ValueError):
    """The ``timezone`` setting names no known time zone."""


def zone() -> ZoneInfo:
    """The bureau's time zone: the ``timezone`` setting (POPDASH_TIMEZONE), default Asia/Shanghai."""
    name = setting("timezone") or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClockError(f"timezone setting {name!r} is not a known time zone (e.g. Asia/Shanghai)") from None


def utc_now() -> datetime:
    """The one reading of the system clock (tests freeze time by replacing it)."""
    return datetime.now(UTC)


def now() -> datetime:
    return utc_now().astimezone(zone())


def today() -> date:
    return now().date()


def default_as_of(year: int, on: date | None = None) -> date:
    """The as-of date a year is shown at unless one is asked for: today in the running year,
    31 December for a year that is over, 1 January for a year that has not begun."""
    on = on or today()
    if year < on.year:
        return date(year, 12, 31)
    if year > on.year:
        return date(year, 1, 1)
    return on


def year_is_over(year: int, on: date | None = None) -> bool:
    """Whether ``year`` has ended by the bureau's today: before that, results are provisional."""
    return (on or today()) > date(year, 12, 31)
