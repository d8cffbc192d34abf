"""Client events (客户活动): invitations within the event's capacity and lifecycle.

- **Capacity**: every attendance row takes a place (invited, registered, attended or
  no-show): an event with capacity 20 has at most 20 rows. No capacity: no limit.
- **Lifecycle**: a done or cancelled event takes no new invitations.
- **One at a time**: each change that adds rows to an event first holds the event's row
  (``hold``: a write to it, which on PostgreSQL locks the row and on SQLite takes the
  database's one write lock), then counts its places: two invitations can't both take
  the last place.

``invite`` invites many clients in one set-based pass (the client list's *Invite to
event*, for the selected clients or every client matching the list): those already on the
event's list and closed accounts are skipped and counted; when places run out, the rest
are refused for capacity, and counted. An audit entry for each client invited, and one
for the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .. import sql
from ..enums import AttendanceStatus, AuditAction, ClientStatus, EventStatus
from ..models import Client, Event, EventAttendance, User, utcnow
from . import audit

CLOSED_EVENTS = (EventStatus.done, EventStatus.cancelled)
EVENT_CLOSED = _l("This event is over or cancelled: it takes no new invitations.")


class EventError(Exception):
    """A change the event refuses; its message is translated."""


@dataclass
class InviteResult:
    invited: int = 0
    already_invited: int = 0
    closed_accounts: int = 0
    over_capacity: int = 0


def hold(session: Session, event_id: int) -> Event | None:
    """The event, its row held against other writers until the transaction ends."""
    session.execute(sa.update(Event).where(Event.id == event_id).values(id=Event.id)
                    .execution_options(synchronize_session=False))
    return session.get(Event, event_id)


def places_taken(session: Session, event_id: int) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(EventAttendance)
                              .where(EventAttendance.event_id == event_id)) or 0)


def check_room(session: Session, event_id: int, adding: int = 1) -> None:
    """Before ``adding`` rows to the event: hold it, and refuse (``EventError``) when it is
    closed or its places would run out."""
    event = hold(session, event_id)
    if event is None:
        return
    if event.status in CLOSED_EVENTS:
        raise EventError(str(EVENT_CLOSED))
    if event.capacity is not None and places_taken(session, event_id) + adding > event.capacity:
        raise EventError(_("This event is full: all %(capacity)s places are taken.",
                           capacity=format_number(event.capacity)))


def invite(session: Session, event_id: int, scope: sa.Select[Any] | None, *,
           actor: User | None = None, now: datetime | None = None,
           scope_label: str = "selected") -> InviteResult:
    """Invite the clients of ``scope`` (a SELECT of client ids; None: every client) to the
    event, within its capacity, in client-code order. Flushes; the caller commits."""
    now = now or utcnow()
    session.flush()
    event = hold(session, event_id)
    if event is None or event.status in CLOSED_EVENTS:
        raise EventError(str(EVENT_CLOSED))
    in_scope: Any = sa.true() if scope is None else Client.id.in_(scope)
    invited_already = sa.exists().where(EventAttendance.event_id == event_id,
                                        EventAttendance.client_id == Client.id)
    closed = Client.status == ClientStatus.closed
    result = InviteResult()
    result.already_invited, result.closed_accounts, eligible = session.execute(
        sa.select(sa.func.count().filter(invited_already),
                  sa.func.count().filter(~invited_already, closed),
                  sa.func.count().filter(~invited_already, ~closed))
        .select_from(Client).where(in_scope)).one()
    room = eligible if event.capacity is None else \
        max(0, min(eligible, event.capacity - places_taken(session, event_id)))
    result.invited, result.over_capacity = room, eligible - room
    if room:
        chosen = (sa.select(Client.id.label("client_id")).where(in_scope, ~invited_already,
                                                                ~closed)
                  .order_by(Client.code).limit(room).subquery())
        audit.record_each(session, action=AuditAction.invite.value, entity="client",
                          ids=chosen.c.client_id, actor=actor, now=now,
                          changes=sql.json_object_of("event_id", sa.literal(event_id),
                                                     "scope", sa.literal(scope_label)),
                          source=chosen)
        session.execute(sa.insert(EventAttendance).from_select(
            ["event_id", "client_id", "status", "version_id"],
            sa.select(sa.literal(event_id), chosen.c.client_id,
                      sa.literal(AttendanceStatus.invited.value), sa.literal(1))))
    audit.record(session, action=AuditAction.invite.value, entity="event", entity_id=event_id,
                 actor=actor, now=now, changes={"scope": scope_label, **asdict(result)})
    session.flush()
    return result


def invite_summary(result: InviteResult) -> str:
    """"Invited: 12; 5 not invited: 3 already invited, 1 closed account, 1 over capacity"."""
    text: str = _("Invited: %(count)s", count=format_number(result.invited))
    skipped = result.already_invited + result.closed_accounts + result.over_capacity
    if not skipped:
        return text
    reasons = [
        _("%(n)s already invited", n=format_number(result.already_invited))
        if result.already_invited else None,
        _("%(n)s closed accounts", n=format_number(result.closed_accounts))
        if result.closed_accounts else None,
        _("%(n)s refused: the event is full", n=format_number(result.over_capacity))
        if result.over_capacity else None,
    ]
    return str(_("%(done)s; %(skipped)s not invited: %(reasons)s", done=text,
                 skipped=format_number(skipped),
                 reasons=_(", ").join(reason for reason in reasons if reason)))


# --- the event's evaluation (效果评估) --------------------------------------------------

FEEDBACK_SHOWN = 10  # the latest feedback texts on the event's page


@dataclass
class Evaluation:
    invited: int = 0      # on the list, not (yet) registered
    registered: int = 0   # registered, the day not yet come
    attended: int = 0
    no_show: int = 0
    mean_feedback: float | None = None
    budget: Any = None
    feedback: list[tuple[str, int | None, str]] | None = None  # client, score, text

    @property
    def signed_up(self) -> int:
        """Everyone who registered: those still registered, who came and who didn't."""
        return self.registered + self.attended + self.no_show

    @property
    def attendance_rate(self) -> float | None:
        """Attended / registered (None before anyone registered)."""
        return self.attended / self.signed_up if self.signed_up else None

    @property
    def cost_per_attendee(self) -> Any:
        """Budget / attended (None without a budget or before anyone attended)."""
        return self.budget / self.attended if self.budget is not None and self.attended \
            else None


