"""The database itself refuses bad rows, on SQLite and on PostgreSQL.

Every refusal is checked by the constraint it names, so a test cannot pass because some
other rule happened to fire first. Bad rows are written with Core inserts/updates (the
path bulk SQL and the CLI take) and, where the ORM adds behaviour of its own, through it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from admin_app.enums import (
    AttendanceStatus,
    ClientKind,
    ClientStatus,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    EventKind,
    EventStatus,
    Gender,
    RiskProfile,
    Role,
    Severity,
    TierChangeReason,
    VisitChannel,
    VisitPurpose,
    VisitStatus,
)
from admin_app.extensions import db
from admin_app.models import (
    AuditEntry,
    Client,
    Complaint,
    Event,
    EventAttendance,
    LoginLock,
    ReferenceCounter,
    ServiceLevel,
    Tier,
    TierChange,
    User,
    UserSession,
    Visit,
)

from . import factories

NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
MISSING_ID = 987_654

MODELS: dict[str, type[db.Model]] = {
    "user": User,
    "tier": Tier,
    "client": Client,
    "tier_change": TierChange,
    "visit": Visit,
    "event": Event,
    "event_attendance": EventAttendance,
    "complaint": Complaint,
    "service_level": ServiceLevel,
    "reference_counter": ReferenceCounter,
    "login_lock": LoginLock,
    "user_session": UserSession,
}


# --- how each engine names what it refused -------------------------------------------------

def check_error(table: str, name: str) -> str:
    """Both engines quote the CHECK constraint's name (from the naming convention)."""
    return rf"\bck_{table}_{name}\b"


def not_null_error(table: str, column: str) -> str:
    return (rf"NOT NULL constraint failed: {table}\.{column}\b"
            rf'|column "{column}" of relation "{table}"')


def unique_error(table: str, *columns: str) -> str:
    sqlite = ", ".join(f"{table}.{c}" for c in columns)
    return rf'UNIQUE constraint failed: {re.escape(sqlite)}$|"uq_{table}_{"_".join(columns)}"'


def fk_error(table: str, column: str, referred: str) -> str:
    # SQLite does not say which foreign key failed; PostgreSQL names it.
    return rf'FOREIGN KEY constraint failed|"fk_{table}_{column}_{referred}"'


@contextmanager
def refused(session: Session, match: str, exc: type[Exception] = IntegrityError) -> Iterator[Any]:
    """The statements in the block (or the flush after them) raise ``exc`` matching ``match``;
    the session is rolled back afterwards, as the application would."""
    try:
        with pytest.raises(exc, match=re.compile(match, re.M)) as info:
            yield info
            session.flush()
    finally:
        session.rollback()
    assert type(info.value) is exc


# --- data ----------------------------------------------------------------------------------

