"""Benchmark: the audit log at 10,000,000 entries, beside Flask-Admin's own list.

    python bench/bench_audit.py [--entries N] [--engine sqlite|postgresql|both]
                                [--repeat R] [--keep]

For each engine it builds a fresh database (the app's schema) with 50 staff users, 1,000
clients and N audit entries written in one INSERT ... SELECT (indexes built afterwards, as
a restore would): one entry every 3 seconds back from now, by one of the users (one in
twenty by the system), of one of seven actions and five record types, about one of 1,000
records of that type. Each page is then requested through the app in this process
(Flask's test client, logged in as a supervisor), R times after one warm-up, and reported
as the median with the range and the CPU time of this process: server time, no network.
  - the audit log's first page: unfiltered; by user; by action; by record type and id;
    a week (the period filter); and the last of them together (user, action, period);
  - a client's page, whose History panel reads that client's entries;
  - the baseline: Flask-Admin's own list of the same table (bench/baseline_app.py, no
    login), unfiltered and by user: what a plain Flask-Admin app would serve.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_queues  # noqa: E402
import bench_tiers  # noqa: E402

USERS = 50
CLIENTS = 1_000
RECORDS = 1_000  # records of each type the entries are about
ACTIONS = ("create", "update", "update", "update", "delete", "login", "export")
TYPES = ("client", "visit", "complaint", "event", "tier")
STEP_SECONDS = 3
AUDIT_INDEXES = ("ix_audit_entry_at", "ix_audit_entry_entity_entity_id_at",
                 "ix_audit_entry_user_id_at", "ix_audit_entry_action_at")
CONFIG = bench_queues.CONFIG


def _case(expression: str, values: tuple[str, ...]) -> str:
    """``values[expression % len(values)]`` in SQL."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"CASE ({expression}) % {len(values)} {whens} END"


def populate(url: str, n: int) -> dict:
    import sqlalchemy as sa

    from admin_app import create_app, sql
    from admin_app.extensions import db
    from admin_app.models import AuditEntry, Client, User

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    timings = {}
    with app.app_context():
        s = db.session
        db.create_all()
        supervisor = User(username="supervisor", full_name="Supervisor", role="supervisor")
        supervisor.set_password(bench_queues.PASSWORD)
        s.add(supervisor)
        for number in range(USERS):
            user = User(username=f"staff{number}", full_name=f"Staff {number}", role="staff")
            user.set_password(bench_queues.PASSWORD)
            s.add(user)
        s.flush()
        s.add_all(Client(code=f"C{i:07d}", name=f"客户{i}") for i in range(1, CLIENTS + 1))
        s.commit()
        first = s.scalar(sa.select(sa.func.min(User.id)).where(User.role == "staff"))
        engine = sql.engine_of(s)
        for name in AUDIT_INDEXES:
            s.execute(sa.text(f"DROP INDEX {name}"))
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        start = now - timedelta(seconds=STEP_SECONDS * n)
        if engine == "sqlite":
            source = ("WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k "
                      f"WHERE n < {n}) SELECT n FROM k")
            at = (f"strftime('%Y-%m-%d %H:%M:%f', '{start}', "
                  f"'+' || (n * {STEP_SECONDS}) || ' seconds')")
        else:
            source = f"SELECT CAST(g AS BIGINT) AS n FROM generate_series(1, {n}) AS g"
            at = f"TIMESTAMP '{start}' + make_interval(secs => n * {STEP_SECONDS})"
        user = f"CASE WHEN n % 20 = 0 THEN NULL ELSE {first} + (n * 7) % {USERS} END"
        changes = """'{"notes": ["before", "after"]}'"""
        started = time.perf_counter()
        s.execute(sa.text(
            "INSERT INTO audit_entry (at, user_id, action, entity, entity_id, changes, ip) "
            f"SELECT {at}, {user}, {_case('n * 13', ACTIONS)}, {_case('n / 7', TYPES)}, "
            f"CAST(1 + (n * 7919) % {RECORDS} AS VARCHAR(64)), {changes}, '10.0.0.1' "
            f"FROM ({source}) AS numbers"))
        s.commit()
        timings["insert_s"] = time.perf_counter() - started
        started = time.perf_counter()
        for index in AuditEntry.__table__.indexes:
            index.create(s.connection())
        s.commit()
        timings["index_s"] = time.perf_counter() - started
        sql.refresh_statistics(s)
        s.commit()
        timings["entries"] = s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        timings["first_staff"] = first
        db.engine.dispose()
    return timings