def evaluation(session: Session, event_id: int) -> Evaluation:
    """The event's figures in one aggregate query, and its latest feedback texts."""
    status, score = EventAttendance.status, EventAttendance.feedback_score
    row = session.execute(
        sa.select(sa.func.count().filter(status == AttendanceStatus.invited),
                  sa.func.count().filter(status == AttendanceStatus.registered),
                  sa.func.count().filter(status == AttendanceStatus.attended),
                  sa.func.count().filter(status == AttendanceStatus.no_show),
                  sa.func.avg(score))
        .where(EventAttendance.event_id == event_id)).one()
    invited, registered, attended, no_show = (int(n or 0) for n in row[:4])
    found = Evaluation(invited=invited, registered=registered, attended=attended,
                       no_show=no_show,
                       mean_feedback=float(row[4]) if row[4] is not None else None,
                       budget=session.scalar(sa.select(Event.budget).where(
                           Event.id == event_id)))
    texts = session.execute(
        sa.select(Client, score, EventAttendance.feedback_text)
        .join(EventAttendance, EventAttendance.client_id == Client.id)
        .where(EventAttendance.event_id == event_id,
               EventAttendance.feedback_text.is_not(None),
               sa.func.trim(EventAttendance.feedback_text) != "")
        .order_by(EventAttendance.id.desc()).limit(FEEDBACK_SHOWN)).all()
    found.feedback = [(str(client), points, text) for client, points, text in texts]
    return found


# --- the attendance table: many rows' status at once (check-in on the day) --------------

SETTABLE = (AttendanceStatus.registered, AttendanceStatus.attended, AttendanceStatus.no_show)
ATTENDEES_PAGE = 50


@dataclass
class StatusResult:
    changed: int = 0
    changed_meanwhile: int = 0  # saved by someone else since the page was drawn


def set_status(session: Session, event_id: int, seen: dict[int, int],
               status: AttendanceStatus, *, actor: User | None = None,
               now: datetime | None = None) -> StatusResult:
    """Give the rows ``seen`` ({attendance id: the version the page showed}) of the event
    the status ``status``, each only if no one saved it since: one conditional UPDATE,
    an audit entry per row changed. A cancelled event's rows are not changed."""
    now = now or utcnow()
    event = hold(session, event_id)
    if event is None or event.status == EventStatus.cancelled:
        raise EventError(str(EVENT_CLOSED))
    if not seen:
        return StatusResult()
    same = sa.or_(*(sa.and_(EventAttendance.id == key, EventAttendance.version_id == version)
                    for key, version in seen.items()))
    rows = (sa.select(EventAttendance.id.label("attendance_id"),
                      EventAttendance.status.label("before"))
            .where(EventAttendance.event_id == event_id, same,
                   EventAttendance.status != status).subquery())
    audit.record_each(session, action=AuditAction.update.value, entity="event_attendance",
                      ids=rows.c.attendance_id, actor=actor, now=now, source=rows,
                      changes=sql.json_object_of("status", sql.json_array_of(
                          rows.c.before, sa.literal(status.value))))
    matching = session.scalar(sa.select(sa.func.count()).select_from(EventAttendance).where(
        EventAttendance.event_id == event_id, same)) or 0
    changed = session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0
    session.execute(
        sa.update(EventAttendance)
        .where(EventAttendance.id.in_(sa.select(rows.c.attendance_id)))
        .values(status=status, version_id=EventAttendance.version_id + 1)
        .execution_options(synchronize_session=False))
    session.flush()
    return StatusResult(changed=int(changed), changed_meanwhile=len(seen) - int(matching))


def figures_of(session: Session, event_ids: list[int]) -> dict[int, Evaluation]:
    """The evaluation figures of many events (a list's page) in one grouped query."""
    if not event_ids:
        return {}
    status, score = EventAttendance.status, EventAttendance.feedback_score
    rows = session.execute(
        sa.select(EventAttendance.event_id,
                  sa.func.count().filter(status == AttendanceStatus.invited),
                  sa.func.count().filter(status == AttendanceStatus.registered),
                  sa.func.count().filter(status == AttendanceStatus.attended),
                  sa.func.count().filter(status == AttendanceStatus.no_show),
                  sa.func.avg(score))
        .where(EventAttendance.event_id.in_(event_ids))
        .group_by(EventAttendance.event_id)).all()
    found = {event_id: Evaluation() for event_id in event_ids}
    for event_id, invited, registered, attended, no_show, mean in rows:
        found[event_id] = Evaluation(invited=invited, registered=registered,
                                     attended=attended, no_show=no_show,
                                     mean_feedback=float(mean) if mean is not None else None)
    return found
