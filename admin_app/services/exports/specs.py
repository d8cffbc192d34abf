"""Which columns each list exports: one column set per record type, used by the screens
and the CLI alike, with the kind of each cell (how it is rendered) beside it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ...enums import AttendanceStatus, AuditAction, LabelledEnum, RecordType
from ...labels import COLUMN_LABELS
from ...models import AuditEntry, Client, Complaint, Event, EventAttendance, User, Visit, enum_type


class Kind(StrEnum):
    """How a column's value becomes a cell (``render.Render.CELLS`` has one per kind)."""

    text = "text"  # free text: masked where the role must not see it, neutralised
    # An ID, phone number or code: text like ``text``, however much it looks like a number
    # (``render.Render.identifier``: a spreadsheet must not drop its leading zeros or digits).
    identifier = "identifier"
    number = "number"  # a number cell (money keeps two decimals)
    datetime = "datetime"  # a UTC time stamp, shown in the user's zone
    date = "date"
    bool = "bool"  # Yes / No in the user's language
    label = "label"  # an enumeration stored by its code, shown by its label
    tier = "tier"  # a tier id, shown by the tier's label


@dataclass(frozen=True)
class Column:
    key: str           # the label key, and the masking key
    expression: Any    # what to select
    kind: Kind = Kind.text


@dataclass(frozen=True)
class Spec:
    """What one list exports: its columns, over its model, plus the joins they need."""
    name: str
    model: Any  # a mapped class
    columns: tuple[Column, ...]
    joins: tuple[tuple[Any, Any], ...] = ()
    joins_add_rows: bool = False  # one line per joined row (events: one per attendance)


def coded(column: Any, codes: type[LabelledEnum]) -> Any:
    """A text column that holds ``codes``' codes, read as that enumeration: exported by
    their labels (``Kind.label``; a code no longer listed, as it is)."""
    return sa.type_coerce(column, enum_type(codes, codes.__name__.lower()))



def _event_figures() -> Any:
    """Per event: those who registered (registered, attended, no-show), those who came, and
    the mean feedback, in one grouped subquery the events export joins once."""
    row = aliased(EventAttendance, name="export_figures_row")
    signed_up = (AttendanceStatus.registered, AttendanceStatus.attended,
                 AttendanceStatus.no_show)
    return (sa.select(row.event_id.label("event_id"),
                      sa.func.count().filter(row.status.in_(signed_up)).label("signed_up"),
                      sa.func.count().filter(row.status == AttendanceStatus.attended)
                      .label("attended"),
                      sa.func.avg(row.feedback_score).label("mean_feedback"))
            .group_by(row.event_id).subquery("export_event_figures"))