def measure(url: str, repeat: int, first_staff: int) -> None:
    from urllib.parse import quote

    from admin_app import create_app
    from admin_app.views import adapter
    from admin_app.views.links import list_url, registered_view

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    client = bench_queues.logged_in(app, "supervisor")
    today = datetime.now(UTC).date()
    week = f"{today - timedelta(days=7):%Y-%m-%d} 00:00:00 to {today:%Y-%m-%d} 00:00:00"
    with app.test_request_context():
        view = registered_view("audit")
        between = next(i for i, flt in enumerate(adapter.filters(view))
                       if getattr(flt.column, "key", None) == "at"
                       and "Between" in type(flt).__name__)

        def period(url: str) -> str:  # the time filter's "between" (links name "equals")
            return f"{url}{'&' if '?' in url else '?'}flt9_{between}={quote(week)}"

        pages = [
            ("audit log, unfiltered", list_url("audit")),
            ("by user", list_url("audit", filters={"user": str(first_staff + 7)})),
            ("by action (deletes)", list_url("audit", filters={"action": "delete"})),
            ("a record's entries (client 42)",
             list_url("audit", filters={"entity": "client", "entity_id": "42"})),
            ("a week", period(list_url("audit"))),
            ("user + action + week", period(list_url("audit", filters={
                "user": str(first_staff + 7), "action": "update"}))),
            ("client 42's page (History panel)", "/admin/client/details/?id=42"),
        ]
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    for label, path in pages:
        runs, cpu, count = timed(client, path, repeat)
        print(f"  {label:<34} {bench_queues.spread(runs, cpu)}  [{count}]", flush=True)
    os.environ["DATABASE_URL"] = url
    from baseline_app import create_baseline

    plain = create_baseline().test_client()
    for label, path in (("Flask-Admin list, unfiltered", "/admin/audit/"),
                        ("Flask-Admin list, by user",
                         f"/admin/audit/?flt0_0={first_staff + 7}")):
        runs, cpu, count = timed(plain, path, repeat)
        print(f"  {label:<34} {bench_queues.spread(runs, cpu)}  [{count}]", flush=True)


def timed(client, url: str, repeat: int) -> tuple[list[float], list[float], str]:
    import re

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:2000])
    found = re.search(r"List\s*\(([\d,]+\+?)\)", response.text)
    runs, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        runs.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    return runs, cpu, f"{found.group(1)} rows" if found else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--phase", choices=("populate",), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "populate":
        import json

        print(json.dumps(populate(args.url, args.entries)))
        return
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = bench_tiers.fresh_database(engine)
        try:
            import json

            done = subprocess.run([sys.executable, __file__, "--phase", "populate", "--url", url,
                                   "--entries", str(args.entries)], cwd=ROOT,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"populating failed ({done.returncode}):\n{done.stderr[-4000:]}")
            built = json.loads(done.stdout.strip().splitlines()[-1])
            bench_tiers.settle(url)
            print(f"[{engine}] {built['entries']:,} audit entries written in "
                  f"{built['insert_s']:.0f} s, indexed in {built['index_s']:.0f} s; first page:",
                  flush=True)
            measure(url, args.repeat, built["first_staff"])
        finally:
            if args.keep:
                print(f"  kept {url}")
            else:
                drop()


if __name__ == "__main__":
    main()