@pytest.fixture
def rows(session) -> SimpleNamespace:
    """One committed row in every table, with every enum and foreign key filled in.

    ``client`` has a complaint (so it cannot be deleted); ``client_b`` has a visit, an
    attendance and a tier change but no complaint; ``event2`` has no attendances.
    """
    tiers = {t.code: t for t in session.scalars(sa.select(Tier))}
    user = factories.user(session, username="alice", full_name="Alice", password_hash="x",
                          role=Role.supervisor, department="Wealth")
    alike = {"kind": ClientKind.individual, "status": ClientStatus.active, "gender": Gender.female,
             "risk_profile": RiskProfile.balanced, "tier": tiers["gold"], "advisor": user,
             "assets": Decimal("600000.00"), "annual_contribution": Decimal("6000.00")}
    a = factories.client(session, code="C-0001", name="Client C-0001", **alike)
    b = factories.client(session, code="C-0002", name="Client C-0002", **alike)
    event = factories.event(session, title="Market outlook", kind=EventKind.lecture,
                            status=EventStatus.open, starts_at=NOW,
                            ends_at=NOW + timedelta(hours=2), capacity=30,
                            budget=Decimal("5000.00"), organizer=user)
    event2 = factories.event(session, title="Garden walk", kind=EventKind.outdoor,
                             status=EventStatus.planned, starts_at=NOW, ends_at=None)
    for c in (a, b):
        session.add(TierChange(client=c, from_tier=tiers["standard"], to_tier=tiers["gold"],
                               reason=TierChangeReason.recalculation, changed_by=user))
        visit = factories.visit(session, client=c, staff=user, channel=VisitChannel.home_visit,
                                purpose=VisitPurpose.scheduled_callback,
                                status=VisitStatus.done, scheduled_for=None, completed_at=NOW,
                                satisfaction=4)
        attendance = factories.attendance(session, event=event, client=c,
                                          status=AttendanceStatus.no_show)
    complaint = factories.complaint(
        session, reference="CP-0001", client=a, channel=ComplaintChannel.hotline,
        received_at=NOW, category=ComplaintCategory.fees, severity=Severity.high,
        assignee=user, description="Fee too high", status=ComplaintStatus.closed,
        closed_at=NOW + timedelta(days=1), closed_by=user, satisfaction=3)
    session.add_all([complaint, AuditEntry(user=user, action="create", entity="client",
                                           entity_id=str(a.id), changes={"name": "x"}),
                     LoginLock(user_id=user.id, source="10.0.0.1", failures=2),
                     UserSession(key="k" * 64, user_id=user.id, created_at=NOW,
                                 last_seen_at=NOW)])
    session.commit()
    return SimpleNamespace(
        user=user.id, client=a.id, client_b=b.id, event=event.id, event2=event2.id,
        complaint=complaint.id, visit=visit.id, attendance=attendance.id,
        **{f"tier_{code}": t.id for code, t in tiers.items()},
    )


def new_row(table: str, ids: SimpleNamespace) -> dict[str, Any]:
    """Values for a new row of ``table`` that the database accepts."""
    return {
        "user": {"username": "bob", "password_hash": "x"},
        "tier": {"code": "bronze", "name": "Bronze", "rank": 5},
        "client": {"code": "C-9999", "name": "New client", "tier_id": ids.tier_standard},
        "tier_change": {"client_id": ids.client, "to_tier_id": ids.tier_gold,
                        "reason": "manual"},
        "visit": {"client_id": ids.client, "channel": "phone", "purpose": "other"},
        "event": {"title": "Seminar", "kind": "seminar", "starts_at": NOW,
                  "ends_at": NOW + timedelta(hours=1), "capacity": 10,
                  "budget": Decimal("100.00")},
        "event_attendance": {"event_id": ids.event2, "client_id": ids.client},
        "complaint": {"reference": "CP-9999", "client_id": ids.client, "channel": "email",
                      "category": "service", "received_at": NOW, "description": "Late reply"},
        "login_lock": {"user_id": ids.user, "source": "10.0.0.2"},
    }[table]


Overrides = dict[str, Any] | Callable[[SimpleNamespace], dict[str, Any]]


def insert(session: Session, table: str, ids: SimpleNamespace, overrides: Overrides) -> None:
    values = new_row(table, ids)
    values.update(overrides(ids) if callable(overrides) else overrides)
    session.execute(sa.insert(MODELS[table]).values(**values))


