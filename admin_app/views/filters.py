"""List filters: how model columns become filters, and the filters of our own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterConverter
from flask_babel import lazy_gettext as _l

from ..forms.fields import user_zone
from ..models import utcnow


class LocalTimeFilter:
    """A date-time filter whose typed value is the user's local time, as every screen
    shows it; the column holds UTC, so the value is moved to UTC before it is compared."""

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)  # type: ignore[misc]
        zone = user_zone()

        def utc(moment: datetime) -> datetime:
            return moment.replace(tzinfo=zone).astimezone(UTC)

        return [utc(m) for m in cleaned] if isinstance(cleaned, list) else utc(cleaned)


_LOCAL_FILTERS: dict[type, type] = {}


def _in_local_time(flt: Any) -> Any:
    cls = type(flt)
    if cls not in _LOCAL_FILTERS:
        _LOCAL_FILTERS[cls] = type(f"Local{cls.__name__}", (LocalTimeFilter, cls), {})
    flt.__class__ = _LOCAL_FILTERS[cls]
    return flt


class AppFilterConverter(FilterConverter):
    """Filters on enums offer translated labels; UTC time stamps filter like datetimes,
    in the user's local time."""

    def convert(self, type_name: str, column: Any, name: str, **kwargs: Any) -> Any:
        if type_name.lower() == "utcdatetime":
            found = super().convert("datetime", column, name, **kwargs)
            return [_in_local_time(flt) for flt in found] if found else found
        if type_name.lower() == "enum" and getattr(column.type, "enum_class", None):
            if not kwargs.get("options"):
                kwargs["options"] = [(m.value, m.label) for m in column.type.enum_class]
        return super().convert(type_name, column, name, **kwargs)


class OverdueFilter(BaseSQLAFilter):
    """Rows past their due time by a service's overdue criterion (or, with "no", the
    others). ``key`` names it for ``links.list_url``."""

    key = "overdue"

    def __init__(self, column: Any, name: Any,
                 criterion: Callable[[datetime], sa.ColumnElement[bool]]) -> None:
        super().__init__(column, name, options=(("1", _l("Yes")), ("0", _l("No"))))
        self.criterion = criterion

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        overdue = self.criterion(utcnow())
        return query.filter(overdue if value == "1" else sa.not_(overdue))

    def operation(self) -> Any:
        return _l("is")


YES_ONLY = (("1", _l("Yes")),)


class QueueFilter(BaseSQLAFilter):
    """A work queue (``views.queues``) as a list filter, named by ``key`` for
    ``links.list_url``. Its criterion is asked for each list drawn, with the chosen
    option's value: the rows depend on the time, the user and the choice (None: none)."""

    def __init__(self, key: str, column: Any, name: Any,
                 criterion: Callable[[str], sa.ColumnElement[bool] | None],
                 options: Any = YES_ONLY, counted: bool = True) -> None:
        super().__init__(column, name, options=options)
        self.key = key
        self.criterion = criterion
        self.counted = counted  # False: a list so filtered pages without a count

    def validate(self, value: Any) -> bool:
        return value in {option for option, _label in self.get_options(None) or ()}

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        found = self.criterion(value)
        return query.filter(found if found is not None else sa.false())

    def operation(self) -> Any:
        return _l("is")
