"""Benchmark: a client's page (its latest visits, complaints, events, tier changes and
audit entries) at 1,000,000 clients.

    python bench/bench_client_page.py [--clients N] [--engine sqlite|postgresql|both]
                                      [--repeat R]

For each engine it builds a fresh database with N clients, 3N visits and N audit entries
(inserted by SQL), plus one busy client with 20,000 visits, 200 complaints, 50 event
invitations and 2,000 audit entries of its own. It then times the client's details page
over HTTP (the Flask test client, so server time), as a supervisor who sees every table:
for an ordinary client and for the busy one, R times each after a first warming request,
and reports the median with the range.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_tiers import fresh_database, insert_clients, make_app, settle  # noqa: E402

BUSY = 1  # the client with many of everything
BUSY_VISITS, BUSY_COMPLAINTS, BUSY_EVENTS, BUSY_AUDIT = 20_000, 200, 50, 2_000
PASSWORD = "bench-password-1"


def numbers(n: int):
    import sqlalchemy as sa

    cte = sa.select(sa.literal(1).label("i")).cte(f"numbers_{n}", recursive=True)
    return cte.union_all(sa.select(cte.c.i + 1).where(cte.c.i < n))


def insert_related(session, n: int) -> None:
    """3n visits spread over the clients, n audit entries (one per client), and the busy
    client's many records; each set written by the database in one statement."""
    import sqlalchemy as sa

    from admin_app import sql
    from admin_app.models import (
        AuditEntry,
        Complaint,
        Event,
        EventAttendance,
        UTCDateTime,
        Visit,
    )

    moment = sa.literal(datetime(2025, 6, 1, 2, 0, tzinfo=UTC), UTCDateTime)

    def visits(count: int, client_id) -> None:
        i = numbers(count).c.i
        done = i % 3 == 0
        when = sql.add_days(moment, -(i % 700))
        session.execute(sa.insert(Visit.__table__).from_select(
            ["client_id", "channel", "purpose", "status", "scheduled_for", "completed_at"],
            sa.select(client_id(i), sa.literal("phone"), sa.literal("scheduled_callback"),
                      sa.case((done, "done"), else_="planned"), when,
                      sa.case((done, when)))))

    visits(3 * n, lambda i: i % n + 1)
    visits(BUSY_VISITS, lambda i: sa.literal(BUSY))
    i = numbers(BUSY_COMPLAINTS).c.i
    session.execute(sa.insert(Complaint.__table__).from_select(
        ["reference", "client_id", "channel", "received_at", "category", "status",
         "description", "reopened_count", "version_id"],
        sa.select(sa.literal("BENCH-") + sa.cast(i, sa.Text), sa.literal(BUSY),
                  sa.literal("hotline"), sql.add_days(moment, -i), sa.literal("fees"),
                  sa.literal("received"), sa.literal("Bench"), sa.literal(0), sa.literal(1))))
    i = numbers(BUSY_EVENTS).c.i
    session.execute(sa.insert(Event.__table__).from_select(
        ["title", "kind", "status", "starts_at", "version_id"],
        sa.select(sa.literal("Bench event ") + sa.cast(i, sa.Text), sa.literal("lecture"),
                  sa.literal("open"), sql.add_days(moment, i), sa.literal(1))))
    session.execute(sa.insert(EventAttendance.__table__).from_select(
        ["event_id", "client_id", "status"],
        sa.select(Event.id, sa.literal(BUSY), sa.literal("invited"))))

    def audit(count: int, entity_id) -> None:
        i = numbers(count).c.i
        session.execute(sa.insert(AuditEntry.__table__).from_select(
            ["at", "action", "entity", "entity_id", "changes"],
            sa.select(sql.add_days(moment, -(i % 700)), sa.literal("update"),
                      sa.literal("client"), sa.cast(entity_id(i), sa.Text),
                      sa.literal({"notes": ["a", "b"]}, sa.JSON))))

    audit(n, lambda i: i)
    audit(BUSY_AUDIT, lambda i: sa.literal(BUSY))
    for table in (Visit.__table__, Complaint.__table__, Event.__table__,
                  EventAttendance.__table__, AuditEntry.__table__):
        sql.advance_sequence(session, table)
    sql.refresh_statistics(session)


def setup(url: str, n: int) -> None:
    from admin_app.extensions import db
    from admin_app.services import accounts
    from seed.tiers import ensure_default_tiers

    app = make_app(url)
    with app.app_context():
        db.create_all()
        ensure_default_tiers(db.session)
        accounts.create_user(db.session, "supervisor", role="supervisor", password=PASSWORD)
        db.session.commit()
        insert_clients(db.session, n)
        insert_related(db.session, n)
        db.session.commit()


def measure(url: str, n: int, repeat: int) -> dict[str, list[float]]:
    import re

    app = make_app(url)
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "supervisor", "password": PASSWORD,
                                "csrf_token": token})
    timings: dict[str, list[float]] = {}
    for label, client_id in (("ordinary client", n // 2), ("busy client", BUSY)):
        url_ = f"/admin/client/details/?id={client_id}"
        assert client.get(url_).status_code == 200  # warm
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url_)
            runs.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings[label] = runs
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--phase", choices=("setup",), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "setup":
        setup(args.url, args.clients)
        return

    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = fresh_database(engine)
        try:
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--phase", "setup", "--url", url,
                            "--clients", str(args.clients)], check=True, cwd=ROOT)
            print(f"[{engine}] {args.clients:,} clients, {3 * args.clients + BUSY_VISITS:,} "
                  f"visits set up in {time.perf_counter() - started:.1f} s", flush=True)
            settle(url)
            for label, runs in measure(url, args.clients, args.repeat).items():
                print(f"[{engine}] client page, {label}: median "
                      f"{statistics.median(runs):.0f} ms (min {min(runs):.0f}, "
                      f"max {max(runs):.0f}; {len(runs)} runs)", flush=True)
        finally:
            drop()


if __name__ == "__main__":
    main()