def _count(session: Session, model: type[db.Model], **where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(model).filter_by(**where)
    return session.scalar(query)


# --- CHECK, UNIQUE and NOT NULL ------------------------------------------------------------

DONE = {"status": "done", "completed_at": NOW}

BAD_ROWS = [
    # negative money and counts
    ("client", {"assets": Decimal("-0.01")}, check_error("client", "assets_non_negative")),
    ("client", {"annual_contribution": Decimal("-1")},
     check_error("client", "annual_contribution_non_negative")),
    ("client", {"trades_12m": -1}, check_error("client", "trades_12m_non_negative")),
    ("tier", {"min_assets": Decimal("-0.01")}, check_error("tier", "min_assets_non_negative")),
    ("tier", {"min_annual_contribution": Decimal("-1")},
     check_error("tier", "min_annual_contribution_non_negative")),
    ("tier", {"min_trades_12m": -1}, check_error("tier", "min_trades_12m_non_negative")),
    ("event", {"budget": Decimal("-0.01")}, check_error("event", "budget_non_negative")),
    ("event", {"capacity": -1}, check_error("event", "capacity_non_negative")),
    ("complaint", {"reopened_count": -1}, check_error("complaint", "reopened_count_non_negative")),
    ("login_lock", {"failures": -1}, check_error("login_lock", "failures_non_negative")),
    # scores 1-5
    ("visit", {**DONE, "satisfaction": 0}, check_error("visit", "satisfaction_range")),
    ("visit", {**DONE, "satisfaction": 6}, check_error("visit", "satisfaction_range")),
    ("complaint", {"satisfaction": 0}, check_error("complaint", "satisfaction_range")),
    ("complaint", {"satisfaction": 6}, check_error("complaint", "satisfaction_range")),
    ("event_attendance", {"feedback_score": 0},
     check_error("event_attendance", "feedback_score_range")),
    ("event_attendance", {"feedback_score": 6},
     check_error("event_attendance", "feedback_score_range")),
    # state rules
    ("visit", {"status": "done"}, check_error("visit", "done_has_completed_at")),
    ("visit", {"status": "planned", "satisfaction": 4},
     check_error("visit", "satisfaction_only_when_done")),
    ("visit", {"status": "missed", "completed_at": NOW, "satisfaction": 3},
     check_error("visit", "satisfaction_only_when_done")),
    ("event", {"ends_at": NOW - timedelta(minutes=1)}, check_error("event", "ends_after_start")),
    ("complaint", {"status": "closed"}, check_error("complaint", "closed_has_closed_at")),
    ("complaint", {"due_at": NOW - timedelta(seconds=1)},
     check_error("complaint", "due_after_received")),
    ("client", {"tier_locked": True}, check_error("client", "locked_tier_has_reason")),
    # tier settings
    ("tier", {"callback_interval_days": 0}, check_error("tier", "callback_interval_range")),
    ("tier", {"callback_interval_days": 367}, check_error("tier", "callback_interval_range")),
    ("tier", {"rank": 0}, check_error("tier", "rank_positive")),
    ("tier", {"rank": -1}, check_error("tier", "rank_positive")),
    # uniqueness (the rows fixture and the default tiers hold the originals)
    ("client", {"code": "C-0001"}, unique_error("client", "code")),
    ("tier", {"code": "gold"}, unique_error("tier", "code")),
    ("tier", {"rank": 1}, unique_error("tier", "rank")),
    ("user", {"username": "alice"}, unique_error("user", "username")),
    ("complaint", {"reference": "CP-0001"}, unique_error("complaint", "reference")),
    ("event_attendance", lambda ids: {"event_id": ids.event},
     unique_error("event_attendance", "event_id", "client_id")),
    # NOT NULL
    ("client", {"name": None}, not_null_error("client", "name")),
    ("client", {"code": None}, not_null_error("client", "code")),
    ("client", {"kind": None}, not_null_error("client", "kind")),
    ("client", {"assets": None}, not_null_error("client", "assets")),
    ("complaint", {"description": None}, not_null_error("complaint", "description")),
    ("complaint", {"client_id": None}, not_null_error("complaint", "client_id")),
    ("complaint", {"received_at": None}, not_null_error("complaint", "received_at")),
    ("visit", {"channel": None}, not_null_error("visit", "channel")),
    ("visit", {"purpose": None}, not_null_error("visit", "purpose")),
    ("visit", {"client_id": None}, not_null_error("visit", "client_id")),
    ("event", {"title": None}, not_null_error("event", "title")),
    ("event", {"starts_at": None}, not_null_error("event", "starts_at")),
    ("event_attendance", {"client_id": None}, not_null_error("event_attendance", "client_id")),
    ("tier", {"name": None}, not_null_error("tier", "name")),
    ("tier_change", {"to_tier_id": None}, not_null_error("tier_change", "to_tier_id")),
    ("user", {"password_hash": None}, not_null_error("user", "password_hash")),
]


def _case_id(table: str, overrides: Overrides) -> str:
    if callable(overrides):
        return f"{table}-duplicate"
    return f"{table}-" + ",".join(f"{k}={v}" for k, v in overrides.items() if k != "completed_at")


def test_database_refuses_bad_rows(session, rows, subtests):
    for table, overrides, error in BAD_ROWS:
        with subtests.test(_case_id(table, overrides)), refused(session, error):
            insert(session, table, rows, overrides)


GOOD_ROWS = [
    ("user", {}), ("tier", {}), ("client", {}), ("tier_change", {}), ("visit", {}),
    ("event", {}), ("event_attendance", {}), ("complaint", {}),
    ("client", {"assets": Decimal("0"), "annual_contribution": Decimal("0")}),
    ("client", {"assets": Decimal("9999999999999999.99")}),
    ("client", {"tier_locked": True, "tier_lock_reason": "Board decision"}),
    ("tier", {"callback_interval_days": 1}),
    ("tier", {"callback_interval_days": 366}),
    ("visit", {**DONE, "satisfaction": 1}),
    ("visit", {**DONE, "satisfaction": 5}),
    ("visit", {"status": "cancelled", "satisfaction": None}),
    ("event", {"capacity": 0, "budget": Decimal("0"), "ends_at": NOW}),
    ("event", {"ends_at": None, "capacity": None, "budget": None}),
    ("event_attendance", {"feedback_score": 1}),
    ("event_attendance", {"feedback_score": 5}),
    ("complaint", {"satisfaction": 1, "due_at": NOW}),
    ("complaint", {"satisfaction": 5, "status": "closed", "closed_at": NOW}),
]


def test_database_accepts_boundary_rows(session, rows, subtests):
    """The baseline rows of the refusal tests, and the edges of each range, are accepted."""
    for table, overrides in GOOD_ROWS:
        with subtests.test(_case_id(table, overrides)):
            try:
                insert(session, table, rows, overrides)
                assert _count(session, MODELS[table]) >= 2
            finally:
                session.rollback()


def test_orm_flush_is_refused_too(session, rows):
    visit = session.scalars(sa.select(Visit)).first()
    visit.status = VisitStatus.planned
    visit.completed_at = None  # a planned visit has none (ck_visit_planned_not_completed)
    with refused(session, check_error("visit", "satisfaction_only_when_done")):
        pass
    visit = session.scalars(sa.select(Visit)).first()
    visit.satisfaction = 6
    with refused(session, check_error("visit", "satisfaction_range")):
        pass


# --- enumerations ----------------------------------------------------------------------------

ENUM_COLUMNS = [
    (table.name, column.name, column.type)
    for table in db.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, sa.Enum)
]


