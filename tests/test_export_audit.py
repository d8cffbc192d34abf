"""An export is audited before its first byte leaves, and completed at the end (issue 14).

The audit entry is read from a connection of its own while the response is still being
consumed, as an operator would see it; the lock that refuses an export is held by a second
real connection, and the refused insert is refused by the database itself (a trigger).
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client
from admin_app.services.exports import render

from .conftest import Browser


@pytest.fixture
def clients(app, users):
    """23 clients named 客户00 … 客户22 (the search "客户" finds them all)."""
    with app.app_context():
        db.session.execute(sa.insert(Client), [
            {"code": f"E{i:03d}", "name": f"客户{i:02d}", "kind": "individual",
             "status": "active", "assets": Decimal(i), "annual_contribution": Decimal(0),
             "trades_12m": 0, "tier_locked": False, "version_id": 1,
             "created_at": datetime(2026, 1, 1, tzinfo=UTC),
             "updated_at": datetime(2026, 1, 1, tzinfo=UTC)} for i in range(23)])
        db.session.commit()


@pytest.fixture
def outside(database_url):
    """A connection of its own to the same database, as an operator's."""
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def export_entries(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT changes, user_id FROM audit_entry "
                                    "WHERE action = 'export' ORDER BY id")).all()
    return [{**(row[0] if isinstance(row[0], dict) else json.loads(row[0])),
             "user_id": row[1]} for row in rows]


@contextmanager
def streaming(response):
    """The streamed response, closed at the end even when an assertion fails first (an
    open one would keep its request's context pushed for the tests after it)."""
    try:
        yield response
    finally:
        response.close()


def csv_rows(body: bytes) -> int:
    return len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) - 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_audit_entry_exists_before_the_first_byte_and_is_completed(
        as_role, clients, users, outside, monkeypatch, fmt):
    monkeypatch.setattr(render, "BATCH", 5)
    supervisor = as_role("supervisor")
    with streaming(supervisor.client.get(
            f"/admin/client/export/{fmt}/?search=客户1&sort=6&desc=1", buffered=False)) \
            as response:
        assert response.status_code == 200
        chunks = iter(response.response)
        (before,) = export_entries(outside)  # not one byte read yet
        assert before["status"] == "started" and before["rows"] == 0
        assert before["expected_rows"] == 10  # 客户10 … 客户19
        assert before["search"] == "客户1" and before["sort"] == "assets"
        assert before["descending"] is True and before["format"] == fmt
        assert before["user_id"] == users["supervisor"]
        body = b"".join(chunks)
    started, after = export_entries(outside)  # the first entry stays as written
    assert started["status"] == "started" and started["rows"] == 0
    assert after["status"] == "finished" and after["rows"] == 10
    assert after["expected_rows"] == 10 and isinstance(after["started_entry"], int)
    if fmt == "csv":
        assert csv_rows(body) == 10


def test_a_response_closed_early_is_recorded_as_cut_off_with_the_rows_sent(
        as_role, clients, outside, monkeypatch):
    monkeypatch.setattr(render, "BATCH", 5)
    with streaming(as_role("supervisor").client.get("/admin/client/export/csv/",
                                                    buffered=False)) as response:
        chunks = iter(response.response)
        header, first, second = next(chunks), next(chunks), next(chunks)
    # the client went away: the server closed the response
    received, written = csv_rows(header + first + second), csv_rows(header + first)
    assert 0 < written < received < 23
    _started, entry = export_entries(outside)
    assert entry["status"] == "cut off" and entry["expected_rows"] == 23
    # Sent: the rows of every chunk the server came back for after writing it; it never
    # came back after the second batch.
    assert entry["rows"] == written


