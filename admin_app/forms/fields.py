"""Form fields that follow the user: time stamps are shown and typed in the user's time
zone (the one flask-babel chose for the request, as every other screen uses) and stored
in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import has_request_context
from flask_admin.form import DateTimeField
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l

MIN_YEAR, MAX_YEAR = 1900, 9998  # what a time on these screens can be, in any zone


def user_zone() -> tzinfo:
    """The zone the current user reads times in; UTC outside a request."""
    zone = get_timezone() if has_request_context() else None
    return ZoneInfo(str(zone)) if zone is not None else UTC


class LocalDateTimeField(DateTimeField):
    """A UTC time stamp shown and typed in the user's zone.

    ``data`` is always an aware UTC datetime (or None). A value typed back unchanged keeps
    the stored one, fractions of a second included, so a save that changes nothing
    changes nothing."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return str(_aware(self.data).astimezone(user_zone()).strftime(self.format[0]))

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if not isinstance(self.data, datetime):
            return
        try:  # the zone's offset can push 0001-01-01 or 9999-12-31 off the calendar
            typed = self.data.replace(tzinfo=user_zone()).astimezone(UTC)
        except OverflowError:
            typed = None
        if typed is None or not MIN_YEAR <= typed.year <= MAX_YEAR:
            self.data = None
            raise ValueError(_l("Enter a date and time between the years %(low)s and %(high)s.",
                                low=MIN_YEAR, high=MAX_YEAR))
        stored = self.object_data
        if isinstance(stored, datetime) and \
                _aware(stored).replace(microsecond=0) == typed.replace(microsecond=0):
            typed = _aware(stored)
        self.data = typed


def _aware(value: datetime) -> datetime:
    """Naive values are UTC, as stored."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
