"""Time ``flask --app admin_app seed --clients N`` on a fresh database, per engine.

The seed command is what operators and ``make run`` use, so it is timed as a whole
process (start-up, generation, inserts, commit) against an empty schema with the default
tiers, the way a new installation meets it. Each run gets its own database -- a SQLite
file under bench/out/ or a PostgreSQL database ``bench_seed_<random>`` that is dropped
afterwards -- so runs never see each other's rows.

    .venv/bin/python bench/bench_seed.py                      # 100,000 clients, both engines
    .venv/bin/python bench/bench_seed.py --clients 20000 --engine sqlite

The PostgreSQL server is taken from --postgres-url, else BENCH_DATABASE_URL, else
TEST_DATABASE_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test; only a new
database is created on it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import admin_app.models  # noqa: F401  (registers the tables on the metadata)
from admin_app import sql
from admin_app.config import normalise_database_url
from admin_app.extensions import db
from seed.tiers import ensure_default_tiers

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def sqlite_database(keep: bool) -> Iterator[str]:
    """A new SQLite file in WAL mode (as the app configures it)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench_seed_{uuid.uuid4().hex[:8]}.db"
    try:
        yield f"sqlite:///{path}"
    finally:
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgresql_database(server_url: str, keep: bool) -> Iterator[str]:
    """A new database on the server of ``server_url``, dropped afterwards."""
    server = make_url(normalise_database_url(server_url))
    name = f"bench_seed_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str) -> None:
    """Schema and default tiers, as ``flask db upgrade`` plus ``seed`` would leave them."""
    engine = sa.create_engine(url)
    sql.configure_engine(engine, lock_timeout_ms=5000)  # as the app does: WAL on SQLite
    db.metadata.create_all(engine)
    with Session(engine) as session:
        ensure_default_tiers(session)
        session.commit()
    engine.dispose()


def client_count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM client")).scalar_one()
    engine.dispose()
    return count


def run_seed(url: str, clients: int, random_seed: int) -> tuple[float, str]:
    """Seconds taken by the seed command, and what it printed last."""
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "SECRET_KEY": "bench"}
    command = [sys.executable, "-m", "flask", "--app", "admin_app", "seed",
               "--clients", str(clients), "--random-seed", str(random_seed)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"seed failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return elapsed, lines[-1] if lines else ""


def bench(engine: str, args: argparse.Namespace) -> float:
    if engine == "sqlite":
        database = sqlite_database(args.keep)
    else:
        server = (args.postgres_url or os.environ.get("BENCH_DATABASE_URL")
                  or os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER)
        database = postgresql_database(server, args.keep)
    with database as url:
        prepare(url)
        elapsed, summary = run_seed(url, args.clients, args.random_seed)
        written = client_count(url)
        if written != args.clients:
            # instance/config.py may pin SQLALCHEMY_DATABASE_URI over DATABASE_URL.
            sys.exit(f"{engine}: expected {args.clients} clients in {url}, found {written}")
        print(f"{engine:<10} {args.clients:>9,} clients  {elapsed:7.2f} s  "
              f"({args.clients / elapsed:,.0f} clients/s)")
        print(f"{'':<10} {summary}")
        if args.keep:
            print(f"{'':<10} kept {make_url(url).render_as_string()}")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--random-seed", type=int, default=1)
    parser.add_argument("--postgres-url", help="server to create the scratch database on")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        bench(engine, args)


if __name__ == "__main__":
    main()
