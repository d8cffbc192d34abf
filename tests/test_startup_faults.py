"""Faults at start-up and under way (issue 14): a missing SQLite file stops the app with a
clear message instead of being created empty, except where it is created on purpose (the
migrations, as the first ``make run`` runs them); a PostgreSQL connection whose server
process was terminated costs no user an error (``pool_pre_ping``).

The command-line cases run the real ``flask`` and ``gunicorn`` in a process of their own,
as an operator would."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from admin_app import create_app
from admin_app.config import DatabaseMissing
from admin_app.extensions import db

from .conftest import Browser

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONFIG = {"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"}


def sqlite_only(is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("an SQLite file")


def test_a_missing_database_file_stops_create_app(is_postgres, tmp_path, caplog):
    sqlite_only(is_postgres)
    path = tmp_path / "clientcare.db"
    with caplog.at_level(logging.ERROR), pytest.raises(DatabaseMissing) as stopped:
        create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    message = stopped.value.format_message()
    for said in (str(path), "does not exist", "flask --app admin_app db upgrade", "make run",
                 "DATABASE_URL"):
        assert said in message
    assert message in caplog.text  # in the log as well
    assert not path.exists()  # and nothing was created


def test_create_database_lets_it_be_created(is_postgres, tmp_path):
    sqlite_only(is_postgres)
    path = tmp_path / "clientcare.db"
    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "CREATE_DATABASE": True})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert path.exists()


def test_an_existing_file_and_other_databases_start(app, database_url):
    create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})  # created by `app`
    create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})  # in memory


def run(args: list[str], database: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "x",
           "PYTHONPATH": str(ROOT)}
    env.pop("CREATE_DATABASE", None)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "admin_app", *args]


def test_commands_refuse_a_missing_file_and_the_migrations_create_it(is_postgres, tmp_path):
    """As the first ``make run``: ``db upgrade`` creates the database, then the demo is
    made; before it, a command that needs the database says what to do, with status 1."""
    sqlite_only(is_postgres)
    path = tmp_path / "clientcare.db"
    refused = run(flask("seed", "--clients", "0"), path)
    assert refused.returncode == 1, refused.stderr
    assert "does not exist" in refused.stderr and "db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not path.exists()
    migrated = run(flask("db", "upgrade"), path)
    assert migrated.returncode == 0, migrated.stderr
    assert path.exists()
    seeded = run(flask("seed", "--clients", "0"), path)
    assert seeded.returncode == 0, seeded.stderr
    assert "Created 4 default tiers." in seeded.stdout


@pytest.mark.parametrize("server", ["gunicorn", "flask run"])
def test_the_server_does_not_start_on_a_missing_file(is_postgres, tmp_path, server):
    sqlite_only(is_postgres)
    path = tmp_path / "clientcare.db"
    args = ([str(BIN / "gunicorn"), "--bind", "127.0.0.1:5083", "admin_app:create_app()"]
            if server == "gunicorn" else flask("run", "--port", "5083"))
    try:
        stopped = run(args, path, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{server} kept running on a missing database file")
    assert stopped.returncode != 0
    assert f"The database file {path} does not exist" in stopped.stderr
    assert not path.exists()


# --- PostgreSQL: a server process terminated under a pooled connection ---------------------


def terminate_other_backends(database_url: str) -> int:
    """``pg_terminate_backend`` every other connection to the database, from a connection
    of its own; returns how many were terminated."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    engine.dispose()
    return int(ended)


@pytest.mark.parametrize("pre_ping", [True, False])
def test_a_terminated_backend_costs_no_user_an_error(app, users, database_url, is_postgres,
                                                     pre_ping):
    """With the app's settings the next request gets a fresh connection; without
    ``pool_pre_ping`` the same request would hit the dead one (which shows what the
    setting does, and that this test can fail)."""
    if not is_postgres:
        pytest.skip("PostgreSQL's server processes")
    options = {} if pre_ping else {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}}
    served = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **options})
    assert served.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is pre_ping
    user = Browser(served.test_client())
    user.login("staff")
    assert user.get("/admin/client/").status_code == 200  # a pooled connection
    assert terminate_other_backends(database_url) >= 1
    page = user.get("/admin/client/")
    if pre_ping:
        assert page.status_code == 200
        assert user.get("/admin/visit/").status_code == 200
    else:
        assert page.status_code != 200
    with served.app_context():
        db.engine.dispose()
