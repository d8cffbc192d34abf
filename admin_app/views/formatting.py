"""How values look on the lists and details pages: enums by their translated labels, times
in the user's zone, money as the locale writes it (right-aligned), booleans as translated
words. ``stored_value`` shows a value kept as JSON (the audit log's changes) the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_admin.model.typefmt import BASE_FORMATTERS, DETAIL_FORMATTERS
from flask_babel import format_date, format_datetime, format_decimal, format_number
from flask_babel import gettext as _
from markupsafe import Markup

from ..enums import ClientStatus, ComplaintStatus, LabelledEnum, Severity
from ..models import utcnow
from ..services import phones


def label_formatter(view: Any, value: Enum, name: str) -> str:
    return str(value.label) if isinstance(value, LabelledEnum) else str(value.value)


# The states a list is scanned for, as coloured badges, each tone meaning the same on
# every screen: blue (info) new or waiting, dark blue (primary) in hand, orange (warning)
# needs attention, red (danger) urgent, green (success) fine, grey (secondary) finished.
# static/css/app.css keeps every tone's text at AA contrast.
BADGE_TONES: dict[type[Enum], dict[Enum, str]] = {
    ClientStatus: {ClientStatus.prospect: "info", ClientStatus.active: "success",
                   ClientStatus.dormant: "warning", ClientStatus.closed: "secondary"},
    ComplaintStatus: {ComplaintStatus.received: "info", ComplaintStatus.assessing: "primary",
                      ComplaintStatus.investigating: "primary",
                      ComplaintStatus.resolving: "primary",
                      ComplaintStatus.closed: "secondary"},
    Severity: {Severity.low: "secondary", Severity.medium: "info", Severity.high: "warning",
               Severity.critical: "danger"},
}


def enum_formatter(view: Any, value: Enum, name: str) -> str | Markup:
    """An enum by its label; a state listed in ``BADGE_TONES`` as a badge of its tone."""
    tone = BADGE_TONES.get(type(value), {}).get(value)
    if tone is None:
        return label_formatter(view, value, name)
    return Markup('<span class="badge badge-{} state-badge {}-{}">{}</span>').format(
        tone, type(value).__name__.lower(), value.value, label_formatter(view, value, name))


def datetime_formatter(view: Any, value: datetime, name: str) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def date_formatter(view: Any, value: date, name: str) -> str:
    return format_date(value, "yyyy-MM-dd")


# Every amount is in CNY (the only decimal columns are ``models.Money``). Written with the
# yuan sign in every language: CLDR writes "CN¥" outside Simplified Chinese, to tell the
# yuan from the yen, but the firm's people read and write ¥. The locale still decides the
# grouping and decimal signs.
MONEY_PATTERN = "¥#,##0.00"


def money(value: Decimal) -> str:
    """``¥1,234,567.89``: an amount as the current locale writes it."""
    return str(format_decimal(value, MONEY_PATTERN))


def money_formatter(view: Any, value: Decimal, name: str) -> Markup:
    """An amount in a ``.money`` span, which static/css/app.css right-aligns in its cell."""
    return Markup('<span class="money">{}</span>').format(money(value))


def phone_formatter(view: Any, context: Any, model: Any, name: str) -> str:
    """A stored (canonical) phone number as people write it: "138 1234 5678", "010 1234
    5678", "+852 9123 4567"."""
    value = getattr(model, name, None)
    return phones.display(value) if value else ""


def number_formatter(view: Any, value: int, name: str) -> Markup:
    """A count or score in a ``.number`` span, right-aligned as money is (not a year or an
    id: those are shown by their own columns' formatters, or not listed)."""
    return Markup('<span class="number">{}</span>').format(format_number(value))


def bool_formatter(view: Any, value: bool, name: str) -> Markup:
    return Markup("{}").format(_("Yes") if value else _("No"))


FORMATTERS = {
    **BASE_FORMATTERS,
    Enum: enum_formatter,
    datetime: datetime_formatter,
    date: date_formatter,
    Decimal: money_formatter,
    bool: bool_formatter,  # before int: a bool is an int
    int: number_formatter,
}
DETAILS_FORMATTERS = {**DETAIL_FORMATTERS, **FORMATTERS}


def display(value: Any) -> str:
    """``value`` as the lists show a value of its type (``FORMATTERS``), as plain text."""
    if isinstance(value, Decimal):
        return money(value)  # the text of the list's right-aligned money cell
    if isinstance(value, Enum):
        return label_formatter(None, value, "")  # the badge's words
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # as stored: an id, a year, a count
    for kind, formatter in FORMATTERS.items():
        if isinstance(value, kind):
            return str(formatter(None, value, ""))
    return str(value)


def revive(python_type: type | None, value: Any) -> Any:
    """A value as JSON keeps it (an enum's code, an ISO time in UTC -- naive ones too --,
    a decimal as text) back as the column's Python type; a value that does not fit (older
    data), as it is."""
    if value is None or python_type is None:
        return value
    try:
        if issubclass(python_type, Enum):
            return python_type(value)
        if python_type is datetime:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is Decimal and not isinstance(value, bool):
            return Decimal(str(value))
    except (TypeError, ValueError, ArithmeticError):
        pass
    return value


def stored_value(python_type: type | None, value: Any) -> str:
    """A value kept as JSON, shown as the screens show a column of ``python_type``."""
    return display(revive(python_type, value))


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
