"""Working days on the mainland calendar, for service levels counted in working days.

Public holidays and the make-up working days (调休) that the State Council announces each
year come from the maintained ``chinesecalendar`` package, not from a table of ours. It
covers whole years up to the last one announced when it was released; beyond that (or
before its first year) a day counts as a working day when it is Monday to Friday. Admins
are warned (``coverage_status``) before that fallback starts, so that the package is
updated in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

FIRM_TIME_ZONE = "Asia/Shanghai"  # the TIME_ZONE default, used outside an app
WARN_WITHIN_DAYS = 60  # the HOLIDAY_CALENDAR_WARNING_DAYS default


@dataclass(frozen=True)
class Coverage:
    """The first and the last day for which the package knows holidays and make-up days."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


@cache
def coverage() -> Coverage:
    """What the installed package covers: whole years, from the first to the last year of
    its holiday table (its own ``is_workday`` raises NotImplementedError outside them)."""
    years = [day.year for day in chinese_calendar.holidays]
    return Coverage(date(min(years), 1, 1), date(max(years), 12, 31))


def is_workday(day: date) -> bool:
    """True on a working day of the mainland calendar: make-up working days count, public
    holidays don't. Outside the package's coverage: Monday to Friday."""
    if day in coverage():
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def nth_workday_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    while count:
        day += timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day


def firm_zone() -> tzinfo:
    """The firm's time zone (config ``TIME_ZONE``): the zone whose dates are counted."""
    name = current_app.config["TIME_ZONE"] if has_app_context() else FIRM_TIME_ZONE
    return ZoneInfo(name)


def add_working_days(start: datetime, days: int, zone: tzinfo | None = None) -> datetime:
    """``days`` working days after ``start`` (an aware time), in UTC.

    Dates are those of the firm's time zone. Received on a working day, the deadline is
    the same local time of day on the ``days``-th working day after that date, as a
    calendar-day deadline is the same time ``days`` days later (received Wednesday 10:00
    with 1 working day: due Thursday 10:00, or the next working day's 10:00 when Thursday
    is a holiday). Received on a holiday or a weekend, counting starts with the next
    working day, which is the first of the ``days``, and the deadline is the end of the
    last one (23:59:59.999999 local): the firm gets ``days`` whole working days either
    way, and a later receipt never gets an earlier deadline.
    """
    if days < 1:
        raise ValueError("a service level is at least one day")
    zone = zone or firm_zone()
    local = start.astimezone(zone)
    if is_workday(local.date()):
        due_day, at = nth_workday_after(local.date(), days), local.time()
    else:
        first = nth_workday_after(local.date(), 1)
        due_day, at = nth_workday_after(first, days - 1), time.max
    return datetime.combine(due_day, at, tzinfo=zone).astimezone(UTC)


# --- is the package up to date? ---------------------------------------------------------


def today(zone: tzinfo | None = None) -> date:
    """Today's date in the firm's time zone."""
    return datetime.now(zone or firm_zone()).date()


@dataclass(frozen=True)
class CoverageStatus:
    """How the package's coverage stands on ``today``."""

    today: date
    last_covered: date
    warn_within: int

    @property
    def days_left(self) -> int:
        """Days from today to the last covered day; negative once it has passed."""
        return (self.last_covered - self.today).days

    @property
    def ended(self) -> bool:
        return self.days_left < 0

    @property
    def warn(self) -> bool:
        """Admins should hear of it: the coverage ends within ``warn_within`` days, or did."""
        return self.days_left <= self.warn_within

    def message(self) -> Any:
        """The warning for admins (translated, lazily), or None when none is due."""
        if not self.warn:
            return None
        if self.ended:
            return _l("The holiday calendar used for working-day deadlines ended on "
                      "%(date)s: working days after that date are counted as Monday to "
                      "Friday, without public holidays or make-up working days. Update the "
                      "chinesecalendar package.", date=self.last_covered.isoformat())
        return _l("The holiday calendar used for working-day deadlines ends on %(date)s: "
                  "deadlines that run past that date count Monday to Friday as working "
                  "days, without public holidays or make-up working days. Update the "
                  "chinesecalendar package before then.",
                  date=self.last_covered.isoformat())


def coverage_status(today: date, *, warn_within: int = WARN_WITHIN_DAYS,
                    last_covered: date | None = None) -> CoverageStatus:
    """The coverage seen from ``today`` (the firm's date), warning ``warn_within`` days
    ahead. ``last_covered`` defaults to what the installed package covers."""
    return CoverageStatus(today=today, warn_within=warn_within,
                          last_covered=last_covered or coverage().last)
