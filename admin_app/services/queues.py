"""Work queues (待办工作): the lists people work through each day, each stated once as a
SQL criterion over clients or visits, which a named list filter applies.

- overdue callbacks: the next callback fell due before now (``callbacks``' own rule);
- due soon: falls due from now to the end of the ``NEXT_DAYS``-day window;
- my clients: the user is the client's advisor;
- my callbacks this week: visits the user is to make, still planned, scheduled in this
  week (Monday to Sunday) of the user's time zone;
- birthdays (生日祝福): the birthday falls in the window; someone born on 29 February
  has it on the 28th in other years;
- holiday greetings (节日关怀): clients not yet greeted for a chosen holiday, that is
  with no holiday-greeting visit (planned or done) in its greeting window.

"The next 7 days" are today and the six days after it, in the user's time zone. Greeting
lists leave out closed accounts. ``now`` and ``today`` are passed in: tests pin them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..enums import ClientStatus, VisitPurpose, VisitStatus
from ..models import Client, Visit
from . import callbacks
from .festivals import Festival, greeting_window

NEXT_DAYS = 7
OLDEST_CLIENT_YEARS = 120  # birthdays are looked up in the birth years this far back
GREETED = (VisitStatus.planned, VisitStatus.done)


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, in UTC."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def next_days(today: date) -> list[date]:
    """The days of the window: ``today`` and the ``NEXT_DAYS`` - 1 after it."""
    return [today + timedelta(days=n) for n in range(NEXT_DAYS)]


def in_care() -> sa.ColumnElement[bool]:
    """Clients one still greets: all but closed accounts."""
    return Client.status != ClientStatus.closed


# --- callbacks --------------------------------------------------------------------------


def overdue(session: Session, now: datetime) -> sa.ColumnElement[bool]:
    return callbacks.overdue_criterion(session, now)


def due_soon_window(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """From ``now`` to the end of the window's last day in ``zone``."""
    return now, day_start(now.astimezone(zone).date() + timedelta(days=NEXT_DAYS), zone)


def due_soon(session: Session, now: datetime, zone: tzinfo) -> sa.ColumnElement[bool]:
    """Due from ``now`` to the end of the window (not yet overdue)."""
    return callbacks.due_between(session, *due_soon_window(now, zone))


def advised_by(user_id: int) -> sa.ColumnElement[bool]:
    return Client.advisor_id == user_id


def week_of(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The week (Monday 00:00 to the next Monday 00:00 in ``zone``) ``now`` falls in, in
    UTC."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return day_start(monday, zone), day_start(monday + timedelta(days=7), zone)


def planned_this_week(user_id: int, now: datetime, zone: tzinfo) -> sa.ColumnElement[bool]:
    """Visits ``user_id`` is to make that are still planned for this week."""
    start, end = week_of(now, zone)
    return sa.and_(Visit.staff_id == user_id, Visit.status == VisitStatus.planned,
                   Visit.scheduled_for >= start, Visit.scheduled_for < end)


# --- greetings --------------------------------------------------------------------------


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birthday_dates(today: date) -> list[tuple[int, int]]:
    """(month, day) of the birthdays that fall in the window starting ``today``: the
    window's days, and 29 February when a 28 February of a common year is among them."""
    found = []
    for day in next_days(today):
        found.append((day.month, day.day))
        if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
            found.append((2, 29))
    return found


def birth_dates(today: date) -> list[date]:
    """The birthdays of the window as the birth dates they can be, in every birth year
    back to ``OLDEST_CLIENT_YEARS``: a list the index on the birth date looks up one by
    one on every engine (some 850 dates), counting them without reading the clients."""
    days = birthday_dates(today)
    return [date(year, month, day)
            for year in range(today.year - OLDEST_CLIENT_YEARS, today.year + 1)
            for month, day in days if (month, day) != (2, 29) or _is_leap(year)]


def birthdays(today: date) -> sa.ColumnElement[bool]:
    """Clients in care whose birthday falls in the window starting ``today``."""
    return sa.and_(Client.birth_date.in_(birth_dates(today)), in_care())


def greeted_for(festival: Festival, zone: tzinfo) -> sa.Exists:
    """The client has a holiday greeting, planned or done, in ``festival``'s greeting
    window (days of ``zone``, the firm's)."""
    first, last = greeting_window(festival)
    start, end = day_start(first, zone), day_start(last + timedelta(days=1), zone)
    when: Any = sa.or_(sa.and_(Visit.scheduled_for >= start, Visit.scheduled_for < end),
                       sa.and_(Visit.completed_at >= start, Visit.completed_at < end))
    return sa.exists().where(Visit.client_id == Client.id,
                             Visit.purpose == VisitPurpose.holiday_greeting,
                             Visit.status.in_(GREETED), when)


def holiday_greetings(festival: Festival, zone: tzinfo) -> sa.ColumnElement[bool]:
    """Clients in care not yet greeted for ``festival``: most clients, so the list is
    paged without a count (``views.clients``), and a page looks at a few clients' visits."""
    return sa.and_(in_care(), ~greeted_for(festival, zone))