def _specs() -> dict[str, Spec]:
    advisor = aliased(User, name="export_advisor")
    client = aliased(Client, name="export_client")
    staff = aliased(User, name="export_staff")
    organizer = aliased(User, name="export_organizer")
    assignee = aliased(User, name="export_assignee")
    actor = aliased(User, name="export_actor")
    attendance = aliased(EventAttendance, name="export_attendance")
    attendee = aliased(Client, name="export_attendee")
    person = sa.func.coalesce
    figures = _event_figures()
    return {
        "clients": Spec("clients", Client, (
            Column("code", Client.code, Kind.identifier), Column("name", Client.name),
            Column("kind", Client.kind, Kind.label),
            Column("status", Client.status, Kind.label),
            Column("tier", Client.tier_id, Kind.tier),
            Column("tier_locked", Client.tier_locked, Kind.bool),
            Column("gender", Client.gender, Kind.label),
            Column("birth_date", Client.birth_date, Kind.date),
            Column("phone", Client.phone, Kind.identifier), Column("email", Client.email),
            Column("id_number", Client.id_number, Kind.identifier),
            Column("address", Client.address),
            Column("occupation", Client.occupation),
            Column("risk_profile", Client.risk_profile, Kind.label),
            Column("assets", Client.assets, Kind.number),
            Column("annual_contribution", Client.annual_contribution, Kind.number),
            Column("trades_12m", Client.trades_12m, Kind.number),
            Column("advisor", person(advisor.full_name, advisor.username)),
            Column("last_callback_at", Client.last_callback_at, Kind.datetime),
            Column("next_callback_due", Client.next_callback_due, Kind.datetime),
            Column("created_at", Client.created_at, Kind.datetime),
        ), ((advisor, Client.advisor_id == advisor.id),)),
        "visits": Spec("visits", Visit, (
            Column("client.code", client.code, Kind.identifier),
            Column("client", client.name), Column("channel", Visit.channel, Kind.label),
            Column("purpose", Visit.purpose, Kind.label),
            Column("status", Visit.status, Kind.label),
            Column("scheduled_for", Visit.scheduled_for, Kind.datetime),
            Column("completed_at", Visit.completed_at, Kind.datetime),
            Column("staff", person(staff.full_name, staff.username)),
            Column("satisfaction", Visit.satisfaction, Kind.number),
            Column("summary", Visit.summary),
        ), ((client, Visit.client_id == client.id), (staff, Visit.staff_id == staff.id))),
        "events": Spec("events", Event, (
            Column("title", Event.title), Column("kind", Event.kind, Kind.label),
            Column("status", Event.status, Kind.label),
            Column("starts_at", Event.starts_at, Kind.datetime),
            Column("ends_at", Event.ends_at, Kind.datetime), Column("location", Event.location),
            Column("capacity", Event.capacity, Kind.number),
            Column("budget", Event.budget, Kind.number),
            Column("organizer", person(organizer.full_name, organizer.username)),
            # the event's evaluation, on each of its rows (services/events.py)
            Column("signed_up", sa.func.coalesce(figures.c.signed_up, 0), Kind.number),
            Column("attended_count", sa.func.coalesce(figures.c.attended, 0), Kind.number),
            Column("attendance_rate", sa.cast(figures.c.attended, sa.Float) / sa.func.nullif(
                figures.c.signed_up, 0), Kind.number),
            Column("mean_feedback", figures.c.mean_feedback, Kind.number),
            Column("client.code", attendee.code, Kind.identifier),
            Column("client", attendee.name),
            Column("attendance.status", attendance.status, Kind.label),
            Column("feedback_score", attendance.feedback_score, Kind.number),
            Column("feedback_text", attendance.feedback_text),
        ), ((organizer, Event.organizer_id == organizer.id),
            (figures, figures.c.event_id == Event.id),
            (attendance, attendance.event_id == Event.id),
            (attendee, attendance.client_id == attendee.id)), joins_add_rows=True),
        "complaints": Spec("complaints", Complaint, (
            Column("reference", Complaint.reference, Kind.identifier),
            Column("client.code", client.code, Kind.identifier),
            Column("client", client.name), Column("channel", Complaint.channel, Kind.label),
            Column("received_at", Complaint.received_at, Kind.datetime),
            Column("category", Complaint.category, Kind.label),
            Column("severity", Complaint.severity, Kind.label),
            Column("status", Complaint.status, Kind.label),
            Column("department", Complaint.department),
            Column("assignee", person(assignee.full_name, assignee.username)),
            Column("due_at", Complaint.due_at, Kind.datetime),
            Column("description", Complaint.description), Column("findings", Complaint.findings),
            Column("resolution", Complaint.resolution), Column("root_cause", Complaint.root_cause),
            Column("satisfaction", Complaint.satisfaction, Kind.number),
            Column("closed_at", Complaint.closed_at, Kind.datetime),
            Column("reopened_count", Complaint.reopened_count, Kind.number),
        ), ((client, Complaint.client_id == client.id),
            (assignee, Complaint.assignee_id == assignee.id))),
        "audit": Spec("audit", AuditEntry, (
            Column("at", AuditEntry.at, Kind.datetime),
            Column("user", person(actor.full_name, actor.username)),
            Column("action", coded(AuditEntry.action, AuditAction), Kind.label),
            Column("entity", coded(AuditEntry.entity, RecordType), Kind.label),
            Column("entity_id", AuditEntry.entity_id), Column("ip", AuditEntry.ip),
            Column("changes", sa.cast(AuditEntry.changes, sa.Text)),
        ), ((actor, AuditEntry.user_id == actor.id),)),
    }


SPECS = _specs()




def headers(spec: Spec) -> list[str]:
    return [str(COLUMN_LABELS.get(c.key, c.key)) for c in spec.columns]


# A spreadsheet column wide enough for a typical value of each kind (in characters).
KIND_WIDTHS = {Kind.text: 16, Kind.identifier: 20, Kind.number: 14, Kind.datetime: 17,
               Kind.date: 11, Kind.bool: 8, Kind.label: 12, Kind.tier: 10}


def widths(spec: Spec, header: list[str]) -> list[float]:
    """Column widths for a sheet: the kind's, or the header's when it is wider (a CJK
    character is two wide)."""
    def shown(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    return [float(max(KIND_WIDTHS[c.kind], shown(h) + 2))
            for c, h in zip(spec.columns, header, strict=True)]

