"""Benchmark: keeping the callback cadence at 1,000,000 clients and 3,000,000 visits.

    python bench/bench_callbacks.py [--clients N] [--engine sqlite|postgresql|both]
                                    [--repeat R] [--saves S]

For each engine it builds a fresh database with N clients as bench_tiers does (every
client placed in its tier), adds three visits per client -- two done, one planned -- and
sets every client's last callback and due date from them with the service that keeps
them (``callbacks.reschedule_from_visits``, one UPDATE). Then it measures:
  - changing a tier's callback interval, as the tier screen does it
    (``tiers.apply_interval_change`` and the commit: its clients' due dates are computed
    from the interval, so none is written; checked on one of them afterwards), and then
    the refresh of the copy of their dates kept for reports, which runs after the
    response (``callbacks.refresh_due_copies``), for
    the tier with the fewest clients and the one with the most, R times each (default 3),
    each run in a fresh process from the same settled state (vacuumed and checkpointed);
    the interval is put back between runs, unmeasured;
  - recording a done callback on the visit screen, the server's time for the POST (the app
    in process, logged in as an admin, real form and CSRF token): S new done visits, and S
    planned visits changed to done (default 20 each, after 2 unmeasured ones), after the
    same settling.
Each is reported as the median with the range.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_tiers  # noqa: E402

PASSWORD = "bench-password-1"
VISITS_PER_CLIENT = 3
WARM_UP = 2  # unmeasured saves before the measured ones
SHANGHAI = timedelta(hours=8)  # the firm's default zone, in which the admin types times


def add_visits(session) -> int:
    """Per client: a done callback some time since it was created, an earlier done one
    (both at any time of day) and a planned one, written by the database in one
    statement."""
    import sqlalchemy as sa

    from admin_app import sql
    from admin_app.models import Client, UTCDateTime, Visit

    k = sa.union_all(*(sa.select(sa.literal(i, sa.Integer).label("k"))
                       for i in range(VISITS_PER_CLIENT))).subquery("k")
    minutes = 24 * 60 * sa.case((k.c.k == 0, 600), (k.c.k == 1, 200), else_=60)
    start = sa.case((k.c.k == 2, sa.literal(datetime(2026, 12, 1, tzinfo=UTC), UTCDateTime)),
                    else_=Client.created_at)
    moment = sql.add_minutes(start, sql.random_below(minutes))  # at any time of day
    done = k.c.k < 2
    rows = sa.select(
        Client.id, sa.literal("phone"), sa.literal("scheduled_callback"),
        sa.case((done, "done"), else_="planned"), sa.case((done, None), else_=moment),
        sa.case((done, moment)),
    ).select_from(Client).join(k, sa.true())
    session.execute(sa.insert(Visit).from_select(
        ["client_id", "channel", "purpose", "status", "scheduled_for", "completed_at"], rows))
    sql.refresh_statistics(session)
    session.commit()
    return session.scalar(sa.select(sa.func.count()).select_from(Visit))


def setup(url: str, n: int) -> dict:
    from admin_app.extensions import db
    from admin_app.services import accounts, callbacks

    bench_tiers.setup(url, n)
    app = bench_tiers.make_app(url)
    with app.app_context():
        visits = add_visits(db.session)
        started = time.perf_counter()
        moved = callbacks.reschedule_from_visits(db.session, None)
        db.session.commit()
        accounts.create_user(db.session, "benchadmin", role="admin", password=PASSWORD)
        db.session.commit()
    return {"visits": visits, "rescheduled": moved,
            "reschedule_seconds": time.perf_counter() - started}


def tier_sizes(url: str) -> list[tuple[str, int, int]]:
    """(code, clients, interval) of every tier, fewest clients first."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.models import Client, Tier

    app = bench_tiers.make_app(url)
    with app.app_context():
        rows = db.session.execute(
            sa.select(Tier.code, sa.func.count(Client.id), Tier.callback_interval_days)
            .outerjoin(Client, Client.tier_id == Tier.id).group_by(Tier.id)).all()
    return sorted(((c, n, d) for c, n, d in rows), key=lambda row: row[1])