def test_unknown_enum_code_written_with_sql_is_refused(session, rows, subtests):
    """The CHECK constraint, not just SQLAlchemy, keeps every enum column to its codes --
    and upper-case member spellings are unknown codes too."""
    assert len(ENUM_COLUMNS) == 18
    for table, column, enum in ENUM_COLUMNS:
        assert enum.native_enum is False and enum.create_constraint is True
        # A done visit's satisfaction would trip satisfaction_only_when_done first.
        also = ", satisfaction = NULL" if (table, column) == ("visit", "status") else ""
        for bogus in ("bogus", enum.enums[0].upper()):
            with subtests.test(f"{table}.{column}={bogus}"), \
                    refused(session, check_error(table, enum.name)):
                session.execute(sa.text(f'UPDATE "{table}" SET {column} = :v{also}'),
                                {"v": bogus})


def test_unknown_enum_code_inserted_with_sql_is_refused(session, rows):
    with refused(session, check_error("client", "client_status")):
        session.execute(sa.text(
            "INSERT INTO client (code, name, kind, status, assets, annual_contribution, "
            "trades_12m, tier_locked, created_at, updated_at, version_id) "
            "VALUES ('C-X', 'X', 'individual', 'bogus', 0, 0, 0, false, "
            "'2024-01-01', '2024-01-01', 1)"
        ))


