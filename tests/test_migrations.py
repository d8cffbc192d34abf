"""The committed migrations build exactly the schema the models declare, on both engines."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.extensions import db
from admin_app.services.constraints import CONSTRAINTS


@pytest.fixture
def empty_database_url(database_server, tmp_path):
    if database_server is None:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    base = make_url(database_server)
    name = f"clientcare_mig_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def test_migrations_match_models_and_downgrade(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_existing_service_levels_keep_counting_calendar_days(empty_database_url):
    """Rows written before 0005 (how days are counted) count calendar days after it."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO service_level (severity, days, updated_at) "
                                 "VALUES ('high', 5, '2026-11-01 00:00:00')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT severity, days, counted_in FROM service_level")
                                ).all() == [("high", 5, "calendar")]
        db.engine.dispose()


def test_migrated_constraints_carry_the_names_the_field_messages_know(empty_database_url):
    """The CHECK and UNIQUE constraints the migrations create are named as the models'
    naming convention names them, on either engine: the names a refused write reports are
    the keys of ``services.constraints`` (which puts its message beside the field)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        named = set()
        for table in db.metadata.sorted_tables:
            named |= {c["name"] for c in inspector.get_check_constraints(table.name)}
            named |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
        db.engine.dispose()
    assert named == set(CONSTRAINTS)
