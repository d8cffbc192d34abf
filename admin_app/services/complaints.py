"""Complaint handling: the workflow as a table of transitions and one function that
performs them, service-level deadlines, reference numbers, bulk transitions with a
per-complaint report, and the analysis figures.

received → assessing → investigating → resolving → closed, and closed → investigating
again (reopen). Each transition names what the target state needs and the capability
(a column of the permission matrix in ``permissions.py``) that may perform it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import sql
from ..enums import Capability, ComplaintStatus, DayCount, Severity
from ..models import AuditEntry, Complaint, ReferenceCounter, ServiceLevel, User, utcnow
from . import audit, workdays

S = ComplaintStatus
DEFAULT_SERVICE_LEVELS = {Severity.critical: 1, Severity.high: 3, Severity.medium: 7,
                          Severity.low: 15}
REFERENCE_FORMAT = "CP-{year}-{number:06d}"

# What a state needs, named for the person who must supply it.
FIELD_NAMES = {
    "severity": _l("severity"),
    "department": _l("responsible department"),
    "assignee_id": _l("assignee"),
    "findings": _l("findings"),
    "resolution": _l("resolution"),
    "root_cause": _l("root cause"),
}


@dataclass(frozen=True)
class Transition:
    name: str
    source: ComplaintStatus
    target: ComplaintStatus
    label: Any
    requires: tuple[str, ...] = ()
    capability: Capability = Capability.edit
    needs_note: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("assess", S.received, S.assessing, _l("Start assessment")),
    Transition("investigate", S.assessing, S.investigating, _l("Start investigation"),
               ("severity", "department", "assignee_id")),
    Transition("resolve", S.investigating, S.resolving, _l("Start resolving"), ("findings",)),
    Transition("close", S.resolving, S.closed, _l("Close complaint"),
               ("resolution", "root_cause"), capability=Capability.close),
    Transition("reopen", S.closed, S.investigating, _l("Reopen"), capability=Capability.reopen,
               needs_note=True),
)
BY_NAME = {t.name: t for t in TRANSITIONS}


class TransitionError(ValueError):
    """A refused transition; the message (translated) names the complaint and the reason."""


def transitions_from(status: ComplaintStatus | str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == S(status)]


def missing(complaint: Complaint, transition: Transition) -> list[str]:
    """The fields the target state needs that the complaint lacks."""
    return [name for name in transition.requires
            if getattr(complaint, name) in (None, "") or
            (isinstance(getattr(complaint, name), str) and not getattr(complaint, name).strip())]


@dataclass(frozen=True)
class Level:
    """A severity's service level: ``days`` to resolve, counted as ``counted_in``."""

    days: int
    counted_in: DayCount = DayCount.calendar

    def due(self, start: datetime, zone: tzinfo | None = None) -> datetime:
        """The deadline of a complaint whose clock starts at ``start``: ``days`` times 24
        hours later, or ``days`` working days later (``workdays.add_working_days``; dates
        in ``zone``, by default the firm's)."""
        if self.counted_in == DayCount.working:
            return workdays.add_working_days(start, self.days, zone)
        return start + timedelta(days=self.days)


def service_levels(session: Session) -> dict[Severity, Level]:
    """Each severity's level as configured; calendar-day defaults for one not stored."""
    stored = {severity: Level(days, DayCount(counted_in)) for severity, days, counted_in in
              session.execute(sa.select(ServiceLevel.severity, ServiceLevel.days,
                                        ServiceLevel.counted_in))}
    return {severity: stored.get(severity, Level(days))
            for severity, days in DEFAULT_SERVICE_LEVELS.items()}


def deadline(session: Session, complaint: Complaint,
             start: datetime | None = None) -> datetime | None:
    """The severity's service level counted from ``start`` (by default the receipt)."""
    if complaint.severity is None:
        return None
    begins = start if start is not None else complaint.received_at
    return service_levels(session)[Severity(complaint.severity)].due(begins)


def counted_from(session: Session, complaint: Complaint) -> datetime:
    """Where the complaint's deadline runs from: its receipt, or its last reopening (the
    reopen step in its timeline; the receipt when none was recorded)."""
    if complaint.reopened_count:
        for entry in reversed(timeline(session, complaint)):
            if (entry.changes or {}).get("step") == "reopen":
                return entry.at
    return complaint.received_at