def test_unknown_enum_code_through_sqlalchemy_fails_before_sql(session, rows):
    """SQLAlchemy's Enum type (validate_strings) rejects the value while binding it, on
    both engines: a plain StatementError wrapping a LookupError, never reaching the DB."""
    with refused(session, "'bogus' is not among the defined enum values", StatementError) as e:
        session.execute(sa.insert(Client).values(code="C-X", name="X", status="bogus"))
    assert isinstance(e.value.orig, LookupError)

    client = session.get(Client, rows.client)
    client.kind = "INDIVIDUAL"
    with refused(session, "'INDIVIDUAL' is not among the defined enum values",
                 StatementError) as e:
        pass
    assert isinstance(e.value.orig, LookupError)


def test_enum_member_lookup_refuses_unknown_code():
    with pytest.raises(ValueError):
        ClientStatus("bogus")
    assert ClientStatus("active") is ClientStatus.active


def test_enums_are_stored_as_lower_case_codes(session, rows, subtests):
    for table, column, enum in ENUM_COLUMNS:
        with subtests.test(f"{table}.{column}"):
            raw = session.execute(sa.text(f'SELECT {column} FROM "{table}"')).scalars().all()
            assert raw and None not in raw, f"the rows fixture leaves {table}.{column} empty"
            for value in raw:
                assert isinstance(value, str) and value in enum.enums and value == value.lower()
            loaded = session.scalars(sa.select(getattr(MODELS[table], column))).all()
            assert all(isinstance(v, enum.enum_class) for v in loaded)
            assert sorted(v.value for v in loaded) == sorted(raw)


def test_enum_values_round_trip_by_code(session, rows):
    assert session.execute(sa.text("SELECT kind, status, gender, risk_profile FROM client "
                                   "WHERE id = :id"), {"id": rows.client}).one() == (
        "individual", "active", "female", "balanced")
    assert session.execute(sa.text("SELECT channel FROM visit")).scalars().first() == "home_visit"
    assert session.execute(sa.text("SELECT role FROM \"user\"")).scalar_one() == "supervisor"
    session.expire_all()
    client = session.get(Client, rows.client)
    assert client.kind is ClientKind.individual and client.status is ClientStatus.active


# --- foreign keys ----------------------------------------------------------------------------

FOREIGN_KEYS = [
    (fk.parent.table.name, fk.parent.name, fk.column.table.name)
    for table in db.metadata.sorted_tables
    for fk in table.foreign_keys
]


def test_foreign_keys_are_enforced(session, rows, subtests):
    """A reference to a missing row is refused -- on SQLite this proves foreign_keys=ON.
    One row is changed so that no UNIQUE constraint can fire first."""
    assert len(FOREIGN_KEYS) == 17
    for table, column, referred in FOREIGN_KEYS:
        t = db.metadata.tables[table]
        if "id" in t.c:
            where = t.c.id == sa.select(sa.func.min(t.c.id)).scalar_subquery()
        else:  # a key of its own (sessions, lock-outs): every row, there is one
            where = sa.true()
        with subtests.test(f"{table}.{column}"), \
                refused(session, fk_error(table, column, referred)):
            session.execute(sa.update(t).where(where).values({column: MISSING_ID}))


