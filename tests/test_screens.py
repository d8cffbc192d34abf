"""Every generated screen, through real HTTP as a logged-in admin: lists, forms, details,
creating and editing with valid data, and clear field errors (with nothing saved) otherwise."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Complaint, Event, EventAttendance, User, Visit

from .conftest import assert_redirect

VIEWS = ("client", "visit", "event", "complaint", "tier", "user", "audit")
EDITABLE = ("client", "visit", "event", "complaint", "tier", "user")
CREATABLE = ("client", "visit", "event", "complaint", "user")

VALID_CLIENT = {
    "code": "C9000001", "name": "李娜", "kind": "individual", "status": "active",
    "gender": "female", "birth_date": "1985-03-14", "phone": "13912345678",
    "email": "li.na@example.cn", "id_number": "11010519491231002X", "risk_profile": "balanced",
    "assets": "1200000.50", "annual_contribution": "8000", "trades_12m": "6",
}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def field_error(html: str, field: str) -> str:
    """The error text rendered next to ``field`` (empty when there is none)."""
    match = re.search(
        rf'id="{field}"[^>]*>.*?<div class="invalid-feedback">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""


@pytest.mark.parametrize("view", VIEWS)
def test_list_and_details_pages(as_role, sample, view):
    admin = as_role("admin")
    listing = admin.get(f"/admin/{view}/")
    assert listing.status_code == 200
    ids = {"client": sample["client"], "visit": sample["visit"], "event": sample["event"],
           "complaint": sample["complaint"], "tier": sample["tier"], "user": sample["user"],
           "audit": 1}
    details = admin.get(f"/admin/{view}/details/?id={ids[view]}")
    assert details.status_code == 200


@pytest.mark.parametrize("view", CREATABLE)
def test_create_forms_render(as_role, view):
    response = as_role("admin").get(f"/admin/{view}/new/")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text


@pytest.mark.parametrize("view", EDITABLE)
def test_edit_forms_render(as_role, sample, view):
    response = as_role("admin").get(f"/admin/{view}/edit/?id={sample[view]}")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text


def test_client_list_shows_translated_labels_and_money(as_role, sample):
    html = as_role("admin").get("/admin/client/").text
    assert "王小明" in html
    assert "Individual" in html
    assert "¥800,000.00" in html
    assert "Gold" in html


def test_create_client_with_valid_data_is_saved_and_audited(app, as_role, users):
    response = as_role("admin").post_form("/admin/client/new/", VALID_CLIENT)
    assert_redirect(response, to="/admin/client/")
    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.code == "C9000001"))
        assert client.name == "李娜"
        assert str(client.assets) == "1200000.50"
        assert client.kind == "individual"
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "client",
                                                              AuditEntry.action == "create"))
        assert entry.entity_id == str(client.id)
        assert entry.user_id == users["admin"]
        assert entry.changes["name"] == [None, "李娜"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "12345", "country or region code"),
    ("email", "not-an-email", "valid e-mail address"),
    ("id_number", "110105194912310021", "resident ID number"),
    ("assets", "-5", "cannot be negative"),
    ("assets", "10.555", "two decimal places"),
    ("annual_contribution", "abc", "Not a valid decimal value"),
    ("birth_date", "2999-01-01", "cannot be in the future"),
    ("trades_12m", "-1", "cannot be negative"),
    ("kind", "alien", "Not a valid choice"),
    ("code", "!!", "letters, digits"),
    ("name", "", "This field is required"),
])
def test_invalid_client_field_gets_message_next_to_it(app, as_role, users, field, value,
                                                      message):
    response = as_role("admin").post_form("/admin/client/new/", {**VALID_CLIENT, field: value})
    assert response.status_code == 200
    assert message in field_error(response.text, field)
    assert count(app, Client) == 0


def test_locked_tier_needs_reason(app, as_role, users):
    data = {**VALID_CLIENT, "tier_locked": "y", "tier_lock_reason": ""}
    response = as_role("admin").post_form("/admin/client/new/", data)
    assert "reason for locking" in field_error(response.text, "tier_lock_reason")
    assert count(app, Client) == 0


def test_duplicate_client_code_is_refused_next_to_the_field(app, as_role, sample):
    response = as_role("admin").post_form("/admin/client/new/",
                                          {**VALID_CLIENT, "code": "C0000001"})
    assert response.status_code == 200
    assert field_error(response.text, "code")
    assert count(app, Client) == 1


def test_edit_client_records_changes(app, as_role, sample):
    admin = as_role("admin")
    url = f"/admin/client/edit/?id={sample['client']}"
    page = admin.get(url).text
    version = re.search(r'id="version_id" name="version_id" type="hidden" value="(\d+)"', page)
    data = {**VALID_CLIENT, "code": "C0000001", "name": "王大明", "version_id": version.group(1)}
    response = admin.post_form(url, data)
    assert_redirect(response, to="/admin/client/")
    with app.app_context():
        client = db.session.get(Client, sample["client"])
        assert client.name == "王大明"
        assert client.version_id == 2
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update"))
        assert entry.changes["name"] == ["王小明", "王大明"]


def test_stale_edit_is_refused_and_changes_nothing(app, as_role, sample):
    admin = as_role("admin")
    url = f"/admin/client/edit/?id={sample['client']}"
    data = {**VALID_CLIENT, "code": "C0000001", "name": "Stale", "version_id": "1"}
    with app.app_context():  # someone else saves first
        client = db.session.get(Client, sample["client"])
        client.notes = "changed meanwhile"
        db.session.commit()
    response = admin.post_form(url, data)
    assert response.status_code == 200
    assert "Someone else saved this record" in response.text
    with app.app_context():
        assert db.session.get(Client, sample["client"]).name == "王小明"


def test_create_visit_with_ajax_client(app, as_role, sample):
    data = {"client": str(sample["client"]), "staff": str(sample["user"]), "channel": "wechat",
            "purpose": "birthday_greeting", "status": "done",
            "completed_at": "2026-11-20 10:00:00", "satisfaction": "5", "summary": "生日祝福"}
    response = as_role("staff").post_form("/admin/visit/new/", data)
    assert_redirect(response, to="/admin/visit/")
    with app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.channel == "wechat"))
        assert visit.satisfaction == 5
        assert visit.completed_at.tzinfo is not None


def test_visit_satisfaction_out_of_range_is_refused(app, as_role, sample):
    data = {"client": str(sample["client"]), "channel": "phone", "purpose": "other",
            "status": "done", "completed_at": "2026-11-20 10:00:00", "satisfaction": "6"}
    response = as_role("staff").post_form("/admin/visit/new/", data)
    assert "from 1 to 5" in field_error(response.text, "satisfaction")
    assert count(app, Visit) == 1


def test_event_end_before_start_is_refused(app, as_role, sample):
    data = {"title": "Golf day", "kind": "outdoor", "status": "planned",
            "starts_at": "2026-12-10 09:00:00", "ends_at": "2026-12-10 08:00:00"}
    response = as_role("admin").post_form("/admin/event/new/", data)
    assert "end cannot be before the start" in field_error(response.text, "ends_at")
    assert count(app, Event) == 1


def test_create_event_with_inline_attendance(app, as_role, sample):
    data = {"title": "Client exchange", "kind": "client_exchange", "status": "open",
            "starts_at": "2026-12-10 09:00:00", "ends_at": "2026-12-10 12:00:00",
            "capacity": "30", "budget": "20000",
            "attendances-0-client": str(sample["client"]), "attendances-0-status": "invited"}
    response = as_role("admin").post_form("/admin/event/new/", data)
    assert_redirect(response, to="/admin/event/")
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.title == "Client exchange"))
        assert [a.client_id for a in event.attendances] == [sample["client"]]
        assert count(app, EventAttendance) == 2


def test_create_complaint_gets_reference(app, as_role, sample):
    data = {"client": str(sample["client"]), "channel": "hotline", "category": "service",
            "received_at": "2026-11-21 08:30:00", "description": "Rude on the phone"}
    response = as_role("staff").post_form("/admin/complaint/new/", data)
    assert_redirect(response, to="/admin/complaint/")
    with app.app_context():
        complaint = db.session.scalar(sa.select(Complaint).where(Complaint.category == "service"))
        assert complaint.reference == "CP-2026-000002"
        assert complaint.status == "received"


def test_complaint_form_cannot_set_status(app, as_role, sample):
    data = {"client": str(sample["client"]), "channel": "email", "category": "fees",
            "received_at": "2026-11-21 08:30:00", "description": "x", "status": "closed"}
    as_role("admin").post_form("/admin/complaint/new/", data)
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(Complaint.status)))
    assert statuses == {"received"}


def test_create_user_who_can_then_log_in(app, as_role, browser):
    data = {"username": "newbie", "full_name": "New Bie", "role": "staff",
            "is_active": "y", "password": "a-long-password-1"}
    response = as_role("admin").post_form("/admin/user/new/", data)
    assert_redirect(response, to="/admin/user/")
    assert_redirect(browser.login("newbie", "a-long-password-1"), to="/admin/")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "newbie"))
        assert user.password_hash.startswith("scrypt:")
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == str(user.id)))
        assert "password_hash" not in entry.changes


def test_new_user_without_password_is_refused(app, as_role):
    data = {"username": "nopass", "role": "staff", "is_active": "y", "password": ""}
    response = as_role("admin").post_form("/admin/user/new/", data)
    assert response.status_code == 200
    assert "Set a password" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "nopass")) is None


def test_delete_client_with_complaint_is_refused_clearly(app, as_role, sample):
    admin = as_role("admin")
    response = admin.post_form("/admin/client/delete/", {"id": str(sample["client"]),
                                                          "version_id": "1",
                                                          "reason": "Left the firm"},
                               token_url="/admin/client/", follow_redirects=True)
    assert "other records refer to it" in response.text
    assert count(app, Client) == 1


def test_delete_visit_is_audited(app, as_role, sample):
    admin = as_role("admin")
    response = admin.post_form("/admin/visit/delete/", {"id": str(sample["visit"]),
                                                         "version_id": "1",
                                                         "reason": "Recorded twice"},
                               token_url="/admin/visit/")
    assert_redirect(response, to="/admin/visit/")
    assert count(app, Visit) == 0
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "delete"))
        assert entry.entity == "visit"
        assert entry.changes["channel"] == ["phone", None]
        assert entry.changes["reason"] == "Recorded twice"


def test_client_lookup_returns_a_page_of_matches(as_role, sample):
    response = as_role("staff").get("/admin/visit/ajax/lookup/?name=client&query=王")
    assert response.status_code == 200
    assert response.json[0][0] == sample["client"]
    assert "王小明" in response.json[0][1]


def test_search_and_filter(as_role, sample):
    admin = as_role("admin")
    assert "王小明" in admin.get("/admin/client/?search=王小").text
    assert "王小明" not in admin.get("/admin/client/?search=nobody").text


def test_user_lookup_offers_only_active_users(app, as_role, users):
    with app.app_context():
        db.session.get(User, users["supervisor"]).is_active = False
        db.session.commit()
    response = as_role("staff").get("/admin/visit/ajax/lookup/?name=staff&query=Test")
    names = {label for _id, label in response.json}
    assert names == {"Test staff"}  # and not admins, who do no client work


def test_dashboard_figures_link_to_their_lists(as_role, sample):
    html = as_role("staff").get("/admin/").text
    assert "Complaints past deadline" in html and "Clients per tier" in html
    assert 'href="/admin/complaint/?flt0_0=1"' in html
    assert html.count("<h1") <= 1
