"""A fault in the middle of a write loses nothing and leaves nothing half-written.

The fault is the database's own: a trigger makes the write of the audit entry fail, after
the record itself was written in the same transaction (the audit entry is the last thing
each save writes). Each save then has written nothing -- neither the record, nor the
client's moved schedule, nor an audit entry --, the user reads a message, never a 500, and
once the fault is gone the same save goes through. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Visit

from .conftest import assert_redirect, form_values

FAULT = "simulated disk fault"


@contextmanager
def failing_audit(app) -> Iterator[None]:
    """Every INSERT into the audit log fails inside the database until the block ends."""
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(
                    "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_entry "
                    f"BEGIN SELECT RAISE(ABORT, '{FAULT}'); END")
            else:
                conn.exec_driver_sql(
                    "CREATE FUNCTION audit_fault() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$$ BEGIN RAISE EXCEPTION '{FAULT}'; END $$")
                conn.exec_driver_sql(
                    "CREATE TRIGGER audit_fault BEFORE INSERT ON audit_entry "
                    "FOR EACH ROW EXECUTE FUNCTION audit_fault()")
    try:
        yield
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_fault" if conn.dialect.name == "sqlite"
                                 else "DROP TRIGGER audit_fault ON audit_entry")
            if conn.dialect.name != "sqlite":
                conn.exec_driver_sql("DROP FUNCTION audit_fault()")


def state(app, client_id: int) -> tuple:
    with app.app_context():
        client = db.session.get(Client, client_id)
        return (client.name, client.version_id, client.last_callback_at,
                client.next_callback_due,
                db.session.scalar(sa.select(sa.func.count()).select_from(Visit)),
                db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
                    AuditEntry.action.in_(["create", "update", "delete"]))))


def test_a_client_edit_cut_off_by_a_fault_is_not_half_saved(app, as_role, sample):
    staff = as_role("staff")
    url = f"/admin/client/edit/?id={sample['client']}"
    data = {**form_values(staff.get(url).text), "name": "王大明"}
    before = state(app, sample["client"])
    with failing_audit(app):
        response = staff.post_form(url, data)
    assert response.status_code == 200  # the form again, with a message
    assert "Nothing was saved" in response.text and "Traceback" not in response.text
    assert state(app, sample["client"]) == before
    assert_redirect(staff.post_form(url, data), to="/admin/client/")  # the same save, now
    assert state(app, sample["client"])[0] == "王大明"


def test_a_done_callback_cut_off_by_a_fault_moves_no_schedule(app, as_role, users, sample):
    staff = as_role("staff")
    data = {"client": str(sample["client"]), "staff": str(users["staff"]),
            "channel": "phone", "purpose": "scheduled_callback", "status": "done",
            "completed_at": "2026-11-20 10:00:00", "satisfaction": "5", "summary": "Called"}
    before = state(app, sample["client"])
    with failing_audit(app):
        response = staff.post_form("/admin/visit/new/", data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.text
    assert state(app, sample["client"]) == before  # no visit, no schedule moved, no entry
    assert_redirect(staff.post_form("/admin/visit/new/", data), to="/admin/visit/")
    after = state(app, sample["client"])
    assert after[2] == datetime(2026, 11, 20, 2, 0, tzinfo=UTC) and after[4] == before[4] + 1


@pytest.mark.parametrize("step", ["assess"])
def test_a_complaint_step_cut_off_by_a_fault_changes_nothing(app, as_role, sample, step):
    from admin_app.models import Complaint

    supervisor = as_role("supervisor")
    details = f"/admin/complaint/details/?id={sample['complaint']}"
    supervisor.get(f"{details}&lang=zh_Hans")
    with failing_audit(app):  # sent from the complaint's page, as a browser does
        response = supervisor.client.post(
            "/admin/complaint/transition/", query_string={"id": sample["complaint"]},
            data={"step": step, "csrf_token": supervisor.token_from(details)},
            headers={"Referer": f"http://localhost{details}"}, follow_redirects=True)
    assert response.status_code == 200 and "Traceback" not in response.text
    assert "未保存任何内容" in response.text, response.text[:3000]  # back on the page, told
    with app.app_context():
        complaint = db.session.get(Complaint, sample["complaint"])
        assert (complaint.status, complaint.version_id) == ("received", 1)
    supervisor.post_form(f"/admin/complaint/transition/?id={sample['complaint']}",
                         {"step": step}, token_url=details)
    with app.app_context():
        assert db.session.get(Complaint, sample["complaint"]).status == "assessing"


def test_a_refused_write_with_no_page_to_return_to_is_a_page_of_its_own(app, as_role, sample):
    supervisor = as_role("supervisor")
    details = f"/admin/complaint/details/?id={sample['complaint']}"
    with failing_audit(app):
        response = supervisor.post_form(
            f"/admin/complaint/transition/?id={sample['complaint']}", {"step": "assess"},
            token_url=details)
    assert response.status_code == 409
    assert "Nothing was saved" in response.text and "Traceback" not in response.text
    assert supervisor.get(details).status_code == 200  # and the next request works
