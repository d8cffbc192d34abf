"""Rules that used to live in views, now services over a session (issue 11, item 6):
deadline re-assessment, a password reset lifting a lock-out, one overdue rule per record
type, and the recalculation summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from admin_app.models import Client, Complaint, LoginLock, Tier, User
from admin_app.services import accounts, callbacks, complaints, dashboard, messages
from admin_app.services.tiers import RecalcResult

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def client(session) -> Client:
    row = Client(code="K1", name="张伟", kind="individual", status="active")
    session.add(row)
    session.flush()
    return row


def complaint(session, client, n: int, **values) -> Complaint:
    row = Complaint(reference=f"CP-2026-{n:06d}", client_id=client.id, channel="email",
                    category="fees", description="d", received_at=RECEIVED, **values)
    session.add(row)
    session.flush()
    return row


def test_a_new_severity_moves_the_deadline_of_an_assessed_complaint(session, client):
    row = complaint(session, client, 1, status="investigating", severity="high",
                    due_at=RECEIVED + timedelta(days=3))
    row.severity = "critical"
    complaints.reassess_deadline(session, row)
    assert row.due_at == RECEIVED + timedelta(days=1)


@pytest.mark.parametrize("values", [
    {"status": "received", "severity": "high"},                          # not assessed yet
    {"status": "investigating", "severity": "high", "due_at": None},     # no deadline set
])
def test_a_known_severity_gives_a_deadline_from_receipt(session, client, values):
    """A critical complaint is overdue a day after it arrived, whether or not anyone has
    started on it (issue 12): the deadline runs from receipt."""
    row = complaint(session, client, 1, **values)
    row.severity = "critical"
    complaints.reassess_deadline(session, row)
    assert row.due_at == RECEIVED + timedelta(days=1)


def test_no_severity_no_deadline_and_closed_ones_keep_theirs(session, client):
    row = complaint(session, client, 1, status="received")
    complaints.reassess_deadline(session, row)
    assert row.due_at is None
    closed = complaint(session, client, 2, status="closed", severity="low",
                       due_at=RECEIVED + timedelta(days=15), resolution="r", root_cause="c",
                       closed_at=RECEIVED + timedelta(days=2))
    closed.severity = "critical"
    complaints.reassess_deadline(session, closed)
    assert closed.due_at == RECEIVED + timedelta(days=15)


def test_a_reopened_complaint_gets_a_fresh_deadline(session, client):
    row = complaint(session, client, 1, status="closed", severity="high",
                    due_at=RECEIVED + timedelta(days=3), resolution="r", root_cause="c",
                    closed_at=RECEIVED + timedelta(days=2))
    reopened_at = RECEIVED + timedelta(days=40)
    complaints.perform(session, row, "reopen", actor=None, note="client called again",
                       now=reopened_at)
    assert row.due_at == reopened_at + timedelta(days=3)
    assert not complaints.is_overdue(row, reopened_at + timedelta(days=1))
    row.severity = "critical"  # and a new severity moves it from there
    complaints.reassess_deadline(session, row)
    assert row.due_at == reopened_at + timedelta(days=1)


def test_an_unchanged_severity_keeps_the_deadline(session, client):
    row = complaint(session, client, 1, status="investigating", severity="high",
                    due_at=RECEIVED + timedelta(days=10))  # set by hand
    row.department = "Client Service"
    complaints.reassess_deadline(session, row)
    assert row.due_at == RECEIVED + timedelta(days=10)


def test_a_password_reset_lifts_the_lock_out(session, users):
    user = session.get(User, users["staff"])
    for source in ("10.0.0.1", "10.0.0.2"):
        session.add(LoginLock(user_id=user.id, source=source, failures=0,
                              locked_until=NOW + timedelta(minutes=10)))
    session.flush()
    accounts.reset_password(session, user, "a-new-passw0rd")
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginLock)) == 0
    assert user.check_password("a-new-passw0rd")


def test_a_reset_password_must_meet_the_policy(session, users):
    with pytest.raises(accounts.AccountError):
        accounts.reset_password(session, session.get(User, users["staff"]), "short")


def test_callback_overdue_rule_agrees_in_sql_and_on_a_record(session):
    gold = session.scalar(sa.select(Tier).where(Tier.code == "gold"))
    schedules = [  # (anchor, set date): by a set date, by the cadence, or not due
        (None, NOW - timedelta(hours=1)), (None, NOW + timedelta(hours=1)),
        (NOW - timedelta(days=gold.callback_interval_days, hours=1), None),
        (NOW - timedelta(days=gold.callback_interval_days) + timedelta(hours=1), None),
        (None, None)]
    rows = [Client(code=f"K{i}", name=f"K{i}", kind="individual", status="active", tier=gold,
                   cadence_anchor=anchor, due_fixed=fixed)
            for i, (anchor, fixed) in enumerate(schedules)]
    session.add_all(rows)
    session.flush()
    in_sql = set(session.scalars(sa.select(Client.id).where(
        callbacks.overdue_criterion(session, NOW))))
    assert in_sql == {c.id for c in rows if callbacks.is_overdue(c, NOW)} == \
        {rows[0].id, rows[2].id}


def test_the_dashboard_counts_by_the_same_rules(session, client):
    client.due_fixed = NOW - timedelta(days=1)
    complaint(session, client, 1, status="investigating", due_at=NOW - timedelta(hours=1))
    complaint(session, client, 2, status="investigating", due_at=NOW + timedelta(hours=1))
    complaint(session, client, 3, status="closed", due_at=NOW - timedelta(days=1),
              closed_at=NOW, resolution="r", root_cause="c")
    cards = {key: value for key, _label, value in dashboard.summary(session, now=NOW).cards}
    assert (cards["overdue_callbacks"], cards["open_complaints"],
            cards["overdue_complaints"]) == (1, 2, 1)


def test_recalculation_summary(session):
    result = RecalcResult(upgraded=1, downgraded=2, unchanged=3, locked_skipped=4)
    assert messages.recalculation_summary(result) == \
        "1 upgraded, 2 downgraded, 3 unchanged, 4 locked skipped"
    result.dry_run = True
    assert messages.recalculation_summary(result).endswith("(dry run: nothing was changed)")
