"""The complaint workflow: the transitions table, required fields, deadlines, references,
bulk transitions, the assignee rule, races and reopening."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app.enums import ComplaintStatus, Severity
from admin_app.extensions import db
from admin_app.models import AuditEntry, Complaint, ServiceLevel, User
from admin_app.services import complaints as svc

from . import factories

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
READY = {  # what each state needs to have been reached properly
    "received": {},
    "assessing": {},
    "investigating": {"severity": "high", "department": "Service", "assignee": "staff"},
    "resolving": {"severity": "high", "department": "Service", "assignee": "staff",
                  "findings": "Wrong fee table"},
    "closed": {"severity": "high", "department": "Service", "assignee": "staff",
               "findings": "Wrong fee table", "resolution": "Refunded", "root_cause": "Config"},
}

CLOSABLE = {"resolution": "Refunded", "root_cause": "Config"}


@pytest.fixture
def make(session, users):
    """``make("resolving")``: a complaint of one client that reached ``status`` properly."""
    client = factories.client(session)

    def _make(status="received", **fields):
        values = dict(READY[status])
        values.update(fields)
        assignee = values.pop("assignee", None)
        return factories.complaint(session, client=client, received_at=RECEIVED, status=status,
                                   assignee_id=users[assignee] if assignee else None,
                                   closed_at=NOW if status == "closed" else None, **values)

    return _make


def actor(session, users, role="supervisor"):
    return session.get(User, users[role])


ALLOWED = {(t.source, t.target) for t in svc.TRANSITIONS}


@pytest.mark.parametrize("transition", svc.TRANSITIONS, ids=lambda t: t.name)
def test_every_allowed_transition(session, users, make, transition):
    complaint = make(transition.source.value, **READY[transition.target.value])
    svc.perform(session, complaint, transition.name, actor=actor(session, users), now=NOW,
                note="reason given")
    assert complaint.status == transition.target
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "transition"))
    assert entry.changes["from"] == transition.source.value
    assert entry.changes["to"] == transition.target.value


@pytest.mark.parametrize(("source", "step"), [
    (s, t.name) for s, t in product(ComplaintStatus, svc.TRANSITIONS) if t.source != s])
def test_every_forbidden_pair_is_refused_and_changes_nothing(session, users, make, source, step):
    complaint = make(source.value)
    with pytest.raises(svc.TransitionError):
        svc.perform(session, complaint, step, actor=actor(session, users), now=NOW, note="n")
    assert complaint.status == source
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "transition")) == 0


def test_no_transition_skips_a_state():
    pairs = {(t.source, t.target) for t in svc.TRANSITIONS}
    assert (ComplaintStatus.received, ComplaintStatus.closed) not in pairs
    assert (ComplaintStatus.assessing, ComplaintStatus.resolving) not in pairs


@pytest.mark.parametrize(("step", "status", "blank", "words"), [
    ("investigate", "assessing", "severity", "severity"),
    ("investigate", "assessing", "department", "responsible department"),
    ("investigate", "assessing", "assignee", "assignee"),
    ("resolve", "investigating", "findings", "findings"),
    ("close", "resolving", "resolution", "resolution"),
    ("close", "resolving", "root_cause", "root cause"),
])
def test_required_fields_are_named(session, users, make, step, status, blank, words):
    values = dict(READY[{"investigate": "investigating", "resolve": "resolving",
                         "close": "closed"}[step]])
    values[blank] = None
    values.pop("resolution" if status != "resolving" else "__", None)
    complaint = make(status, **{k: v for k, v in values.items()
                                if k in ("severity", "department", "assignee", "findings",
                                         "resolution", "root_cause")})
    with pytest.raises(svc.TransitionError) as refused:
        svc.perform(session, complaint, step, actor=actor(session, users), now=NOW)
    assert words in str(refused.value)
    assert complaint.reference in str(refused.value)
    assert complaint.status == status


@pytest.mark.parametrize(("severity", "days"), [("critical", 1), ("high", 3), ("medium", 7),
                                                ("low", 15)])
def test_deadline_follows_severity(session, users, make, severity, days):
    complaint = make("assessing", severity=severity, department="Ops", assignee="staff")
    svc.perform(session, complaint, "investigate", actor=actor(session, users), now=NOW)
    assert complaint.due_at == RECEIVED + timedelta(days=days)


def test_service_levels_are_configurable(session, users, make):
    level = session.scalar(sa.select(ServiceLevel).where(ServiceLevel.severity == Severity.high))
    level.days = 2
    session.flush()
    complaint = make("assessing", severity="high", department="Ops", assignee="staff")
    svc.perform(session, complaint, "investigate", actor=actor(session, users), now=NOW)
    assert complaint.due_at == RECEIVED + timedelta(days=2)


def test_close_records_who_when_satisfaction_and_breach(session, users, make):
    complaint = make("resolving", due_at=RECEIVED + timedelta(days=1), **CLOSABLE)
    svc.perform(session, complaint, "close", actor=actor(session, users), now=NOW,
                satisfaction=4)
    assert (complaint.closed_at, complaint.closed_by_id, complaint.satisfaction) == \
        (NOW, users["supervisor"], 4)
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "transition"))
    assert entry.changes["breached"] is True
    assert entry.changes["open_hours"] == 52.0


def test_close_twice_says_already_closed(session, users, make):
    complaint = make("closed")
    with pytest.raises(svc.TransitionError, match="already closed"):
        svc.perform(session, complaint, "close", actor=actor(session, users), now=NOW)


def test_reopen_needs_reason_and_counts(session, users, make):
    complaint = make("closed")
    with pytest.raises(svc.TransitionError, match="reason"):
        svc.perform(session, complaint, "reopen", actor=actor(session, users), now=NOW)
    svc.perform(session, complaint, "reopen", actor=actor(session, users), now=NOW,
                note="Client called again")
    assert complaint.status == "investigating"
    assert complaint.reopened_count == 1 and complaint.closed_at is None
    assert svc.timeline(session, complaint)[-1].changes["note"] == "Client called again"


def test_overdue(session, make):
    late = make("investigating", due_at=NOW - timedelta(hours=1))
    on_time = make("investigating", due_at=NOW + timedelta(hours=1))
    closed_late = make("closed", due_at=NOW - timedelta(days=1))
    assert svc.is_overdue(late, NOW) and not svc.is_overdue(on_time, NOW)
    assert not svc.is_overdue(closed_late, NOW)
    ids = set(session.scalars(sa.select(Complaint.id).where(svc.overdue_criterion(NOW))))
    assert ids == {late.id}


def test_bulk_close_mixed_ready_and_not(session, users, make):
    ready = [make("resolving", **CLOSABLE) for _ in range(3)]
    no_resolution = make("resolving", root_cause="Config")
    already = make("closed")
    result = svc.perform_many(session, [c.id for c in [*ready, no_resolution, already]],
                              "close", actor=actor(session, users), now=NOW)
    assert sorted(result.done) == sorted(c.reference for c in ready)
    refused = dict(result.refused)
    assert refused[no_resolution.reference] == f"{no_resolution.reference} has no resolution."
    assert "already closed" in refused[already.reference]
    assert no_resolution.status == "resolving"


def test_bulk_close_assignee_rule(session, users, make):
    mine = make("resolving", **{**CLOSABLE, "assignee": "staff"})
    theirs = make("resolving", **{**CLOSABLE, "assignee": "supervisor"})
    result = svc.perform_many(session, [mine.id, theirs.id], "close",
                              actor=actor(session, users, "staff"), now=NOW,
                              permitted=sa.select(Complaint.id).where(
                                  Complaint.assignee_id == users["staff"]))
    assert result.done == [mine.reference]
    assert "not assigned to you" in dict(result.refused)[theirs.reference]


def test_references_are_sequential_per_year(session, make):
    make("received")  # CP-2026-000001 exists
    assert svc.next_reference(session, now=NOW) == "CP-2026-000002"
    assert svc.next_reference(session, now=NOW) == "CP-2026-000003"
    assert svc.next_reference(session, now=NOW.replace(year=2027)) == "CP-2027-000001"


def test_concurrent_references_are_unique(app, is_postgres, users):
    if not is_postgres:
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serialises writers)")
    with app.app_context():
        engine = db.engine
        client_id = factories.client(db.session).id
        db.session.commit()
    barrier = threading.Barrier(8)
    references, errors = [], []

    def register() -> None:
        try:
            with Session(engine) as session:
                barrier.wait()
                reference = svc.next_reference(session, now=NOW)
                factories.complaint(session, reference=reference, client_id=client_id,
                                    received_at=NOW)
                session.commit()
                references.append(reference)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(references) == [f"CP-2026-{n:06d}" for n in range(1, 9)]


def test_double_close_race_closes_once(app, users):
    with app.app_context():
        complaint = factories.complaint(db.session, received_at=RECEIVED, status="resolving",
                                        resolution="r", root_cause="c")
        db.session.commit()
        complaint_id = complaint.id
        engine = db.engine
    with Session(engine) as first, Session(engine) as second:
        mine = first.get(Complaint, complaint_id)
        theirs = second.get(Complaint, complaint_id)
        svc.perform(first, mine, "close", actor=None, now=NOW)
        first.commit()
        result = svc.perform_many(second, [theirs.id], "close", actor=None, now=NOW)
        second.commit()
    assert result.done == []
    assert "already closed" in result.refused[0][1] or "at the same time" in result.refused[0][1]
    with app.app_context():
        closes = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "transition"))
        assert closes == 1
