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


def test_existing_callback_dates_are_brought_into_line_with_the_cadence(empty_database_url):
    """0005: rows written before the services kept the cadence get the dates it gives."""
    from datetime import UTC, datetime, timedelta

    from admin_app.models import Client, Tier, Visit

    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    oct_1, nov_20 = datetime(2026, 10, 1, 2, 0), datetime(2026, 11, 20, 2, 0)
    created = datetime(2025, 3, 1, 2, 0)
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Tier.__table__), [{
                "id": 1, "code": "gold", "name": "Gold", "rank": 1, "min_assets": 0,
                "min_annual_contribution": 0, "min_trades_12m": 0, "callback_interval_days": 182,
                "version_id": 1, "updated_at": created}])
            rows = {  # code: status, last callback stored, due stored, done visits
                "LATER": ("active", oct_1, oct_1 + timedelta(days=182), [oct_1, nov_20]),
                "RIGHT": ("active", oct_1, oct_1 + timedelta(days=182), [oct_1]),
                "NEVER": ("active", None, None, []),
                "CLOSED": ("closed", oct_1, oct_1 + timedelta(days=182), [oct_1]),
                "PROSPECT": ("prospect", None, created, []),
                "NOVISIT": ("dormant", oct_1, None, []),
            }
            for n, (code, (status, last, due, visits)) in enumerate(rows.items(), 1):
                conn.execute(sa.insert(Client.__table__).values(
                    id=n, code=code, name=code, kind="individual", status=status, assets=0,
                    annual_contribution=0, trades_12m=0, tier_id=1, tier_locked=False,
                    last_callback_at=last, next_callback_due=due, created_at=created,
                    updated_at=created, version_id=1))
                for moment in visits:
                    conn.execute(sa.insert(Visit.__table__).values(
                        client_id=n, channel="phone", purpose="scheduled_callback",
                        status="done", completed_at=moment))
        upgrade()
        got = {c.code: (c.last_callback_at, c.next_callback_due)
               for c in db.session.scalars(sa.select(Client))}
        db.session.remove()
        db.engine.dispose()

    def utc(moment):
        return moment.replace(tzinfo=UTC) if moment else None

    half_year = timedelta(days=182)
    assert got == {
        "LATER": (utc(nov_20), utc(nov_20 + half_year)),
        "RIGHT": (utc(oct_1), utc(oct_1 + half_year)),
        "NEVER": (None, utc(created + timedelta(days=7))),
        "CLOSED": (utc(oct_1), None),
        "PROSPECT": (None, None),
        "NOVISIT": (utc(oct_1), utc(oct_1 + half_year)),
    }