def reassess_deadline(session: Session, complaint: Complaint) -> None:
    """Before a registration or an edit is saved: an open complaint with a severity has a
    deadline from the moment it is known, counted from receipt. A change of severity
    counts the new level again from the same start (a reopened complaint's from its
    reopening); a changed receipt time moves it along."""
    if complaint.status == S.closed or complaint.severity is None:
        return
    state: Any = sa.inspect(complaint)
    severity = state.attrs.severity.history
    if complaint.due_at is None or (state.attrs.received_at.history.has_changes()
                                    and not complaint.reopened_count):
        complaint.due_at = deadline(session, complaint)
    elif severity.has_changes() and severity.deleted and severity.deleted[0] is not None:
        complaint.due_at = deadline(session, complaint,
                                    start=counted_from(session, complaint))


# Open and overdue: one rule each, as a SQL criterion (lists, filters, the dashboard) and
# as a check of one loaded complaint (the list's badge); tests hold the two in step.


def open_criterion() -> sa.ColumnElement[bool]:
    return Complaint.status != S.closed


def overdue_criterion(now: datetime) -> sa.ColumnElement[bool]:
    """Open complaints whose deadline passed before ``now``."""
    return sa.and_(open_criterion(), Complaint.due_at < now)


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    """``overdue_criterion`` for one complaint already loaded."""
    return complaint.status != S.closed and complaint.due_at is not None and \
        complaint.due_at < now


def perform(
    session: Session,
    complaint: Complaint,
    name: str,
    *,
    actor: User | None,
    now: datetime | None = None,
    note: str | None = None,
    satisfaction: int | None = None,
) -> Transition:
    """Move ``complaint`` along transition ``name`` or raise TransitionError, changing
    nothing. Flushes (so a concurrent change surfaces here as StaleDataError)."""
    now = now or utcnow()
    transition = BY_NAME.get(name)
    if transition is None:
        raise TransitionError(_l("Unknown step."))
    status = S(complaint.status)
    if status != transition.source:
        if transition.target == status == S.closed:
            raise TransitionError(_l("%(ref)s is already closed.", ref=complaint.reference))
        raise TransitionError(_l("%(ref)s is %(status)s: “%(step)s” is not possible now.",
                                 ref=complaint.reference, status=status.label,
                                 step=transition.label))
    lacking = missing(complaint, transition)
    if lacking:
        raise TransitionError(_l("%(ref)s has no %(fields)s.", ref=complaint.reference,
                                 fields=", ".join(str(FIELD_NAMES[f]) for f in lacking)))
    note = (note or "").strip() or None
    if transition.needs_note and not note:
        raise TransitionError(_l("Give a reason to reopen %(ref)s.", ref=complaint.reference))
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise TransitionError(_l("Choose a score from 1 to 5."))

    details: dict[str, Any] = {}
    if transition.name == "investigate":
        complaint.due_at = complaint.due_at or deadline(session, complaint)
        details["due_at"] = audit.jsonable(complaint.due_at)
    elif transition.name == "close":
        complaint.closed_at = now
        complaint.closed_by_id = actor.id if actor is not None else None
        complaint.satisfaction = satisfaction
        details["open_hours"] = round((now - complaint.received_at).total_seconds() / 3600, 2)
        details["breached"] = complaint.due_at is not None and now > complaint.due_at
        details["satisfaction"] = satisfaction
    elif transition.name == "reopen":  # a fresh deadline from the reopening
        complaint.due_at = deadline(session, complaint, start=now)
        details["due_at"] = audit.jsonable(complaint.due_at)
        complaint.reopened_count += 1
        complaint.closed_at = None
        complaint.closed_by_id = None
        complaint.satisfaction = None
    complaint.status = transition.target
    session.flush()
    audit.record(session, action="transition", entity="complaint", entity_id=complaint.id,
                 actor=actor, now=now,
                 changes={"step": transition.name, "from": status.value,
                          "to": transition.target.value, "note": note, **details})
    return transition


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def perform_many(
    session: Session,
    complaint_ids: Iterable[int] | sa.Select[Any],
    name: str,
    *,
    actor: User | None,
    now: datetime | None = None,
    note: str | None = None,
    satisfaction: int | None = None,
    permitted: sa.Select[Any] | None = None,
) -> BulkResult:
    """Apply one transition to many complaints, each on its own: the ready ones move, each
    refused one is reported with its reason. ``permitted`` selects the ids the actor may
    move (the screen's row restriction, e.g. staff close only their own); the others are
    refused as not theirs."""
    now = now or utcnow()
    result = BulkResult()
    ids = complaint_ids if isinstance(complaint_ids, sa.Select) else list(complaint_ids)
    query = sa.select(Complaint).where(Complaint.id.in_(ids)).order_by(Complaint.reference)
    allowed = None if permitted is None else set(session.scalars(
        permitted.where(Complaint.id.in_(ids))))
    for complaint in session.scalars(query).all():
        if allowed is not None and complaint.id not in allowed:
            result.refused.append((complaint.reference, str(_l(
                "%(ref)s is not assigned to you.", ref=complaint.reference))))
            continue
        try:
            with session.begin_nested():
                perform(session, complaint, name, actor=actor, now=now, note=note,
                        satisfaction=satisfaction)
        except TransitionError as refused:
            result.refused.append((complaint.reference, str(refused)))
        except StaleDataError:
            session.expire(complaint)
            result.refused.append((complaint.reference, str(_l(
                "%(ref)s was changed by someone else at the same time; reload and check it.",
                ref=complaint.reference))))
        else:
            result.done.append(complaint.reference)
    return result


