"""Benchmark: inviting clients to an event at 1,000,000 clients, and an event's page with
5,000 attendees.

    python bench/bench_events.py [--clients N] [--engine sqlite|postgresql|both]
                                 [--repeat R]

For each engine it builds a fresh database of N clients (as bench_tiers does), then:
  - invites the 50,000 clients of a filter (every twentieth client) to an event without a
    capacity limit, through the service the list's *Invite to event* uses
    (``events.invite``, one set-based pass with an audit entry per client), committed;
    R times (default 3), each on a new event, reported as the median with the range;
  - requests the page of an event with 5,000 attendees (its evaluation and the first page
    of its attendee table) through the app in this process, logged in as staff, R times
    after a warm-up: server time, no network.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_tiers  # noqa: E402

PASSWORD = "bench-password-1"
CONFIG = {"TESTING": True, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
          "WTF_CSRF_ENABLED": True, "CREATE_DATABASE": True}
FILTERED = 20  # every twentieth client: 50,000 of 1,000,000
ATTENDEES = 5_000


def spread(values: list[float], unit: str) -> str:
    return (f"median {statistics.median(values):.2f} {unit} (min {min(values):.2f}, "
            f"max {max(values):.2f}; {len(values)} runs)")


def invite(url: str, repeat: int) -> tuple[list[float], int]:
    import sqlalchemy as sa

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.models import Client, Event
    from admin_app.services import events

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    runs, invited = [], 0
    with app.test_request_context():
        for n in range(repeat):
            event = Event(title=f"Bench lecture {n}", kind="lecture", status="open",
                          starts_at=datetime(2027, 1, 1, tzinfo=UTC))
            db.session.add(event)
            db.session.commit()
            scope = sa.select(Client.id).where(Client.id % FILTERED == 0)
            started = time.perf_counter()
            result = events.invite(db.session, event.id, scope, scope_label="filtered")
            db.session.commit()
            runs.append(time.perf_counter() - started)
            invited = result.invited
        db.engine.dispose()
    return runs, invited


def event_page(url: str, repeat: int) -> list[float]:
    import sqlalchemy as sa

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.models import Client, Event
    from admin_app.services import accounts, events

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.test_request_context():
        accounts.create_user(db.session, "benchstaff", role="staff", password=PASSWORD)
        event = Event(title="Bench seminar", kind="seminar", status="open",
                      starts_at=datetime(2027, 1, 1, tzinfo=UTC))
        db.session.add(event)
        db.session.commit()
        events.invite(db.session, event.id, sa.select(Client.id).where(Client.id <= ATTENDEES))
        db.session.commit()
        event_id = event.id
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "benchstaff", "password": PASSWORD,
                                "csrf_token": token})
    path = f"/admin/event/details/?id={event_id}"
    assert f"Attendees ({ATTENDEES:,})" in client.get(path).text
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        runs.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with app.app_context():
        db.engine.dispose()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = bench_tiers.fresh_database(engine)
        try:
            subprocess.run([sys.executable, str(HERE / "bench_tiers.py"), "--phase", "setup",
                            "--url", url, "--n", str(args.clients)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            bench_tiers.settle(url)
            runs, invited = invite(url, args.repeat)
            print(f"[{engine}] invite the clients of a filter ({invited:,} of "
                  f"{args.clients:,}) to an event: {spread(runs, 's')}", flush=True)
            pages = event_page(url, max(args.repeat, 7))
            print(f"[{engine}] an event's page with {ATTENDEES:,} attendees: "
                  f"{spread(pages, 'ms')}", flush=True)
        finally:
            drop()


if __name__ == "__main__":
    main()
