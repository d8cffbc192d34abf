"""A client's whole relationship with the firm, as the client's page shows it: the latest
few records of each kind about the client (visits, complaints, event invitations, tier
changes, audit entries), and how many there are in all.

Each kind is read with two queries on the index of its client column -- the rows, limited,
with what they show loaded alongside; and the count -- so the page costs the same for a
client with three visits as for one with thirty thousand, at any number of clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, joinedload

from ..enums import RecordType
from ..models import AuditEntry, Complaint, Event, EventAttendance, TierChange, Visit

LATEST = 10  # rows of each kind the page shows

T = TypeVar("T")


@dataclass(frozen=True)
class Latest(Generic[T]):
    """The newest ``rows`` (at most the limit asked for) of ``total`` in all."""

    rows: list[T]
    total: int

    @property
    def more(self) -> int:
        """How many are not shown."""
        return self.total - len(self.rows)


def _count(session: Session, model: Any, criterion: sa.ColumnElement[bool]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(criterion)) or 0


def latest_of(session: Session, query: sa.Select[tuple[T]], model: Any,
              criterion: sa.ColumnElement[bool], limit: int) -> Latest[T]:
    """The first ``limit`` rows of ``query`` that meet ``criterion``, and how many do."""
    rows = list(session.scalars(query.where(criterion).limit(limit)).unique())
    return Latest(rows, _count(session, model, criterion))


def visit_time() -> sa.ColumnElement[Any]:
    """When a visit happened, or is (or was) planned for: its completion, else its schedule."""
    return sa.func.coalesce(Visit.completed_at, Visit.scheduled_for)


def visits(session: Session, client_id: int, *, limit: int = LATEST) -> Latest[Visit]:
    """The latest first (by ``visit_time``: a visit planned for next week comes before last
    month's); a visit with neither time last."""
    query = (sa.select(Visit).options(joinedload(Visit.staff))
             .order_by(sa.nulls_last(visit_time().desc()), Visit.id.desc()))
    return latest_of(session, query, Visit, Visit.client_id == client_id, limit)


def complaints(session: Session, client_id: int, *, limit: int = LATEST) -> Latest[Complaint]:
    """The latest received first."""
    query = (sa.select(Complaint).options(joinedload(Complaint.assignee))
             .order_by(Complaint.received_at.desc(), Complaint.id.desc()))
    return latest_of(session, query, Complaint, Complaint.client_id == client_id, limit)


def attendances(session: Session, client_id: int, *,
                limit: int = LATEST) -> Latest[EventAttendance]:
    """The client's invitations, registrations and attendance with their feedback, the
    latest event first."""
    query = (sa.select(EventAttendance).join(EventAttendance.event)
             .options(contains_eager(EventAttendance.event))
             .order_by(Event.starts_at.desc(), EventAttendance.id.desc()))
    return latest_of(session, query, EventAttendance, EventAttendance.client_id == client_id,
                   limit)


def tier_changes(session: Session, client_id: int, *,
                 limit: int = LATEST) -> Latest[TierChange]:
    """The latest first."""
    query = (sa.select(TierChange)
             .options(joinedload(TierChange.from_tier), joinedload(TierChange.to_tier),
                      joinedload(TierChange.changed_by))
             .order_by(TierChange.changed_at.desc(), TierChange.id.desc()))
    return latest_of(session, query, TierChange, TierChange.client_id == client_id, limit)


def audit_criterion(client_id: int) -> sa.ColumnElement[bool]:
    """The audit entries about the client record itself (on the (entity, entity_id) index)."""
    return sa.and_(AuditEntry.entity == RecordType.client.value,
                   AuditEntry.entity_id == str(client_id))


def audit_entries(session: Session, client_id: int, *,
                  limit: int = LATEST) -> Latest[AuditEntry]:
    """The latest first."""
    query = (sa.select(AuditEntry).options(joinedload(AuditEntry.user))
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    return latest_of(session, query, AuditEntry, audit_criterion(client_id), limit)
