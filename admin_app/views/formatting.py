"""How values look on the lists and details pages: enums by their translated labels, times
in the user's zone, money with separators, booleans as translated words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_admin.model.typefmt import BASE_FORMATTERS, DETAIL_FORMATTERS
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from ..enums import LabelledEnum
from ..models import utcnow


def label_formatter(view: Any, value: Enum, name: str) -> str:
    return str(value.label) if isinstance(value, LabelledEnum) else str(value.value)


def datetime_formatter(view: Any, value: datetime, name: str) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def date_formatter(view: Any, value: date, name: str) -> str:
    return format_date(value, "yyyy-MM-dd")


def decimal_formatter(view: Any, value: Decimal, name: str) -> str:
    return format_decimal(value, "#,##0.00")


def bool_formatter(view: Any, value: bool, name: str) -> Markup:
    return Markup("{}").format(_("Yes") if value else _("No"))


FORMATTERS = {
    **BASE_FORMATTERS,
    Enum: label_formatter,
    datetime: datetime_formatter,
    date: date_formatter,
    Decimal: decimal_formatter,
    bool: bool_formatter,
}
DETAILS_FORMATTERS = {**DETAIL_FORMATTERS, **FORMATTERS}


def overdue_formatter(is_overdue: Callable[[Any, datetime], bool]) -> Callable[..., Any]:
    """A due time, flagged when a service's ``is_overdue`` says the record is overdue."""

    def formatter(view: Any, context: Any, model: Any, name: str) -> Any:
        value = getattr(model, name)
        if value is None:
            return ""
        text = datetime_formatter(view, value, name)
        if is_overdue(model, utcnow()):
            return Markup('<span class="badge badge-danger overdue">{} · {}</span>').format(
                text, _("Overdue"))
        return text

    return formatter
