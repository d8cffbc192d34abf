"""The committed migrations build exactly the schema the models declare, on both engines."""

from __future__ import annotations

import re
import uuid
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import VISIT_WORK_ORDER, Visit
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


# Indexes on expressions: SQLite's reflection can't read them (SQLAlchemy warns and skips
# them) and PostgreSQL hands them back rewritten, so the comparison leaves them out and
# ``test_expression_indexes_serve_their_queries`` checks each by what it is for.
EXPRESSION_INDEXES = {"ix_visit_work_order"}


def _not_an_expression_index(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def test_migrations_match_models_and_downgrade(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "CREATE_DATABASE": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            for index in EXPRESSION_INDEXES:  # SQLite: SQLAlchemy's and alembic's notices
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of "
                                        f"expression-based index {index}")
                warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified "
                                        f"expression-based index '{index}'")
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": _not_an_expression_index})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_existing_service_levels_keep_counting_calendar_days(empty_database_url):
    """Rows written before 0005 (how days are counted) count calendar days after it."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "CREATE_DATABASE": True})
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
                      "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "CREATE_DATABASE": True})
    with app.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        named = set()
        with warnings.catch_warnings():
            for index in EXPRESSION_INDEXES:  # SQLite can't reflect them; not constraints
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of "
                                        f"expression-based index {index}")
            for table in db.metadata.sorted_tables:
                named |= {c["name"] for c in inspector.get_check_constraints(table.name)}
                named |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
        db.engine.dispose()
    assert named == set(CONSTRAINTS)


def test_expression_indexes_serve_their_queries(empty_database_url):
    """The migrated visits table reads the list's default order (what needs doing first)
    from ix_visit_work_order: its expressions are the query's own on each engine."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "CREATE_DATABASE": True})
    with app.app_context():
        upgrade()
        query = sa.select(Visit.id).order_by(*VISIT_WORK_ORDER).limit(20)
        with db.engine.connect() as conn:
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            if conn.dialect.name == "postgresql":  # no sorting, no scan, when it can help it
                conn.execute(sa.text("SET enable_sort = off"))
                conn.execute(sa.text("SET enable_seqscan = off"))
                plan = conn.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
            else:
                plan = [row[-1] for row in conn.execute(
                    sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]
        text = "\n".join(plan)
        assert "ix_visit_work_order" in text, text
        assert "Sort" not in text and "TEMP B-TREE" not in text, text
        db.engine.dispose()


def test_existing_phone_numbers_become_canonical(empty_database_url, capfd):
    """0006 rewrites every valid number in its canonical form, over several batches; a
    value that is no valid number stays as it was and is reported with its client."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "CREATE_DATABASE": True})
    typed = {  # code: (as stored before, as stored after)
        "A1": ("138 1234 5678", "13812345678"),
        "A2": ("+86 138-1234-5679", "13812345679"),
        "A3": ("8613812345670", "13812345670"),
        "A4": ("010-12345678", "+861012345678"),
        "A5": ("0571 8888 8888", "+8657188888888"),
        "A6": ("+852 9123 4567", "+85291234567"),
        "A7": ("+886 912 345 678", "+886912345678"),
        "A8": ("13912345678", "13912345678"),  # canonical already
        "A9": ("138-1234", "138-1234"),  # no valid number: left, reported
        "B1": ("call the office", "call the office"),  # likewise
        "B2": ("   ", None),  # blank: empty
        "B3": (None, None),
    }
    filler = 2_100  # more than two batches of 1,000 before the last rows
    with app.app_context():
        upgrade(revision="0005")
        rows = [{"code": f"F{n:05d}", "phone": f"139 {n:04d} 0000"} for n in range(filler)]
        rows += [{"code": code, "phone": before} for code, (before, _after) in typed.items()]
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO client (code, name, kind, status, assets, annual_contribution, "
                "trades_12m, tier_locked, created_at, updated_at, version_id, phone) "
                "VALUES (:code, 'x', 'individual', 'active', 0, 0, 0, false, "
                "'2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, :phone)"), rows)
        capfd.readouterr()
        upgrade()
        report = capfd.readouterr().err
        with db.engine.connect() as conn:
            after = dict(conn.execute(sa.text("SELECT code, phone FROM client")).all())
        db.engine.dispose()
    assert {code: after[code] for code in typed} == {
        code: expected for code, (_before, expected) in typed.items()}
    assert after["F00000"] == "13900000000" and after[f"F{filler - 1:05d}"] == "13920990000"
    assert "2 client phone numbers are not valid numbers" in report
    codes = re.search(r"\(id code\): (.*)", report).group(1)
    assert [c.split()[1] for c in codes.split(", ")] == ["A9", "B1"]
    assert "138-1234" not in report and "office" not in report  # no personal data in logs


def test_existing_callback_dates_are_brought_into_line_with_the_cadence(empty_database_url):
    """0009: rows written before the services kept the cadence get the dates it gives;
    0014: the dates stored then are kept as what they follow (the last callback, or a
    date of their own where it was brought forward), and read back the same."""
    from datetime import UTC, datetime, timedelta

    from admin_app.models import Client, Tier, Visit

    app = create_app({"TESTING": True, "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "CREATE_DATABASE": True})
    old_visit = sa.table("visit", *(sa.column(name, Visit.__table__.c[name].type) for name in
                                    ("client_id", "channel", "purpose", "status",
                                     "completed_at")))
    old_client = sa.table("client", *(
        sa.column(name, Client.__table__.c[name].type) for name in
        ("id", "code", "name", "kind", "status", "assets", "annual_contribution",
         "trades_12m", "tier_id", "tier_locked", "last_callback_at", "created_at",
         "updated_at", "version_id")), sa.column("next_callback_due", sa.DateTime()))
    oct_1, nov_20 = datetime(2026, 10, 1, 2, 0), datetime(2026, 11, 20, 2, 0)
    created = datetime(2025, 3, 1, 2, 0)
    half_year = timedelta(days=182)
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Tier.__table__), [{
                "id": 1, "code": "gold", "name": "Gold", "rank": 1, "min_assets": 0,
                "min_annual_contribution": 0, "min_trades_12m": 0, "callback_interval_days": 182,
                "version_id": 1, "updated_at": created}])
            rows = {  # code: status, last callback stored, due stored, done visits
                "LATER": ("active", oct_1, oct_1 + half_year, [oct_1, nov_20]),
                "RIGHT": ("active", oct_1, oct_1 + half_year, [oct_1]),
                "NEVER": ("active", None, None, []),
                "CLOSED": ("closed", oct_1, oct_1 + half_year, [oct_1]),
                "PROSPECT": ("prospect", None, created, []),
                "NOVISIT": ("dormant", oct_1, None, []),
            }
            for n, (code, (status, last, due, visits)) in enumerate(rows.items(), 1):
                conn.execute(sa.insert(old_client).values(
                    id=n, code=code, name=code, kind="individual", status=status, assets=0,
                    annual_contribution=0, trades_12m=0, tier_id=1, tier_locked=False,
                    last_callback_at=last, next_callback_due=due, created_at=created,
                    updated_at=created, version_id=1))
                for moment in visits:  # the visit table as it was at 0008 (no version)
                    conn.execute(sa.insert(old_visit).values(
                        client_id=n, channel="phone", purpose="scheduled_callback",
                        status="done", completed_at=moment))
        upgrade(revision="0009")
        with db.engine.connect() as conn:
            stored = {code: (last, due) for code, last, due in conn.execute(
                sa.select(old_client.c.code, old_client.c.last_callback_at,
                          old_client.c.next_callback_due))}
        with db.engine.begin() as conn:  # made active again in the meantime: due at once
            conn.execute(sa.insert(old_client).values(
                id=7, code="FORWARD", name="F", kind="individual", status="active", assets=0,
                annual_contribution=0, trades_12m=0, tier_id=1, tier_locked=False,
                last_callback_at=oct_1, next_callback_due=nov_20, created_at=created,
                updated_at=created, version_id=1))
        upgrade()
        got = {c.code: (c.last_callback_at, c.next_callback_due, c.cadence_anchor, c.due_fixed)
               for c in db.session.scalars(sa.select(Client))}
        copies = {c.code: c.due_copy for c in db.session.scalars(sa.select(Client))}
        db.session.remove()
        db.engine.dispose()

    def utc(moment):
        return moment.replace(tzinfo=UTC) if moment else None

    def moment(value):  # SQLite's dates computed in SQL come back as text
        if value is None:
            return None
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)

    assert {code: (moment(last), moment(due)) for code, (last, due) in stored.items()} == {
        "LATER": (nov_20, nov_20 + half_year),
        "RIGHT": (oct_1, oct_1 + half_year),
        "NEVER": (None, created + timedelta(days=7)),
        "CLOSED": (oct_1, None),
        "PROSPECT": (None, None),
        "NOVISIT": (oct_1, oct_1 + half_year),
    }
    assert got == {  # last callback, due date, anchor, set date
        "LATER": (utc(nov_20), utc(nov_20 + half_year), utc(nov_20), None),
        "RIGHT": (utc(oct_1), utc(oct_1 + half_year), utc(oct_1), None),
        "NEVER": (None, utc(created + timedelta(days=7)), None,
                  utc(created + timedelta(days=7))),
        "CLOSED": (utc(oct_1), None, None, None),
        "PROSPECT": (None, None, None, None),
        "NOVISIT": (utc(oct_1), utc(oct_1 + half_year), utc(oct_1), None),
        "FORWARD": (utc(oct_1), utc(nov_20), None, utc(nov_20)),
    }
    assert {code: copy.replace(microsecond=0) if copy else None  # the copy for reports
            for code, copy in copies.items()} == {code: due for code, (_l, due, _a, _f)
                                                  in got.items()}


def test_a_database_with_data_upgrades_to_the_head(empty_database_url):
    """A database in use (the demo's records, which refer to one another) takes every
    migration after 0012 (taken down to it and up again, its due dates unchanged): on
    SQLite, those that copy a table other rows refer to (adding a
    CHECK to users and clients) run with foreign keys off, checked before the commit."""
    from admin_app.models import Client, User

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DEMO_PASSWORD": "Demo-2026-pass!",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url, "CREATE_DATABASE": True,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade()  # the demo writes today's schema; the data is taken back to 0012 and up
        result = app.test_cli_runner().invoke(args=["demo", "--clients", "30"])
        assert result.exit_code == 0, result.output
        before = {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
                  for m in (User, Client, Visit)}
        dues = {c.id: c.next_callback_due for c in db.session.scalars(sa.select(Client))}
        db.session.remove()
        downgrade(revision="0012")
        upgrade()
        with db.engine.connect() as conn:
            head = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            indexes = conn.scalar(sa.text(  # SQLite's reflection skips expression indexes
                "SELECT count(*) FROM sqlite_master WHERE name = 'ix_visit_work_order'"
                if conn.dialect.name == "sqlite" else
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_visit_work_order'"))
            assert indexes == 1
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        after = {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (User, Client, Visit)}
        assert {c.id: c.next_callback_due.replace(microsecond=0) if c.next_callback_due
                else None for c in db.session.scalars(sa.select(Client))} == {
            i: due.replace(microsecond=0) if due else None for i, due in dues.items()}
        db.session.remove()
        db.engine.dispose()
    assert head == "0015" and after == before and before["visit"] > 0
