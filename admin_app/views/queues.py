"""Work queues on the screens: each queue is a named filter of the client or visit list
(``services.queues`` states its rows), reached in one click from the menu and from the
dashboard through a link built from the filter's name, never its position."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_admin.menu import MenuLink
from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..enums import Capability, Resource
from ..extensions import db
from ..forms.fields import user_zone
from ..models import Client, Visit, utcnow
from ..permissions import can
from ..services import festivals, queues, workdays
from .access import role_of_current_user
from .filters import QueueFilter
from .links import list_url

CATEGORY = _l("Work queues")


def user_today() -> date:
    return utcnow().astimezone(user_zone()).date()


def _user_id() -> int:
    return int(current_user.id)


# --- the filters ----------------------------------------------------------------------


def due_soon_filter() -> QueueFilter:
    return QueueFilter("due_soon", Client.next_callback_due,
                       _l("Callback due in the next 7 days"),
                       lambda value: queues.due_soon(db.session, utcnow(), user_zone()),
                       bounds=lambda value: queues.due_soon_window(utcnow(), user_zone()))


def my_clients_filter() -> QueueFilter:
    return QueueFilter("mine", Client.advisor_id, _l("My clients"),
                       lambda value: queues.advised_by(_user_id()))


def birthdays_filter() -> QueueFilter:
    return QueueFilter("birthdays", Client.birth_date, _l("Birthday in the next 7 days"),
                       lambda value: queues.birthdays(user_today()))


def holiday_label(key: str) -> str:
    """"Spring Festival (from 2027-02-05)": the holiday and its next first day off."""
    festival = festivals.next_of(key, workdays.today())
    if festival is None:
        return str(festivals.HOLIDAYS[key])
    return _("%(holiday)s (from %(date)s)", holiday=festivals.HOLIDAYS[key],
             date=format_date(festival.first, "yyyy-MM-dd"))


def holiday_greetings(key: str) -> Any:
    festival = festivals.next_of(key, workdays.today())
    return None if festival is None else queues.holiday_greetings(festival,
                                                                  workdays.firm_zone())


def holiday_filter() -> QueueFilter:
    """Clients still to greet for the holiday chosen: each holiday's next date. Most
    clients are, so the list is not counted (counting them costs more than the page)."""
    options = [(key, LazyString(holiday_label, key)) for key in festivals.HOLIDAYS]
    return QueueFilter("holiday", Client.id, _l("Holiday greeting still to make"),
                       holiday_greetings, options=options, counted=False)


def my_week_filter() -> QueueFilter:
    return QueueFilter("my_week", Visit.scheduled_for, _l("My callbacks planned this week"),
                       lambda value: queues.planned_this_week(_user_id(), utcnow(),
                                                              user_zone()))


# --- the links --------------------------------------------------------------------------


def next_holiday() -> str:
    """The holiday whose greeting list the links open: the next one to begin."""
    found = festivals.upcoming(workdays.today())
    return found[0].key if found else next(iter(festivals.HOLIDAYS))


@dataclass(frozen=True)
class Queue:
    """A queue's link: the list (``endpoint``), the filter's name, the value it is
    opened with, and the column it is sorted by."""

    label: Any
    endpoint: str
    key: str
    sort: str | None = None
    value: Callable[[], str] = lambda: "1"

    def url(self) -> str:
        return list_url(self.endpoint, sort=self.sort, filters={self.key: self.value()})

    def visible(self) -> bool:
        return can(role_of_current_user(), Resource(self.endpoint), Capability.view)


QUEUES = (
    Queue(_l("Overdue callbacks"), "client", "overdue", sort="next_callback_due"),
    Queue(_l("Callbacks due in the next 7 days"), "client", "due_soon",
          sort="next_callback_due"),
    Queue(_l("My clients"), "client", "mine", sort="next_callback_due"),
    Queue(_l("My callbacks this week"), "visit", "my_week", sort="scheduled_for"),
    Queue(_l("Birthdays in the next 7 days"), "client", "birthdays", sort="birth_date"),
    Queue(_l("Holiday greetings"), "client", "holiday", value=next_holiday),
)


class QueueLink(MenuLink):
    """A menu entry opening a queue; shown to whoever may see its list."""

    def __init__(self, queue: Queue) -> None:
        super().__init__(queue.label, category=CATEGORY)
        self.queue = queue

    def get_url(self) -> str:
        return self.queue.url()

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated) and self.queue.visible()


def visible_queues() -> list[tuple[Any, str]]:
    """(label, URL) of each queue the current user may open, for the dashboard."""
    return [(queue.label, queue.url()) for queue in QUEUES if queue.visible()]
