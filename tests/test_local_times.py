"""Date-time fields in forms speak the user's time zone, as every other screen does, and
store UTC; a save that changes nothing writes no change of time to the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Complaint, User
from admin_app.services import complaints

from .conftest import form_values

STORED = datetime(2026, 11, 20, 9, 20, 42, 123456, tzinfo=UTC)


@pytest.fixture
def assessed(app, sample) -> int:
    with app.app_context():
        db.session.get(Client, sample["client"]).risk_assessed_at = STORED
        db.session.commit()
    return sample["client"]


def edit_page(browser, client_id: int):
    return browser.get(f"/admin/client/edit/?id={client_id}").text


@pytest.mark.parametrize(("zone", "shown"), [(None, "2026-11-20 17:20:42"),
                                             ("Asia/Tokyo", "2026-11-20 18:20:42"),
                                             ("UTC", "2026-11-20 09:20:42")])
def test_edit_form_shows_the_users_zone(app, as_role, users, assessed, zone, shown):
    with app.app_context():
        db.session.get(User, users["staff"]).timezone = zone
        db.session.commit()
    page = edit_page(as_role("staff"), assessed)
    assert form_values(page)["risk_assessed_at"] == shown


def test_a_typed_time_is_the_users_and_is_stored_in_utc(app, as_role, assessed):
    staff = as_role("staff")
    url = f"/admin/client/edit/?id={assessed}"
    data = {**form_values(staff.get(url).text), "risk_assessed_at": "2026-12-01 17:00:00"}
    staff.post_form(url, data)
    with app.app_context():
        stored = db.session.get(Client, assessed).risk_assessed_at
    assert stored == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert "2026-12-01 17:00" in staff.get(f"/admin/client/details/?id={assessed}").text
    assert form_values(edit_page(staff, assessed))["risk_assessed_at"] == "2026-12-01 17:00:00"


def test_saving_without_a_change_records_no_change_of_time(app, as_role, assessed):
    staff = as_role("staff")
    url = f"/admin/client/edit/?id={assessed}"
    staff.post_form(url, form_values(staff.get(url).text))
    with app.app_context():
        assert db.session.get(Client, assessed).risk_assessed_at == STORED  # to the µs
        changes = db.session.scalars(sa.select(AuditEntry.changes).where(
            AuditEntry.entity == "client", AuditEntry.action == "update")).one()
    assert "risk_assessed_at" not in changes


def _filter_index(app, view: str, column: str, kind: str) -> int:
    admin = app.extensions["admin"][0]
    filters = next(v for v in admin._views if v.endpoint == view)._filters
    return next(i for i, f in enumerate(filters)
                if getattr(f.column, "key", None) == column and type(f).__name__ == kind)


@pytest.mark.parametrize(("typed", "listed"), [
    ("2026-12-01 09:00:00", True),   # 01:00 UTC: before the complaint arrived
    ("2026-12-01 11:00:00", False),  # 03:00 UTC: after it
])
def test_a_date_time_filter_value_is_the_users_time(app, as_role, sample, typed, listed):
    """The complaint arrived at 02:00 UTC, 10:00 in Shanghai: "received after 09:00"
    includes it and "after 11:00" doesn't, on the list and in its export alike."""
    index = _filter_index(app, "complaint", "received_at", "LocalDateTimeGreaterFilter")
    supervisor = as_role("supervisor")
    query = {f"flt0_{index}": typed}
    page = supervisor.get("/admin/complaint/", query_string=query).text
    assert ("CP-2026-000001" in page) is listed
    exported = supervisor.get("/admin/complaint/export/csv/", query_string=query)
    assert ("CP-2026-000001" in exported.get_data(as_text=True)) is listed


def test_a_between_filter_reads_both_ends_in_the_users_time(app, as_role, sample):
    index = _filter_index(app, "complaint", "received_at", "LocalDateTimeBetweenFilter")
    page = as_role("supervisor").get("/admin/complaint/", query_string={
        f"flt0_{index}": "2026-12-01 09:30:00 to 2026-12-01 10:30:00"}).text
    assert "CP-2026-000001" in page


def test_the_complaint_timeline_is_in_the_users_time(app, as_role, sample):
    with app.app_context():
        row = db.session.get(Complaint, sample["complaint"])
        complaints.perform(db.session, row, "assess", actor=None,
                           now=datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
        db.session.commit()
    page = as_role("staff").get(f"/admin/complaint/details/?id={sample['complaint']}").text
    timeline = page[page.index('id="complaint-timeline"'):]
    assert "2026-12-01 11:30" in timeline  # 03:30 UTC, in Shanghai