def test_visit_for_missing_client_is_refused(session, rows):
    with refused(session, fk_error("visit", "client_id", "client")):
        insert(session, "visit", rows, {"client_id": MISSING_ID})
    with refused(session, fk_error("visit", "client_id", "client")):
        session.add(Visit(client_id=MISSING_ID, channel=VisitChannel.sms,
                          purpose=VisitPurpose.other))


def _children(session: Session, client_id: int) -> tuple[int, int, int]:
    return (_count(session, Visit, client_id=client_id),
            _count(session, EventAttendance, client_id=client_id),
            _count(session, TierChange, client_id=client_id))


@pytest.mark.parametrize("how", ["sql", "orm"])
def test_deleting_client_cascades_its_history(session, rows, how):
    assert _children(session, rows.client_b) == (1, 1, 1)
    if how == "sql":
        session.execute(sa.delete(Client).where(Client.id == rows.client_b))
    else:
        session.delete(session.get(Client, rows.client_b))
    session.commit()
    assert _children(session, rows.client_b) == (0, 0, 0)
    assert _children(session, rows.client) == (1, 1, 1)


def test_orm_delete_of_client_with_loaded_tier_changes_cascades(session, rows):
    client = session.get(Client, rows.client_b)
    assert len(client.tier_changes) == 1
    session.delete(client)
    session.commit()
    assert _children(session, rows.client_b) == (0, 0, 0)


@pytest.mark.parametrize("how", ["sql", "orm"])
def test_deleting_client_with_complaints_is_restricted(session, rows, how):
    with refused(session, fk_error("complaint", "client_id", "client")):
        if how == "sql":
            session.execute(sa.delete(Client).where(Client.id == rows.client))
        else:
            session.delete(session.get(Client, rows.client))
    assert _count(session, Client, id=rows.client) == 1
    assert _count(session, Complaint, client_id=rows.client) == 1


def _on_delete(table: str, column: str) -> str | None:
    (fk,) = db.metadata.tables[table].c[column].foreign_keys
    return fk.ondelete


# What a user leaves behind stays, without them; their sessions and lock-outs go with them.
USER_REFERENCES = [(t, c) for t, c, referred in FOREIGN_KEYS
                   if referred == "user" and _on_delete(t, c) != "CASCADE"]
USER_BELONGINGS = [(t, c) for t, c, referred in FOREIGN_KEYS
                   if referred == "user" and _on_delete(t, c) == "CASCADE"]


@pytest.mark.parametrize("how", ["sql", "orm"])
def test_deleting_user_sets_references_to_null(session, rows, how):
    expected = {("client", "advisor_id"), ("visit", "staff_id"), ("complaint", "assignee_id")}
    assert expected <= set(USER_REFERENCES)

    def referencing() -> dict[tuple[str, str], int]:
        return {
            (t, c): session.scalar(sa.text(f'SELECT count(*) FROM "{t}" WHERE {c} = :u'),
                                   {"u": rows.user})
            for t, c in USER_REFERENCES
        }

    assert all(referencing().values()), referencing()
    assert set(USER_BELONGINGS) == {("login_lock", "user_id"), ("user_session", "user_id")}
    if how == "sql":
        session.execute(sa.delete(User).where(User.id == rows.user))
    else:
        session.delete(session.get(User, rows.user))
    session.commit()
    assert not any(referencing().values())
    for t, _c in USER_BELONGINGS:
        assert session.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) == 0, t
    for t, c in USER_REFERENCES:
        nulls = session.scalar(sa.text(f'SELECT count(*) FROM "{t}" WHERE {c} IS NULL'))
        assert nulls >= 1, (t, c)
    client = session.get(Client, rows.client)
    assert client.advisor_id is None and client.advisor is None


@pytest.mark.parametrize("how", ["sql", "orm"])
def test_deleting_tier_in_use_is_refused(session, rows, how):
    with refused(session, fk_error("client", "tier_id", "tier")):
        if how == "sql":
            session.execute(sa.delete(Tier).where(Tier.id == rows.tier_gold))
        else:
            session.delete(session.get(Tier, rows.tier_gold))
    assert _count(session, Tier, id=rows.tier_gold) == 1


