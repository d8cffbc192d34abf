"""Attendance rows edited inline on an event's form are audited each as a record of its
own, in the event's transaction: a status changed, a row removed."""

from __future__ import annotations

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, EventAttendance

from .conftest import assert_redirect
from .conftest import form_values as page_values


def form_values(html: str) -> dict[str, str]:
    """As a browser sends them: an empty text area is "" (its first line break is
    markup)."""
    return {k: v.removeprefix("\r\n") for k, v in page_values(html).items()}


def attendance_entries(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.changes) for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "event_attendance")
            .order_by(AuditEntry.id))]


def test_an_inline_attendance_change_is_an_audit_entry_of_its_own(app, as_role, sample):
    supervisor = as_role("supervisor")
    url = f"/admin/event/edit/?id={sample['event']}"
    data = form_values(supervisor.get(url).text)
    assert data["attendances-0-status"] == "registered"
    assert_redirect(supervisor.post_form(url, {**data, "attendances-0-status": "attended"}),
                    to="/admin/event/")
    with app.app_context():
        row = db.session.scalar(sa.select(EventAttendance))
        assert row.status == "attended"
        row_id = row.id
    assert attendance_entries(app) == [("update", {"status": ["registered", "attended"]})]
    data = form_values(supervisor.get(url).text)
    assert_redirect(supervisor.post_form(url, {**data, "del-attendances-0": "y"}),
                    to="/admin/event/")
    action, changes = attendance_entries(app)[-1]
    assert action == "delete" and changes["status"] == ["attended", None]
    with app.app_context():
        assert db.session.get(EventAttendance, row_id) is None
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.entity == "event_attendance", AuditEntry.action == "delete"))
        assert entry.entity_id == str(row_id)