def timeline(session: Session, complaint: Complaint) -> list[AuditEntry]:
    """Every transition of ``complaint`` in order, with who, when and the note."""
    return list(session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "complaint", AuditEntry.entity_id == str(complaint.id),
               AuditEntry.action == "transition")
        .order_by(AuditEntry.at, AuditEntry.id)))


def next_reference(session: Session, *, now: datetime | None = None) -> str:
    """The next ``CP-YYYY-NNNNNN``, taken from a per-year counter row that is incremented
    atomically, so two complaints registered at the same moment never share a number."""
    year = (now or utcnow()).year
    prefix = f"CP-{year}-"
    with session.no_autoflush:  # the caller's new complaint has no reference yet
        highest = sa.select(sa.func.coalesce(sa.func.max(
            sa.cast(sa.func.substr(Complaint.reference, len(prefix) + 1), sa.Integer)), 0)
        ).where(Complaint.reference.regexp_match(rf"^CP-{year}-[0-9]{{6}}$")).scalar_subquery()
        session.execute(sql.insert_ignoring_conflicts(
            session, ReferenceCounter, {"year": year, "last_number": highest}, ["year"]))
        number = session.scalar(
            sa.update(ReferenceCounter).where(ReferenceCounter.year == year)
            .values(last_number=ReferenceCounter.last_number + 1)
            .returning(ReferenceCounter.last_number))
    return REFERENCE_FORMAT.format(year=year, number=number)


# --- analysis --------------------------------------------------------------------------


_PARTS = {"month": sql.month_text, "weekday": sql.weekday, "hour": sql.hour_of_day}


def per_category_month(session: Session) -> list[tuple[str, str, int]]:
    """(month 'YYYY-MM', category code, complaints received) ordered by month, category."""
    month = sql.month_text(Complaint.received_at).label("month")
    rows = session.execute(sa.select(month, Complaint.category, sa.func.count())
                           .group_by(month, Complaint.category)
                           .order_by(month, Complaint.category)).all()
    return [(m, c.value, n) for m, c, n in rows]


@dataclass
class HandlingFigures:
    closed: int
    mean_hours: float | None
    p90_hours: float | None
    breach_rate: float | None
    mean_satisfaction: float | None


def handling(session: Session) -> HandlingFigures:
    """Over closed complaints: mean and 90th-percentile hours open (linear interpolation,
    as PostgreSQL's percentile_cont), share closed after their deadline, mean handling
    satisfaction."""
    hours = sql.hours_between(Complaint.received_at, Complaint.closed_at)
    closed = Complaint.status == S.closed
    count, mean, breached, with_due, satisfaction = session.execute(sa.select(
        sa.func.count(), sa.func.avg(hours),
        sa.func.count().filter(Complaint.closed_at > Complaint.due_at),
        sa.func.count(Complaint.due_at), sa.func.avg(Complaint.satisfaction),
    ).where(closed)).one()
    p90 = None
    if count:
        # Linear interpolation between the two nearest ranks, as percentile_cont does:
        # two rows read by position, the same on every engine.
        position = 0.9 * (count - 1)
        low = int(position)
        pair = session.scalars(sa.select(hours).where(closed).order_by(hours)
                               .offset(low).limit(2)).all()
        p90 = pair[0] + (pair[-1] - pair[0]) * (position - low)
    return HandlingFigures(
        closed=count,
        mean_hours=float(mean) if mean is not None else None,
        p90_hours=float(p90) if p90 is not None else None,
        breach_rate=breached / with_due if with_due else None,
        mean_satisfaction=float(satisfaction) if satisfaction is not None else None,
    )


def peaks(session: Session) -> dict[str, int | None]:
    """The weekday (0 = Sunday) and the hour (UTC) at which most complaints arrive."""
    found: dict[str, int | None] = {}
    for part in ("weekday", "hour"):
        value = _PARTS[part](Complaint.received_at).label(part)
        row = session.execute(sa.select(value, sa.func.count().label("n")).group_by(value)
                              .order_by(sa.desc("n"), value).limit(1)).first()
        found[part] = row[0] if row else None
    return found