def test_deleting_tier_named_in_history_is_refused(session, rows):
    """The default 'standard' tier has no clients in ``rows`` but appears as from_tier."""
    assert _count(session, Client, tier_id=rows.tier_standard) == 0
    with refused(session, fk_error("tier_change", "from_tier_id", "tier")):
        session.execute(sa.delete(Tier).where(Tier.id == rows.tier_standard))


def test_deleting_unused_tier_is_allowed(session, rows):
    session.execute(sa.delete(Tier).where(Tier.id == rows.tier_diamond))
    session.commit()
    assert _count(session, Tier, id=rows.tier_diamond) == 0


def test_deleting_event_cascades_attendance(session, rows):
    session.execute(sa.delete(Event).where(Event.id == rows.event))
    session.commit()
    assert _count(session, EventAttendance) == 0


# --- UTC datetimes ---------------------------------------------------------------------------

def test_utc_datetime_stores_naive_utc_and_returns_aware_utc(session, rows, is_postgres):
    shanghai = timezone(timedelta(hours=8))
    written = datetime(2024, 3, 1, 10, 30, 15, tzinfo=shanghai)
    client = session.get(Client, rows.client)
    client.risk_assessed_at = written
    session.commit()

    raw = session.execute(sa.text("SELECT risk_assessed_at FROM client WHERE id = :id"),
                          {"id": rows.client}).scalar_one()
    if is_postgres:
        assert raw == datetime(2024, 3, 1, 2, 30, 15) and raw.tzinfo is None
    else:
        assert raw == "2024-03-01 02:30:15.000000"

    session.expire_all()
    loaded = session.get(Client, rows.client).risk_assessed_at
    assert loaded == written
    assert loaded.tzinfo is UTC
    assert (loaded.hour, loaded.minute) == (2, 30)

    found = session.scalars(sa.select(Client.id).where(Client.risk_assessed_at == written)).all()
    assert found == [rows.client]


def test_utc_datetime_takes_naive_values_as_utc(session, rows):
    client = session.get(Client, rows.client)
    client.risk_assessed_at = datetime(2024, 3, 1, 2, 30)
    session.commit()
    session.expire_all()
    loaded = session.get(Client, rows.client).risk_assessed_at
    assert loaded == datetime(2024, 3, 1, 2, 30, tzinfo=UTC) and loaded.tzinfo is UTC


def test_utc_datetime_keeps_none(session, rows):
    assert session.get(Client, rows.client).risk_assessed_at is None
    event = session.get(Event, rows.event2)
    assert event.ends_at is None and event.starts_at.tzinfo is UTC


# --- optimistic locking ----------------------------------------------------------------------

VERSIONED = [
    (Client, "client", "notes"),
    (Tier, "tier_gold", "description"),
    (Complaint, "complaint", "findings"),
    (Event, "event", "location"),
    (Visit, "visit", "summary"),
    (EventAttendance, "attendance", "feedback_text"),
]
# Versioned too, without a text column to write in the tests below (issue 15).
VERSIONED_ALSO = {"service_level", "user"}


def test_versioned_models_are_exactly_the_expected_ones():
    versioned = {m.__tablename__ for m in MODELS.values()
                 if m.__mapper__.version_id_col is not None}
    assert versioned == {model.__tablename__ for model, _, _ in VERSIONED} | VERSIONED_ALSO


def test_version_id_increments_on_each_update(session, rows, subtests):
    for model, key, attr in VERSIONED:
        with subtests.test(model.__tablename__):
            obj = session.get(model, getattr(rows, key))
            assert obj.version_id == 1
            setattr(obj, attr, "first")
            session.flush()
            assert obj.version_id == 2
            setattr(obj, attr, "second")
            session.commit()
            table = model.__table__
            raw = session.scalar(sa.select(table.c.version_id).where(table.c.id == obj.id))
            assert raw == 3


