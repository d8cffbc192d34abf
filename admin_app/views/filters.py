"""List filters: how model columns become filters, and the filters of our own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_admin.contrib.sqla import tools
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateTimeBetweenFilter,
    DateTimeGreaterFilter,
    DateTimeNotBetweenFilter,
    DateTimeSmallerFilter,
    FilterConverter,
    FilterEmpty,
    IntEqualFilter,
)
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..forms.fields import user_zone
from ..models import Client, User, utcnow
from ..services import callbacks


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


# --- the next callback's due date ---------------------------------------------------------

MOMENT = timedelta(microseconds=1)  # "after X" is "from just after X"
Bounds = tuple[datetime | None, datetime | None]


def due_bounds(view: Any, filters: Any) -> Bounds:
    """The range of due dates the list's filters keep (None: open on that side), from
    the filters that say (``due_bounds``): a page sorted by due date reads only that range
    of each tier (``callbacks.due_page``)."""
    start: datetime | None = None
    end: datetime | None = None
    for index, _name, value in filters or ():
        flt = view._filters[index]
        bounds = flt.due_bounds(flt.clean(value)) if hasattr(flt, "due_bounds") else None
        if bounds is None:
            continue
        low, high = bounds
        start = low if start is None or (low is not None and low > start) else start
        end = high if end is None or (high is not None and high < end) else end
    return start, end


class DueFilter:
    """A filter of clients by the due date of their next callback, asked per tier as
    ranges of indexes (``services.callbacks``), not as a comparison of the computed date,
    which would read every client. Named ``next_callback_due`` for ``links.list_url``."""

    key = "next_callback_due"

    def due_bounds(self, value: Any) -> Bounds | None:
        """The due dates (from, before) the filter keeps, when they are one range."""
        return None

    def criterion(self, value: Any) -> sa.ColumnElement[bool]:
        bounds = self.due_bounds(value)
        assert bounds is not None
        return callbacks.due_between(db.session, *bounds)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.criterion(value))


class DueAfterFilter(DueFilter, LocalTimeFilter, DateTimeGreaterFilter):
    def due_bounds(self, value: Any) -> Bounds | None:
        return value + MOMENT, None


class DueBeforeFilter(DueFilter, LocalTimeFilter, DateTimeSmallerFilter):
    def due_bounds(self, value: Any) -> Bounds | None:
        return None, value


class DueBetweenFilter(DueFilter, LocalTimeFilter, DateTimeBetweenFilter):
    def due_bounds(self, value: Any) -> Bounds | None:
        start, end = value
        return start, end + MOMENT


class DueNotBetweenFilter(DueFilter, LocalTimeFilter, DateTimeNotBetweenFilter):
    def criterion(self, value: Any) -> sa.ColumnElement[bool]:
        start, end = value
        return sa.or_(callbacks.due_between(db.session, None, start),
                      callbacks.due_between(db.session, end + MOMENT, None))


class NotDueFilter(DueFilter, FilterEmpty):
    def criterion(self, value: Any) -> sa.ColumnElement[bool]:
        return sa.not_(callbacks.is_due()) if value == "1" else callbacks.is_due()


def due_filters(name: Any) -> list[BaseSQLAFilter]:
    """The filters of the due date, as a date column's: after, before, between, not
    between, empty (not due)."""
    column = Client.next_callback_due
    return [cls(column, name) for cls in (DueAfterFilter, DueBeforeFilter, DueBetweenFilter,
                                          DueNotBetweenFilter, NotDueFilter)]


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

    def due_bounds(self, value: Any) -> Bounds | None:
        """Overdue: due before now (for the due dates of clients)."""
        return (None, utcnow()) if value == "1" else None

    def operation(self) -> Any:
        return _l("is")


def client_id_filter(column: Any) -> IntEqualFilter:
    """One client's rows, by the client's id: the lists a client's page links to ("all 23
    visits"). Named by its column (``client_id``) for ``links.list_url``; a value that is
    not a number is refused with Flask-Admin's message, not an error."""
    return IntEqualFilter(column, _l("Client ID"))


class ClientFilter(BaseSQLAFilter):
    """Rows whose client's name or code contains the typed text (``^`` in front: begins
    with it, ``=``: is it), on a column holding the client's id."""

    key = "client"

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        term = tools.parse_like_term(value)
        clients = sa.select(Client.id).where(sa.or_(Client.name.ilike(term),
                                                    Client.code.ilike(term)))
        return query.filter(self.column.in_(clients))

    def operation(self) -> Any:
        return _l("contains")


class UserChoices:
    """The users, as a filter's choices: read from the database each time a list is drawn
    (Flask-Admin keeps a filter's options from start-up), named as the screens name them."""

    def __bool__(self) -> bool:
        return True  # there are choices; reading them waits for a request

    def __iter__(self) -> Iterator[tuple[str, str]]:
        users = db.session.scalars(sa.select(User).order_by(User.full_name, User.username))
        return iter([(str(user.id), f"{user} ({user.username})" if user.full_name
                      else user.username) for user in users])


class UserFilter(IntEqualFilter):
    """Rows whose user column holds the chosen user, picked from a list of users. Not
    Flask-Admin's filters on a relationship, which would offer a text filter on each
    column of the user table (password hash and e-mail among them)."""

    def __init__(self, column: Any, name: Any, key: str) -> None:
        super().__init__(column, name, options=UserChoices())
        self.key = key

    def operation(self) -> Any:
        return _l("is")


class AdvisorFilter(UserFilter):
    """Rows whose client (``column`` holds the client's id) has the chosen advisor."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        clients = sa.select(Client.id).where(Client.advisor_id == value)
        return query.filter(self.column.in_(clients))


YES_ONLY = (("1", _l("Yes")),)


class QueueFilter(BaseSQLAFilter):
    """A work queue (``views.queues``) as a list filter, named by ``key`` for
    ``links.list_url``. Its criterion is asked for each list drawn, with the chosen
    option's value: the rows depend on the time, the user and the choice (None: none)."""

    def __init__(self, key: str, column: Any, name: Any,
                 criterion: Callable[[str], sa.ColumnElement[bool] | None],
                 options: Any = YES_ONLY, counted: bool = True,
                 bounds: Callable[[str], Bounds] | None = None) -> None:
        super().__init__(column, name, options=options)
        self.key = key
        self.criterion = criterion
        self.counted = counted  # False: a list so filtered pages without a count
        self.bounds = bounds  # the due dates it keeps, for a queue of due dates

    def due_bounds(self, value: Any) -> Bounds | None:
        return self.bounds(value) if self.bounds is not None else None

    def validate(self, value: Any) -> bool:
        return value in {option for option, _label in self.get_options(None) or ()}

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        found = self.criterion(value)
        return query.filter(found if found is not None else sa.false())

    def operation(self) -> Any:
        return _l("is")