def change_interval(url: str, code: str) -> dict:
    """Time one change of tier ``code``'s interval as the tier screen saves it; then put
    it back (unmeasured)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.models import Client, Tier
    from admin_app.services import callbacks, tiers

    app = bench_tiers.make_app(url)
    with app.app_context():
        tier = db.session.scalar(sa.select(Tier).where(Tier.code == code))
        before = tier.callback_interval_days
        started = time.perf_counter()
        tier.callback_interval_days = after = before - 1 if before > 1 else before + 1
        moved = tiers.apply_interval_change(db.session, tier)
        db.session.commit()
        elapsed = time.perf_counter() - started
        # the tier's clients are due by the new interval (checked on the last of them)
        anchor, due = db.session.execute(
            sa.select(Client.cadence_anchor, Client.next_callback_due)
            .where(Client.tier_id == tier.id, Client.cadence_anchor.is_not(None))
            .order_by(Client.id.desc()).limit(1)).one()
        assert abs((due - anchor).total_seconds() - after * 86400) < 1, (anchor, due)
        # after the response: the copy of the dates kept for reports, in batches
        started = time.perf_counter()
        copied = callbacks.refresh_due_copies(db.session, tier_id=tier.id)
        copy_seconds = time.perf_counter() - started
        tier.callback_interval_days = before
        tiers.apply_interval_change(db.session, tier)
        db.session.commit()
        callbacks.refresh_due_copies(db.session, tier_id=tier.id)
    return {"seconds": elapsed, "moved": moved, "copied": copied, "copy_seconds": copy_seconds}


def record_callbacks(url: str, saves: int) -> dict:
    """Server time of the visit screen's POSTs that record done callbacks: new ones, and
    planned visits changed to done. Checks that each moved its client's schedule."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.models import Client, Visit
    from tests.conftest import form_values

    app = bench_tiers.make_app(url)
    http = app.test_client()

    def token(page: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    login = http.get("/login").text
    http.post("/login", data={"username": "benchadmin", "password": PASSWORD,
                              "csrf_token": token(login)})
    with app.app_context():
        top = db.session.scalar(sa.select(sa.func.max(Client.id)))
        planned = db.session.scalars(
            sa.select(Visit.id).where(Visit.status == "planned", Visit.client_id > top // 2)
            .order_by(Visit.id).limit(saves)).all()
    completed = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    typed = (completed + SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")

    def timed_post(path: str, data: dict) -> float:
        started = time.perf_counter()
        response = http.post(path, data=data)
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.text[:2000]
        return elapsed

    created, edited, clients = [], [], []
    new_page = http.get("/admin/visit/new/").text
    for i in range(WARM_UP + saves):  # the first saves of a new process warm it up
        client_id = 1 + i * 997 % top
        clients.append(client_id)
        elapsed = timed_post("/admin/visit/new/", {
            "client": str(client_id), "channel": "phone", "purpose": "scheduled_callback",
            "status": "done", "completed_at": typed, "satisfaction": "5",
            "summary": "bench", "csrf_token": token(new_page)})
        if i >= WARM_UP:
            created.append(elapsed)
    for visit_id in planned:
        url_ = f"/admin/visit/edit/?id={visit_id}"
        page = http.get(url_).text
        data = {**form_values(page), "status": "done", "completed_at": typed,
                "csrf_token": token(page)}
        edited.append(timed_post(url_, data))
    with app.app_context():
        ids = clients + list(db.session.scalars(
            sa.select(Visit.client_id).where(Visit.id.in_(planned))))
        stale = db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(
            Client.id.in_(ids), Client.last_callback_at != completed))
    assert stale == 0, f"{stale} clients' last callback did not move"
    return {"created": created, "edited": edited}


def in_subprocess(phase: str, url: str, *extra: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--phase", phase, "--url", url, *extra],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{phase} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float], unit: str, scale: float = 1.0, what: str = "runs") -> str:
    """The median with the range, e.g. ``median 1.52 s (min 1.49, max 1.57; 3 runs)``."""
    digits = 0 if unit == "ms" else 2
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    return (f"median {mid:.{digits}f} {unit} (min {low:.{digits}f}, max {high:.{digits}f}; "
            f"{len(values)} {what})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="measured interval changes")
    parser.add_argument("--saves", type=int, default=20, help="callbacks recorded of each kind")
    parser.add_argument("--phase", choices=("setup", "interval", "visits"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--arg", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        if args.phase == "setup":
            report = setup(args.url, int(args.arg))
        elif args.phase == "interval":
            report = change_interval(args.url, args.arg)
        else:
            report = record_callbacks(args.url, int(args.arg))
        print(json.dumps(report))
        return

    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = bench_tiers.fresh_database(engine)
        try:
            started = time.perf_counter()
            built = in_subprocess("setup", url, "--arg", str(args.clients))
            print(f"[{engine}] {args.clients:,} clients, {built['visits']:,} visits set up in "
                  f"{time.perf_counter() - started:.0f} s (last callbacks and due dates of "
                  f"{built['rescheduled']:,} clients from their visits: "
                  f"{built['reschedule_seconds']:.1f} s)", flush=True)
            sizes = tier_sizes(url)
            for code, clients, days in (sizes[0], sizes[-1]):
                runs = []
                for _ in range(args.repeat):
                    bench_tiers.settle(url)
                    runs.append(in_subprocess("interval", url, "--arg", code))
                print(f"[{engine}] change the {code} tier's interval ({days} -> {days - 1} "
                      f"days; {clients:,} clients, {runs[0]['moved']:,} rescheduled): "
                      f"{spread([r['seconds'] for r in runs], 's')}; then, after the "
                      f"response, {runs[0]['copied']:,} report copies refreshed: "
                      f"{spread([r['copy_seconds'] for r in runs], 's')}", flush=True)
            bench_tiers.settle(url)
            saves = in_subprocess("visits", url, "--arg", str(args.saves))
            print(f"[{engine}] record a done callback, new visit: "
                  f"{spread(saves['created'], 'ms', 1000, 'saves')}; planned visit made done: "
                  f"{spread(saves['edited'], 'ms', 1000, 'saves')}", flush=True)
        finally:
            drop()


if __name__ == "__main__":
    main()