def test_stale_update_after_sql_bump_is_refused(session, rows, subtests):
    """Someone changed the row with plain SQL (bumping version_id) after we loaded it."""
    for model, key, attr in VERSIONED:
        table = model.__table__
        with subtests.test(model.__tablename__), \
                refused(session, "expected to update 1 row", StaleDataError):
            obj = session.get(model, getattr(rows, key))
            session.execute(sa.update(table).where(table.c.id == obj.id)
                            .values(version_id=table.c.version_id + 1))
            setattr(obj, attr, "stale")


def test_stale_update_from_second_session_is_refused(session, rows, subtests):
    """Two users edit the same record; the second save loses instead of overwriting."""
    for model, key, attr in VERSIONED:
        with subtests.test(model.__tablename__):
            obj = session.get(model, getattr(rows, key))
            assert obj.version_id == 1
            with Session(db.engine) as other:
                setattr(other.get(model, obj.id), attr, "theirs")
                other.commit()
            with refused(session, "expected to update 1 row", StaleDataError):
                setattr(obj, attr, "mine")
            session.expire_all()
            saved = session.get(model, obj.id)
            assert (getattr(saved, attr), saved.version_id) == ("theirs", 2)


# --- engine settings and indexes --------------------------------------------------------------

def test_sqlite_runs_in_wal_mode_with_foreign_keys(session, is_postgres):
    if is_postgres:
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_lock_timeout_from_the_environment_reaches_every_connection(database_url, monkeypatch,
                                                                   is_postgres):
    from admin_app import create_app

    monkeypatch.setenv("LOCK_TIMEOUT_MS", "1234")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "CREATE_DATABASE": True})
    with app.app_context(), db.engine.connect() as conn:
        if is_postgres:
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "1234ms"
            conn.rollback()  # the setting outlives a rolled-back transaction
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "1234ms"
        else:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    with app.app_context():
        db.engine.dispose()


def _leading_columns(table: sa.Table) -> set[str]:
    leading = {table.primary_key.columns.values()[0].name} if table.primary_key else set()
    leading |= {index.columns.values()[0].name for index in table.indexes}
    leading |= {
        c.columns.values()[0].name for c in table.constraints
        if isinstance(c, sa.UniqueConstraint) and c.columns
    }
    return leading


@pytest.mark.parametrize("table", db.metadata.sorted_tables, ids=lambda t: t.name)
def test_every_foreign_key_column_is_indexed(table):
    """Each FK column leads some index, unique constraint or primary key (in the model)."""
    leading = _leading_columns(table)
    unindexed = sorted({fk.parent.name for fk in table.foreign_keys} - leading)
    assert not unindexed, f"{table.name}: foreign keys without an index: {unindexed}"


def test_every_foreign_key_column_is_indexed_in_the_database(app):
    """The same holds for the schema actually created on this engine."""
    with app.app_context():
        inspector = sa.inspect(db.engine)
        missing = _unindexed_foreign_keys(inspector)
    assert missing == []


def _unindexed_foreign_keys(inspector: sa.Inspector) -> list[str]:
    missing = []
    with warnings.catch_warnings():  # SQLite can't reflect an index on expressions
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of "
                                "expression-based index ix_visit_work_order")
        for table in inspector.get_table_names():
            leading = {c["column_names"][0] for c in inspector.get_indexes(table)}
            leading |= {c["column_names"][0] for c in inspector.get_unique_constraints(table)}
            pk = inspector.get_pk_constraint(table)["constrained_columns"]
            leading |= set(pk[:1])
            for fk in inspector.get_foreign_keys(table):
                if fk["constrained_columns"][0] not in leading:
                    missing.append(f"{table}.{fk['constrained_columns'][0]}")
    assert inspector.get_foreign_keys("visit"), "no foreign keys reflected"
    return missing
