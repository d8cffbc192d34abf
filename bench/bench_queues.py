"""Benchmark: the first page of each work queue at 1,000,000 clients and 3,000,000 visits,
against the plain Flask-Admin list of the same table; then planning callbacks.

    python bench/bench_queues.py [--clients N] [--engine sqlite|postgresql|both]
                                 [--repeat R] [--no-baseline]

For each engine it builds a fresh database of N clients (as bench_tiers does) with 50
advisors, birth dates over 70 years, next callback dates from 100 days ago to 300 days
ahead (by their tier's cadence, one in twenty on a date of its own), and three visits
per client (two done, one planned from 10 days ago to 50 days ahead; some holiday
greetings). Each queue's first page is then requested through the
app in this process (Flask's test client, logged in as one of the advisors, so "my
clients" are 1/50 of all), R times after one warm-up, and reported as the median with
the range: server time, no network. The baseline is Flask-Admin's own list of the client
table (bench/baseline_app.py), unfiltered, timed the same way. Last, "Plan callbacks" for
the clients due in the next 7 days, then for every client, each once.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_tiers  # noqa: E402

ADVISORS = 50
PASSWORD = "bench-password-1"
CONFIG = {"TESTING": True, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
          "WTF_CSRF_ENABLED": True, "CREATE_DATABASE": True}


def _days_after(engine: str, start: str, days: str) -> str:
    """A date ``days`` (SQL) after ``start`` (ISO), as each engine writes it (bench data
    only; the app's own differences live in admin_app/sql.py)."""
    if engine == "sqlite":
        return f"date('{start}', '+' || ({days}) || ' days')"
    return f"(DATE '{start}' + ({days})::integer)"


def _moment(engine: str, hours: str) -> str:
    """Now (UTC, naive as stored) plus ``hours`` (SQL)."""
    if engine == "sqlite":
        return f"datetime('now', ({hours}) || ' hours')"
    return f"(now() at time zone 'utc' + make_interval(hours => ({hours})::integer))"


def populate(url: str, n: int) -> None:
    """Advisors, birth dates, due dates and visits, each in a few set-based statements."""
    import sqlalchemy as sa

    from admin_app import create_app, sql
    from admin_app.extensions import db
    from admin_app.models import User
    from admin_app.services import festivals, workdays

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        s = db.session
        engine = sql.engine_of(s)
        for number in range(ADVISORS):
            user = User(username=f"advisor{number}", full_name=f"Advisor {number}",
                        role="staff")
            user.set_password(PASSWORD)
            s.add(user)
        s.commit()
        first = s.scalar(sa.select(sa.func.min(User.id)))
        birth = _days_after(engine, "1945-01-01", "(CAST(id AS BIGINT) * 7919) % 25550")
        due = _moment(engine, "((CAST(id AS BIGINT) * 104729) % 9600) - 2400")  # -100 to +300 days
        s.execute(sa.text(
            f"UPDATE client SET advisor_id = {first} + id % {ADVISORS}, birth_date = {birth}, "
            "status = CASE WHEN id % 50 = 1 THEN 'closed' WHEN id % 50 = 2 THEN 'prospect' "
            "ELSE 'active' END"))
        # Most active clients follow their tier's cadence (the anchor is the due date less
        # the interval); one in twenty has a date of its own (a new client's first call).
        interval = "(SELECT t.callback_interval_days FROM tier t WHERE t.id = client.tier_id)"
        anchor = _moment(engine, f"((CAST(id AS BIGINT) * 104729) % 9600) - 2400 "
                                 f"- 24 * {interval}")
        s.execute(sa.text(
            f"UPDATE client SET cadence_anchor = CASE WHEN id % 20 <> 3 THEN {anchor} END, "
            f"due_fixed = CASE WHEN id % 20 = 3 THEN {due} END "
            "WHERE status = 'active' AND tier_id IS NOT NULL"))
        s.commit()
        holiday = festivals.upcoming(workdays.today())[0]
        greeting = (holiday.first - timedelta(days=3)).isoformat()
        done = _moment(engine, "-24 * (30 + (id * k) % 300)")
        # An advisor's planned visits (every fourth client of theirs) over 60 days.
        planned = _moment(engine, "24 * (((id / 200) % 60) - 10) + (id / 200) % 24")
        greeted = "k = 2 AND id % 10 = 0"
        for k in (1, 2, 3):
            status = "CASE WHEN (id / 50) % 4 = 0 THEN 'planned' ELSE 'missed' END" if k == 3 else \
                f"CASE WHEN {greeted} THEN 'planned' ELSE 'done' END"
            scheduled = planned if k == 3 else \
                f"CASE WHEN {greeted} THEN '{greeting} 02:00:00' ELSE {done} END"
            completed = "NULL" if k == 3 else f"CASE WHEN {greeted} THEN NULL ELSE {done} END"
            purpose = "CASE WHEN id % 10 = 0 THEN 'holiday_greeting' ELSE " \
                      "'scheduled_callback' END" if k == 2 else "'scheduled_callback'"
            s.execute(sa.text(
                "INSERT INTO visit (client_id, staff_id, channel, purpose, status, "
                "scheduled_for, completed_at, satisfaction) "
                f"SELECT id, advisor_id, 'phone', {purpose}, {status}, {scheduled}, "
                f"{completed}, NULL FROM (SELECT id, advisor_id, {k} AS k FROM client) c"))
            s.commit()
        sql.refresh_statistics(s)
        s.commit()
    with app.app_context():
        db.engine.dispose()


def logged_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": token})
    return client


def timed(client, url: str, repeat: int) -> tuple[list[float], list[float], str]:
    """Milliseconds of each of ``repeat`` requests (after one warm-up), wall-clock and the
    CPU time of this process (the whole server's on SQLite, which runs in it; the app's
    part on PostgreSQL), and the list's count as the page shows it."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    tab = response.text.split('class="nav-link active"')[1].split("</a>")[0]
    found = re.search(r"\(([\d,]+)\)", tab)
    runs, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        runs.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    return runs, cpu, f"{found.group(1)} rows" if found else "not counted"


def spread(runs: list[float], cpu: list[float]) -> str:
    return (f"median {statistics.median(runs):6.1f} ms (min {min(runs):.1f}, "
            f"max {max(runs):.1f}; {len(runs)} runs), CPU {statistics.median(cpu):5.1f} ms")


def measure(url: str, repeat: int, baseline: bool) -> None:
    from admin_app import create_app
    from admin_app.views.queues import QUEUES

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    client = logged_in(app, "advisor7")  # advises the clients whose id ends 7 (mod 50)
    with app.test_request_context():
        urls = [(str(queue.label), queue.url()) for queue in QUEUES]
    urls.append(("(the client list, unfiltered)", "/admin/client/"))
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    for label, path in urls:
        runs, cpu, count = timed(client, path, repeat)
        print(f"  {label:<34} {spread(runs, cpu)}  [{count}]", flush=True)
    if baseline:
        os.environ["DATABASE_URL"] = url
        from baseline_app import create_baseline

        plain = create_baseline().test_client()
        runs, cpu, _count = timed(plain, "/admin/client/", repeat)
        print(f"  {'Flask-Admin list, unfiltered':<34} {spread(runs, cpu)}", flush=True)


def plan(url: str) -> None:
    """Plan callbacks for the queue of clients due within 7 days, then for everyone."""
    import sqlalchemy as sa

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.models import Client, utcnow
    from admin_app.services import planning, queues, workdays

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        for label, scope in (
                ("due in the next 7 days", sa.select(Client.id).where(
                    queues.due_soon(db.session, utcnow(), workdays.firm_zone()))),
                ("every client", None)):
            started = time.perf_counter()
            result = planning.plan_callbacks(db.session, scope=scope)
            db.session.commit()
            elapsed = time.perf_counter() - started
            print(f"  plan callbacks, {label:<24} {elapsed:6.2f} s: {result}", flush=True)
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = bench_tiers.fresh_database(engine)
        try:
            started = time.perf_counter()
            subprocess.run([sys.executable, str(HERE / "bench_tiers.py"), "--phase", "setup",
                            "--url", url, "--n", str(args.clients)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            populate(url, args.clients)
            bench_tiers.settle(url)
            print(f"[{engine}] {args.clients:,} clients, {3 * args.clients:,} visits, set up "
                  f"in {time.perf_counter() - started:.0f} s; first page of each queue:",
                  flush=True)
            measure(url, args.repeat, not args.no_baseline)
            plan(url)
        finally:
            if args.keep:
                print(f"  kept {url}")
            else:
                drop()


if __name__ == "__main__":
    main()
