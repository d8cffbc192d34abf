"""Records for tests: one small function per kind of row.

Each takes the session first and keyword overrides of the model's own attributes
(relationships too: ``client=``, ``tier=``, ``assignee=``); what is not overridden gets a
plain, valid default. The row is added and flushed, so it has its id, and returned; the
test commits when it goes on over HTTP or another connection.

    complaint(session, status="resolving", resolution="Refunded", client=vip)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app.extensions import db
from admin_app.models import Client, Complaint, Event, EventAttendance, Tier, User, Visit

PASSWORD = "correct-horse-battery"  # every test user's; conftest logs in with it
WHEN = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Shanghai

M = TypeVar("M", bound=db.Model)
_serial = count(1)


def _add(session: Session, row: M) -> M:
    session.add(row)
    session.flush()
    return row


def tier(session: Session, code: str, **overrides: Any) -> Tier:
    """One of the default tiers every test database has, with ``overrides`` applied."""
    row = session.scalar(sa.select(Tier).where(Tier.code == code))
    assert row is not None, f"no tier {code!r}"
    for name, value in overrides.items():
        setattr(row, name, value)
    session.flush()
    return row


def user(session: Session, **overrides: Any) -> User:
    """A staff user whose password is ``PASSWORD``."""
    n = next(_serial)
    row = User(**{"username": f"user{n}", "full_name": f"User {n}", "role": "staff",
                  **overrides})
    if "password_hash" not in overrides:
        row.set_password(PASSWORD)
    return _add(session, row)


def client(session: Session, **overrides: Any) -> Client:
    """An active individual client with no figures (so in the lowest tier's range), not
    due unless ``next_callback_due`` is given: a date the tier's interval after
    ``last_callback_at`` is kept as that cadence, any other as a date of its own."""
    n = next(_serial)
    if "next_callback_due" in overrides:
        overrides.update(_schedule(session, overrides.pop("next_callback_due"), overrides))
    return _add(session, Client(**{"code": f"T{n:07d}", "name": f"客户{n}",
                                   "kind": "individual", "status": "active", **overrides}))


def _schedule(session: Session, due: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    last, tier = overrides.get("last_callback_at"), overrides.get("tier")
    if tier is None and overrides.get("tier_id") is not None:
        tier = session.get(Tier, overrides["tier_id"])
    if due is None:
        return {"cadence_anchor": None, "due_fixed": None, "due_copy": None}
    if last is not None and tier is not None and \
            due == last + timedelta(days=tier.callback_interval_days):
        return {"cadence_anchor": last, "due_fixed": None, "due_copy": due}
    return {"cadence_anchor": None, "due_fixed": due, "due_copy": due}


def _with_client(session: Session, overrides: dict[str, Any]) -> dict[str, Any]:
    if "client" not in overrides and "client_id" not in overrides:
        overrides["client"] = client(session)
    return overrides


def visit(session: Session, **overrides: Any) -> Visit:
    """A planned phone callback, for a new client unless ``client``/``client_id`` is given."""
    overrides = _with_client(session, overrides)
    return _add(session, Visit(**{"channel": "phone", "purpose": "scheduled_callback",
                                  "status": "planned", "scheduled_for": WHEN, **overrides}))


def complaint(session: Session, **overrides: Any) -> Complaint:
    """A received hotline complaint about fees, referenced ``CP-<year>-<n>`` after the
    complaints already there; for a new client unless ``client``/``client_id`` is given."""
    overrides = _with_client(session, overrides)
    received = overrides.setdefault("received_at", WHEN)
    if "reference" not in overrides:
        n = session.scalar(sa.select(sa.func.count()).select_from(Complaint)) + 1
        overrides["reference"] = f"CP-{received.year}-{n:06d}"
    return _add(session, Complaint(**{"channel": "hotline", "category": "fees",
                                      "description": "Fee too high", **overrides}))


def event(session: Session, **overrides: Any) -> Event:
    """An open two-hour lecture."""
    starts = overrides.setdefault("starts_at", WHEN)
    return _add(session, Event(**{"title": "Investment lecture", "kind": "lecture",
                                  "status": "open", "ends_at": starts + timedelta(hours=2),
                                  **overrides}))


def attendance(session: Session, **overrides: Any) -> EventAttendance:
    """A registration for ``event``/``event_id`` by ``client``/``client_id`` (new ones
    unless given)."""
    overrides = _with_client(session, overrides)
    if "event" not in overrides and "event_id" not in overrides:
        overrides["event"] = event(session)
    return _add(session, EventAttendance(**{"status": "registered", **overrides}))
