"""What a client's page reads (services/client_overview.py): only this client's records,
the latest first, at most the limit, with the count of all; and every read a limited
query on an index, so the page stays fast at a million clients."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from admin_app.models import TierChange
from admin_app.services import audit, client_overview

from . import factories
from .factories import WHEN


@pytest.fixture
def two_clients(session):
    """Client ``mine`` with records of every kind, and ``other`` with one of each."""
    mine, other = factories.client(session), factories.client(session)
    for client in (mine, other):
        factories.visit(session, client=client)
        factories.complaint(session, client=client)
        factories.attendance(session, client=client)
        gold, standard = factories.tier(session, "gold"), factories.tier(session, "standard")
        session.add(TierChange(client=client, from_tier=standard, to_tier=gold,
                               reason="recalculation", changed_at=WHEN))
        audit.record(session, action="update", entity="client", entity_id=client.id,
                     changes={"notes": ["a", "b"]}, now=WHEN)
    session.flush()
    return mine, other


def test_each_kind_reads_only_this_clients_records(session, two_clients):
    mine, other = two_clients
    for read, client_of in [
        (client_overview.visits, lambda r: r.client_id),
        (client_overview.complaints, lambda r: r.client_id),
        (client_overview.attendances, lambda r: r.client_id),
        (client_overview.tier_changes, lambda r: r.client_id),
        (client_overview.audit_entries, lambda r: int(r.entity_id)),
    ]:
        latest = read(session, mine.id)
        assert latest.total == 1 and [client_of(r) for r in latest.rows] == [mine.id], read
        assert read(session, other.id).rows != latest.rows


def test_audit_entries_are_the_client_records_own(session, two_clients):
    """An entry about another kind of record that happens to have the client's id is not
    the client's."""
    mine, _other = two_clients
    audit.record(session, action="update", entity="visit", entity_id=mine.id,
                 changes={"summary": ["a", "b"]}, now=WHEN)
    audit.record(session, action="update", entity="client", entity_id=f"{mine.id}0",
                 changes={"notes": ["a", "b"]}, now=WHEN)
    session.flush()
    entries = client_overview.audit_entries(session, mine.id)
    assert [(e.entity, e.entity_id) for e in entries.rows] == [("client", str(mine.id))]


def test_visits_latest_first_planned_ahead_on_top_and_timeless_last(session):
    client = factories.client(session)
    done = factories.visit(session, client=client, status="done", scheduled_for=None,
                           completed_at=WHEN - timedelta(days=3))
    planned = factories.visit(session, client=client, scheduled_for=WHEN + timedelta(days=7))
    missed = factories.visit(session, client=client, status="missed",
                             scheduled_for=WHEN - timedelta(days=30))
    timeless = factories.visit(session, client=client, status="cancelled", scheduled_for=None)
    # Done long after it was planned: its completion is what counts.
    late = factories.visit(session, client=client, status="done",
                           scheduled_for=WHEN - timedelta(days=60),
                           completed_at=WHEN - timedelta(days=1))
    rows = client_overview.visits(session, client.id).rows
    assert [v.id for v in rows] == [planned.id, late.id, done.id, missed.id, timeless.id]


def test_at_most_the_limit_with_the_count_of_all(session):
    client = factories.client(session)
    for day in range(12):
        factories.visit(session, client=client, scheduled_for=WHEN + timedelta(days=day))
        factories.complaint(session, client=client, received_at=WHEN + timedelta(days=day))
    visits = client_overview.visits(session, client.id)
    assert (len(visits.rows), visits.total, visits.more) == (10, 12, 2)
    assert visits.rows[0].scheduled_for == WHEN + timedelta(days=11)
    complaints = client_overview.complaints(session, client.id, limit=3)
    assert [c.received_at for c in complaints.rows] == [
        WHEN + timedelta(days=d) for d in (11, 10, 9)]
    assert complaints.total == 12


def test_events_latest_first_with_their_event_loaded(session):
    client = factories.client(session)
    old = factories.attendance(session, client=client,
                               event=factories.event(session, starts_at=WHEN))
    new = factories.attendance(session, client=client,
                               event=factories.event(session, starts_at=WHEN + timedelta(1)))
    rows = client_overview.attendances(session, client.id).rows
    assert [a.id for a in rows] == [new.id, old.id]
    assert "event" in vars(rows[0])  # loaded with the row, not one query per row


def test_tier_changes_and_audit_latest_first(session):
    client = factories.client(session)
    gold, standard = factories.tier(session, "gold"), factories.tier(session, "standard")
    for day in (1, 3, 2):
        session.add(TierChange(client=client, from_tier=standard, to_tier=gold,
                               reason="manual", changed_at=WHEN + timedelta(days=day)))
        audit.record(session, action="update", entity="client", entity_id=client.id,
                     changes={"notes": [str(day), "x"]}, now=WHEN + timedelta(days=day))
    session.flush()
    changes = client_overview.tier_changes(session, client.id).rows
    assert [c.changed_at for c in changes] == [WHEN + timedelta(days=d) for d in (3, 2, 1)]
    entries = client_overview.audit_entries(session, client.id).rows
    assert [e.changes["notes"][0] for e in entries] == ["3", "2", "1"]


def test_a_client_with_nothing_yet(session):
    client = factories.client(session)
    for read in (client_overview.visits, client_overview.complaints,
                 client_overview.attendances, client_overview.tier_changes,
                 client_overview.audit_entries):
        latest = read(session, client.id)
        assert (latest.rows, latest.total, latest.more) == ([], 0, 0)


# --- every read limited and on an index -------------------------------------------------

# Each read and the table it finds the client's rows in.
READS = {client_overview.visits: "visit", client_overview.complaints: "complaint",
         client_overview.attendances: "event_attendance",
         client_overview.tier_changes: "tier_change", client_overview.audit_entries: "audit_entry"}
FULL_SCAN = re.compile(r"\bSCAN (\w+)\b(?! USING)")  # SQLite's plan for reading a whole table


def statements_of(session, read, client_id) -> list[tuple[str, object]]:
    """The SQL ``read`` sends, with its parameters."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        read(session, client_id)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return captured


def plan(session, statement: str, parameters, is_postgres: bool) -> str:
    connection = session.connection()
    if is_postgres:  # a table this small is read whole unless that is ruled out
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in connection.exec_driver_sql(
            f"EXPLAIN {statement}", parameters))
    return "\n".join(row[-1] for row in connection.exec_driver_sql(
        f"EXPLAIN QUERY PLAN {statement}", parameters))


@pytest.mark.parametrize("read", READS, ids=lambda r: r.__name__)
def test_each_read_is_limited_and_indexed(session, is_postgres, read):
    client = factories.client(session)
    factories.visit(session, client=client)
    statements = statements_of(session, read, client.id)
    assert len(statements) == 2  # the rows (with what they show) and the count
    (rows_sql, _), (count_sql, _) = statements
    assert "LIMIT" in rows_sql.upper() and "count(" in count_sql.lower()
    for statement, parameters in statements:
        shown = plan(session, statement, parameters, is_postgres)
        if is_postgres:
            assert "Seq Scan" not in shown, shown
        else:
            assert f"SEARCH {READS[read]} USING" in shown, shown
            assert not FULL_SCAN.findall(shown), shown
