"""Complaint analysis figures, computed in SQL, checked on a hand-made data set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from admin_app.services import complaints as svc

from . import factories

MON_9 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def data(session):
    client = factories.client(session)
    rows = [
        # received, category, hours open (None = still open), due after (h), satisfaction
        (MON_9, "fees", 10, 24, 5),
        (MON_9 + timedelta(minutes=5), "fees", 20, 24, 4),
        (MON_9 + timedelta(days=1), "service", 30, 24, 3),       # breached
        (MON_9 + timedelta(days=1, hours=1), "service", 40, 72, None),
        (MON_9 + timedelta(days=30), "fees", 100, 72, 1),         # November, breached
        (MON_9 + timedelta(days=31), "trading", None, 24, None),  # open
    ]
    for received, category, hours, due, satisfaction in rows:
        closed = received + timedelta(hours=hours) if hours is not None else None
        factories.complaint(
            session, client=client, category=category, received_at=received,
            due_at=received + timedelta(hours=due), severity="medium",
            status="closed" if closed else "investigating", closed_at=closed,
            satisfaction=satisfaction)


def test_per_category_month(session, data):
    assert svc.per_category_month(session) == [
        ("2026-10", "fees", 2), ("2026-10", "service", 2),
        ("2026-11", "fees", 1), ("2026-11", "trading", 1),
    ]


def test_handling_figures(session, data):
    figures = svc.handling(session)
    assert figures.closed == 5
    assert figures.mean_hours == pytest.approx(40.0, abs=0.01)
    # hours sorted 10, 20, 30, 40, 100: position 0.9 * 4 = 3.6 -> 40 + 0.6 * 60 = 76
    assert figures.p90_hours == pytest.approx(76.0, abs=0.01)
    assert figures.breach_rate == pytest.approx(2 / 5)
    assert figures.mean_satisfaction == pytest.approx(13 / 4)


def test_peaks(session, data):
    assert svc.peaks(session) == {"weekday": 1, "hour": 9}


def test_empty_data_set(session):
    figures = svc.handling(session)
    assert (figures.closed, figures.mean_hours, figures.p90_hours, figures.breach_rate) == \
        (0, None, None, None)
    assert svc.peaks(session) == {"weekday": None, "hour": None}