@pytest.fixture
def write_lock(database_url, is_postgres):
    """Another writer holding the lock an audit insert needs, on a real second connection:
    SQLite's one write lock, PostgreSQL's lock on the audit table."""
    engine = sa.create_engine(database_url)
    conn = engine.connect()
    if is_postgres:
        conn.execute(sa.text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    yield
    conn.rollback()
    conn.close()
    engine.dispose()


@pytest.fixture
def refusing_audit(database_url, is_postgres):
    """The database refuses every new audit entry (a trigger), as a failing insert."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        if is_postgres:
            conn.execute(sa.text(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit refused'; END $$"))
            conn.execute(sa.text("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"))
        else:
            conn.execute(sa.text("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry "
                                 "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"))
    yield
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER refuse_audit" + (" ON audit_entry"
                                                           if is_postgres else "")))
        if is_postgres:
            conn.execute(sa.text("DROP FUNCTION refuse_audit()"))
    engine.dispose()


def assert_refused(response, message: str, outside) -> None:
    with streaming(response):
        assert response.status_code == 200, response.status_code  # the list, with the message
        assert "attachment" not in response.headers.get("Content-Disposition", "")
        assert response.mimetype == "text/html"
        assert message in response.text
        assert export_entries(outside) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_whose_audit_is_locked_out_is_not_sent(impatient, clients, outside,
                                                         request, fmt):
    supervisor = Browser(impatient.test_client())
    supervisor.login("supervisor")
    request.getfixturevalue("write_lock")
    response = supervisor.get(f"/admin/client/export/{fmt}/?search=客户",
                              follow_redirects=True)
    assert_refused(response, "These records are busy with another change", outside)


def test_an_export_whose_audit_insert_fails_is_not_sent(as_role, clients, outside, request):
    supervisor = as_role("supervisor")
    request.getfixturevalue("refusing_audit")
    response = supervisor.get("/admin/client/export/csv/", follow_redirects=True)
    assert_refused(response, "could not be recorded in the audit log", outside)


def test_the_export_selected_action_is_audited_first_too(app, as_role, clients, outside):
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Client.id).limit(3)))
    with streaming(as_role("admin").post_form(
            "/admin/client/action/", {"action": "export_selected", "rowid": ids},
            token_url="/admin/client/", buffered=False)) as response:
        (entry,) = export_entries(outside)
        assert (entry["status"], entry["expected_rows"], entry["scope"]) == (
            "started", 3, "selected")
        assert csv_rows(b"".join(response.response)) == 3
    assert [e["status"] for e in export_entries(outside)] == ["started", "finished"]


def test_the_command_line_export_is_audited_before_and_after(app, clients, outside, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", "clients", "-o",
                                                str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    _started, entry = export_entries(outside)
    assert (entry["status"], entry["rows"], entry["expected_rows"]) == ("finished", 23, 23)


def test_the_command_line_export_is_refused_when_its_audit_is_locked_out(
        impatient, clients, outside, tmp_path, request):
    request.getfixturevalue("write_lock")
    target = tmp_path / "c.csv"
    result = impatient.test_cli_runner().invoke(args=["export", "clients", "-o", str(target)])
    assert result.exit_code == 1
    assert "busy" in result.output
    assert not target.exists()
    assert export_entries(outside) == []


def test_an_export_of_personal_data_names_the_columns_it_carried_unmasked(
        as_role, clients, outside):
    supervisor = as_role("supervisor")  # sees personal data unmasked (see_pii)
    for path in ("/admin/client/export/csv/?search=客户1", "/admin/visit/export/csv/"):
        with streaming(supervisor.client.get(path, buffered=False)) as response:
            assert response.status_code == 200
            b"".join(response.response)
    entries = export_entries(outside)
    clients_started, clients_done, visits_started, visits_done = entries
    assert sorted(clients_started["personal_data"]) == ["email", "id_number", "phone"]
    assert clients_done["personal_data"] == clients_started["personal_data"]
    assert "personal_data" not in visits_started and "personal_data" not in visits_done
    with outside.connect() as conn:
        first = conn.scalar(sa.text("SELECT min(id) FROM audit_entry WHERE action = 'export'"))
    page = supervisor.get(f"/admin/audit/details/?id={first}").text
    assert "Personal data, unmasked" in page and "ID number" in page
