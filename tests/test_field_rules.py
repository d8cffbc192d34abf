"""Field rules: a field a role may see but not change is read-only on its
form, and a crafted POST that sends it changes nothing. Staff can't reassign a complaint
once registered, nor set a client's tier or tier lock; supervisors can do both."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client, Complaint, Tier

from .conftest import form_values


def disabled(html: str, field_id: str) -> bool:
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', html)
    assert tag, f"no field {field_id} on the page"
    return "disabled" in tag.group(0)


def edit(browser, app, sample, view: str, changes: dict[str, str]):
    """POST the edit form as ``browser`` gets it (read-only fields too), with ``changes``."""
    url = f"/admin/{view}/edit/?id={sample[view]}"
    data = {**form_values(browser.get(url).text), **changes}
    return browser.post_form(url, data)


@pytest.fixture
def platinum(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Tier.id).where(Tier.code == "platinum"))


def client_row(app, sample) -> tuple:
    with app.app_context():
        client = db.session.get(Client, sample["client"])
        return client.tier.code, client.tier_locked, client.tier_lock_reason, client.notes


def assignee_of(app, sample) -> int | None:
    with app.app_context():
        return db.session.get(Complaint, sample["complaint"]).assignee_id


def test_staff_see_tier_and_lock_read_only(as_role, sample):
    staff = as_role("staff")
    for url in (f"/admin/client/edit/?id={sample['client']}", "/admin/client/new/"):
        page = staff.get(url).text
        for field in ("tier", "tier_locked", "tier_lock_reason"):
            assert disabled(page, field), (url, field)
        assert "may see this field but not change it" in page
    supervisor_page = as_role("supervisor").get(f"/admin/client/edit/?id={sample['client']}")
    assert not disabled(supervisor_page.text, "tier")


def test_staff_crafted_post_changes_neither_tier_nor_lock(app, as_role, sample, platinum):
    staff = as_role("staff")
    response = edit(staff, app, sample, "client", {
        "tier": str(platinum), "tier_locked": "y", "tier_lock_reason": "friend of mine",
        "notes": "called back"})
    assert response.status_code == 302
    assert client_row(app, sample) == ("gold", False, None, "called back")


def test_supervisor_changes_tier_and_lock(app, as_role, sample, platinum):
    supervisor = as_role("supervisor")
    response = edit(supervisor, app, sample, "client", {
        "tier": str(platinum), "tier_locked": "y", "tier_lock_reason": "Family office",
        "reason": "Family office"})
    assert response.status_code == 302
    assert client_row(app, sample)[:3] == ("platinum", True, "Family office")


def test_staff_new_client_gets_the_earned_tier_whatever_they_post(app, as_role, users,
                                                                  platinum):
    as_role("staff").post_form("/admin/client/new/", {
        "code": "N1", "name": "新客户", "kind": "individual", "status": "active",
        "assets": "100", "annual_contribution": "0", "trades_12m": "0",
        "tier": str(platinum), "tier_locked": "y", "tier_lock_reason": "VIP"})
    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.code == "N1"))
        assert (client.tier.code, client.tier_locked, client.tier_lock_reason) == \
            ("standard", False, None)


def test_staff_see_the_assignee_read_only_once_registered(as_role, sample):
    staff = as_role("staff")
    assert disabled(staff.get(f"/admin/complaint/edit/?id={sample['complaint']}").text,
                    "assignee")
    assert not disabled(staff.get("/admin/complaint/new/").text, "assignee")


def test_staff_crafted_post_reassigning_to_themselves_changes_nothing(app, as_role, users,
                                                                      sample):
    response = edit(as_role("staff"), app, sample, "complaint",
                    {"assignee": str(users["staff"]), "department": "Client Service"})
    assert response.status_code == 302
    assert assignee_of(app, sample) is None
    with app.app_context():
        assert db.session.get(Complaint, sample["complaint"]).department == "Client Service"


def test_supervisor_reassigns(app, as_role, users, sample):
    response = edit(as_role("supervisor"), app, sample, "complaint",
                    {"assignee": str(users["staff"])})
    assert response.status_code == 302
    assert assignee_of(app, sample) == users["staff"]


def test_staff_pick_an_assignee_when_registering(app, as_role, users, sample):
    as_role("staff").post_form("/admin/complaint/new/", {
        "client": str(sample["client"]), "channel": "hotline", "category": "service",
        "received_at": "2026-11-20 02:00:00", "description": "No call back",
        "assignee": str(users["staff"])})
    with app.app_context():
        complaint = db.session.scalar(sa.select(Complaint).where(
            Complaint.description == "No call back"))
        assert complaint.assignee_id == users["staff"]


def test_read_only_fields_stay_when_a_save_comes_back_with_errors(app, as_role, sample,
                                                                  platinum):
    """A refused save shows the form again with its errors: the read-only fields are
    still there, still read-only, with the stored values, and nothing was written."""
    staff = as_role("staff")
    response = edit(staff, app, sample, "client", {"assets": "-5", "tier": str(platinum),
                                                   "notes": "not saved"})
    assert response.status_code == 200
    for field in ("tier", "tier_locked", "tier_lock_reason"):
        assert disabled(response.text, field), field
    assert "may see this field but not change it" in response.text
    selected = re.search(r'<select[^>]*id="tier".*?</select>', response.text, re.S).group(0)
    assert re.search(r'<option selected value="\d+">|<option value="\d+" selected',
                     selected), "the stored tier is shown"
    assert str(platinum) not in re.findall(r'<option selected value="(\d+)"', selected)
    assert client_row(app, sample) == ("gold", False, None, None)
    complaint = edit(staff, app, sample, "complaint", {"received_at": "not a date"})
    assert complaint.status_code == 200 and disabled(complaint.text, "assignee")
