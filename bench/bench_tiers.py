"""Benchmark: recalculating the tiers of 1,000,000 clients, set-based SQL vs an ORM loop.

    python bench/bench_tiers.py [--clients N] [--engine sqlite|postgresql|both] [--no-orm]
                                [--repeat R]

For each engine it builds a fresh database with N clients (inserted by SQL), assigns
their tiers, lowers the gold and platinum thresholds so that a realistic share of clients
move, and times (in a fresh process each, so peak memory is the run's own):
  - ours: ``services.tiers.recalculate`` over every client, committed;
  - the obvious way: an ORM loop over client objects that applies ``evaluate`` and writes
    history, committed;
after putting the thresholds back between the two, so both move the same clients.
Ours is measured R times (default 3), each run from the same settled state (vacuumed and
checkpointed), and reported as the median with the range; the ORM loop once.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LOWERED = {"gold": Decimal("400000"), "platinum": Decimal("2500000")}
DEFAULT = {"gold": Decimal("500000"), "platinum": Decimal("3000000")}


def make_app(url: str):
    sys.path.insert(0, str(ROOT))
    from admin_app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                       "CREATE_DATABASE": True})


def set_thresholds(session, values: dict[str, Decimal]) -> None:
    import sqlalchemy as sa

    from admin_app.models import Tier

    for code, assets in values.items():
        session.execute(sa.update(Tier).where(Tier.code == code).values(
            min_assets=assets, version_id=Tier.version_id + 1))
    session.commit()


def insert_clients(session, n: int) -> None:
    """``n`` clients with random figures, written by the database in one statement."""
    import sqlalchemy as sa

    from admin_app import sql
    from admin_app.models import Client, UTCDateTime

    numbers = sa.select(sa.literal(1).label("i")).cte("numbers", recursive=True)
    numbers = numbers.union_all(sa.select(numbers.c.i + 1).where(numbers.c.i < n))
    i = numbers.c.i
    text = sa.cast(i, sa.Text)
    moment = sa.literal(datetime(2025, 1, 1, tzinfo=UTC), UTCDateTime)
    rows = sa.select(
        i, sa.literal("B") + text, sa.literal("Bench ") + text, sa.literal("individual"),
        sa.literal("active"), sql.random_below(1_500_000_000) / 100.0,
        sql.random_below(15_000_000) / 100.0, sql.random_below(40), i % 200 == 0,
        sa.case((i % 200 == 0, "VIP")), moment, moment, sa.literal(1))
    table = Client.__table__
    session.execute(sa.insert(table).from_select(
        ["id", "code", "name", "kind", "status", "assets", "annual_contribution", "trades_12m",
         "tier_locked", "tier_lock_reason", "created_at", "updated_at", "version_id"],
        rows))
    sql.advance_sequence(session, table)
    sql.refresh_statistics(session)
    session.commit()


def setup(url: str, n: int) -> None:

    from admin_app.extensions import db
    from admin_app.services import tiers
    from seed.tiers import ensure_default_tiers

    app = make_app(url)
    with app.app_context():
        db.create_all()
        ensure_default_tiers(db.session)
        db.session.commit()
        insert_clients(db.session, n)
        tiers.recalculate(db.session)  # a realistic starting point: every client placed
        db.session.commit()


def settle(url: str) -> None:
    import sqlalchemy as sa

    from admin_app import sql

    engine = sa.create_engine(url)
    sql.settle(engine)
    engine.dispose()


def run_sql(url: str) -> dict:
    from admin_app.extensions import db
    from admin_app.services import tiers

    app = make_app(url)
    with app.app_context():
        set_thresholds(db.session, LOWERED)
        started = time.perf_counter()
        result = tiers.recalculate(db.session)
        db.session.commit()
        elapsed = time.perf_counter() - started
        set_thresholds(db.session, DEFAULT)
        tiers.recalculate(db.session)  # put the clients back for the ORM run
        db.session.commit()
    return {"seconds": elapsed, "moved": result.changed, "result": result.__dict__}


def run_orm(url: str, batch: int = 10_000) -> dict:
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.models import Client, TierChange, utcnow
    from admin_app.services import tiers

    app = make_app(url)
    with app.app_context():
        set_thresholds(db.session, LOWERED)
        started = time.perf_counter()
        ladder = tiers.load_thresholds(db.session)
        now = utcnow()
        moved = 0
        top = db.session.scalar(sa.select(sa.func.max(Client.id))) or 0
        for start in range(0, top + 1, batch):
            clients = db.session.scalars(sa.select(Client).where(
                Client.id >= start, Client.id < start + batch)).all()
            for client in clients:
                if client.tier_locked:
                    continue
                tier = tiers.evaluate(client.assets, client.annual_contribution,
                                      client.trades_12m, ladder)
                if client.tier_id != tier.id:
                    db.session.add(TierChange(client_id=client.id, from_tier_id=client.tier_id,
                                              to_tier_id=tier.id, reason="recalculation",
                                              changed_at=now))
                    client.tier_id = tier.id
                    client.tier_changed_at = now
                    moved += 1
            db.session.flush()
            db.session.expunge_all()
        db.session.commit()
        elapsed = time.perf_counter() - started
        set_thresholds(db.session, DEFAULT)
    return {"seconds": elapsed, "moved": moved}


def in_subprocess(phase: str, url: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", url],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def fresh_database(engine: str) -> tuple[str, callable]:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if engine == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"tiers-{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in
                                               OUT.glob(path.name + "*")]
    server = make_url(PG_SERVER)
    name = f"bench_tiers_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return server.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-orm", action="store_true", help="skip the slow ORM-loop baseline")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of ours")
    parser.add_argument("--phase", choices=("setup", "sql", "orm"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        if args.phase == "setup":
            setup(args.url, args.n)
            report = {}
        else:
            report = run_sql(args.url) if args.phase == "sql" else run_orm(args.url)
        report["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(report))
        return

    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        url, drop = fresh_database(engine)
        try:
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--phase", "setup", "--url", url,
                            "--n", str(args.clients)], check=True, cwd=ROOT)
            print(f"[{engine}] {args.clients:,} clients set up in "
                  f"{time.perf_counter() - started:.1f} s")
            runs = []
            for _ in range(args.repeat):
                settle(url)
                runs.append(in_subprocess("sql", url))
            seconds = [run["seconds"] for run in runs]
            median = statistics.median(seconds)
            print(f"[{engine}] set-based recalculation: median {median:.2f} s "
                  f"(min {min(seconds):.2f}, max {max(seconds):.2f}; {len(runs)} runs), "
                  f"{runs[0]['moved']:,} clients moved, "
                  f"peak {max(run['peak_mb'] for run in runs):.0f} MB")
            if not args.no_orm:
                settle(url)
                orm = in_subprocess("orm", url)
                print(f"[{engine}] ORM loop over client objects: {orm['seconds']:.2f} s, "
                      f"{orm['moved']:,} clients moved, peak {orm['peak_mb']:.0f} MB "
                      f"({orm['seconds'] / median:.0f}x slower)")
        finally:
            drop()


if __name__ == "__main__":
    main()
