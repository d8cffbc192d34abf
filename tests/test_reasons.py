"""Sensitive changes ask for a reason, kept with their audit entry: thresholds and the
callback interval of a tier, a tier chosen by hand, a tier unlocked, and every delete (of
one record from its row, or of a selection). Without one nothing changes and the reason
is asked for beside its field; the roles that may not delete get 403 on the page too."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Visit

from . import factories
from .conftest import assert_redirect, form_values

ASKED = "Give a reason for this change"


def entries(app, entity: str, action: str) -> list[dict]:
    with app.app_context():
        return [e.changes for e in db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == entity, AuditEntry.action == action)
            .order_by(AuditEntry.id))]


@pytest.fixture
def locked_client(app, users) -> int:
    with app.app_context():
        client = factories.client(db.session, tier=factories.tier(db.session, "gold"),
                                  tier_locked=True, tier_lock_reason="Family office")
        db.session.commit()
        return client.id


def test_unlocking_a_tier_asks_for_a_reason(app, as_role, locked_client):
    supervisor = as_role("supervisor")
    url = f"/admin/client/edit/?id={locked_client}"
    data = form_values(supervisor.get(url).text)
    del data["tier_locked"]  # the box unticked
    refused = supervisor.post_form(url, data)
    assert refused.status_code == 200 and ASKED in refused.text
    with app.app_context():
        assert db.session.get(Client, locked_client).tier_locked is True
    assert_redirect(supervisor.post_form(url, {**data, "reason": "Arrangement ended"}),
                    to="/admin/client/")
    assert entries(app, "client", "update")[-1]["reason"] == "Arrangement ended"


def test_other_edits_need_no_reason(app, as_role, locked_client):
    supervisor = as_role("supervisor")
    url = f"/admin/client/edit/?id={locked_client}"
    data = {**form_values(supervisor.get(url).text), "notes": "Prefers calls after 6 pm"}
    assert_redirect(supervisor.post_form(url, data), to="/admin/client/")
    assert "reason" not in entries(app, "client", "update")[-1]


def test_the_reason_is_asked_for_in_the_users_language(app, as_role, locked_client):
    supervisor = as_role("supervisor")
    url = f"/admin/client/edit/?id={locked_client}"
    supervisor.get(f"{url}&lang=zh_Hant")
    data = form_values(supervisor.get(url).text)
    del data["tier_locked"]
    page = supervisor.post_form(url, data).text
    assert "請填寫此次變更的原因" in page and "變更原因" in page


# --- deletes -------------------------------------------------------------------------------


def confirm_link(html: str, record: int) -> str:
    link = re.search(rf'href="([^"]*/delete/confirm/\?id={record}&amp;[^"]*)"', html)
    assert link, "no delete button for the record"
    return link.group(1).replace("&amp;", "&")


def test_a_row_is_deleted_from_a_page_that_asks_the_reason(app, as_role, sample):
    admin = as_role("admin")
    link = confirm_link(admin.get("/admin/visit/").text, sample["visit"])
    page = admin.get(link)
    assert page.status_code == 200 and "Reason for deleting" in page.text
    data = form_values(page.text)
    assert data["version_id"] == "1" and data["id"] == str(sample["visit"])
    refused = admin.post_form("/admin/visit/delete/", data, token_url=link,
                              follow_redirects=True)
    assert "Give a reason for deleting" in refused.text
    with app.app_context():
        assert db.session.get(Visit, sample["visit"]) is not None
    done = admin.post_form("/admin/visit/delete/", {**data, "reason": "Entered twice"},
                           token_url=link)
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Visit, sample["visit"]) is None
    assert entries(app, "visit", "delete")[-1]["reason"] == "Entered twice"


def test_a_selection_is_deleted_after_a_page_naming_it_and_asking_the_reason(
        app, as_role, users):
    with app.app_context():
        client = factories.client(db.session, name="删除测试客户")
        visits = [factories.visit(db.session, client=client) for _ in range(3)]
        db.session.commit()
        ids = [str(v.id) for v in visits]
    admin = as_role("admin")
    page = admin.post_form("/admin/visit/action/", {"action": "delete", "rowid": ids},
                           token_url="/admin/visit/")
    assert page.status_code == 200 and "Delete 3 records" in page.text
    assert page.text.count("删除测试客户") >= 3  # each record named
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 3
    data = {**confirm_form(page.text), "reason": "Wrong client"}
    assert data["rowid"] == ids and data["action"] == "delete"
    assert admin.post_form("/admin/visit/action/", data, token_url="/admin/visit/"
                           ).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    assert [e["reason"] for e in entries(app, "visit", "delete")] == ["Wrong client"] * 3


def confirm_form(html: str) -> dict:
    """The confirmation page's hidden fields, repeated ``rowid`` as a list."""
    found: dict = {"rowid": []}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                  html):
        if name == "rowid":
            found["rowid"].append(value)
        elif name != "csrf_token":
            found[name] = value
    return found


def test_a_record_saved_by_someone_after_the_confirmation_is_not_deleted(
        app, as_role, users):
    with app.app_context():
        client = factories.client(db.session, name="并发删除客户")
        visits = [factories.visit(db.session, client=client, summary=f"第{n}次")
                  for n in range(2)]
        db.session.commit()
        ids = [str(v.id) for v in visits]
    admin = as_role("admin")
    page = admin.post_form("/admin/visit/action/", {"action": "delete", "rowid": ids},
                           token_url="/admin/visit/")
    data = {**confirm_form(page.text), "reason": "Entered twice"}
    staff = as_role("staff")  # meanwhile, someone saves the second visit
    url = f"/admin/visit/edit/?id={ids[1]}"
    assert staff.post_form(url, {**form_values(staff.get(url).text), "summary": "改了"}
                           ).status_code == 302
    done = admin.post_form("/admin/visit/action/", data, token_url="/admin/visit/",
                           follow_redirects=True)
    assert "1 of the records were saved by someone else after you confirmed" in done.text
    with app.app_context():
        assert db.session.get(Visit, int(ids[0])) is None
        assert db.session.get(Visit, int(ids[1])).summary == "改了"
    without = admin.post_form("/admin/visit/action/", {"action": "delete", "rowid": ids[1:],
                                                        "reason": "Handmade"},
                              token_url="/admin/visit/", follow_redirects=True)
    assert "This form is incomplete" in without.text  # no versions: nothing deleted
    with app.app_context():
        assert db.session.get(Visit, int(ids[1])) is not None


@pytest.mark.parametrize("role", ["staff", "supervisor"])
def test_roles_that_may_not_delete_get_403_on_the_page_too(app, as_role, sample, role):
    browser = as_role(role)
    assert browser.get(f"/admin/client/delete/confirm/?id={sample['client']}"
                       ).status_code == 403
    assert f"/admin/client/delete/confirm/?id={sample['client']}" not in \
        browser.get("/admin/client/").text


def test_the_delete_page_of_no_such_record_goes_back_to_the_list(as_role):
    page = as_role("admin").get("/admin/visit/delete/confirm/?id=999999",
                                follow_redirects=True)
    assert page.status_code == 200 and "Record does not exist" in page.text
