"""No lost update on an edit form (issue 15), for every record with an edit screen: the
second of two people to save is told who saved first and when, keeps what they typed, and
saves it deliberately with a second click; a save without the form's version is refused.
Over real HTTP, with two logged-in users."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import EventAttendance, ServiceLevel
from admin_app.services import accounts

from .conftest import PASSWORD, Browser, form_values

# endpoint -> (field, first person's value, second person's value)
EDITS = {
    "client": ("notes", "甲的备注", "乙的备注"),
    "complaint": ("description", "甲的描述", "乙的描述"),
    "visit": ("summary", "甲的小结", "乙的小结"),
    "event": ("title", "甲的讲座", "乙的讲座"),
    "tier": ("description", "甲的说明", "乙的说明"),
    "service_level": ("days", "9", "11"),
    "attendance": ("feedback_text", "甲的反馈", "乙的反馈"),
    "user": ("department", "甲的部门", "乙的部门"),
}
MODELS = {"service_level": ServiceLevel, "attendance": EventAttendance}


@pytest.fixture
def second_admin(app, users):
    with app.app_context():
        accounts.create_user(db.session, "admin2", role="admin", password=PASSWORD,
                             full_name="李强")
        db.session.commit()
    browser = Browser(app.test_client())
    browser.login("admin2")
    return browser


def record_id(app, sample, endpoint: str) -> int:
    if endpoint in MODELS:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.min(MODELS[endpoint].id)))
    return sample[endpoint]


def stored(app, endpoint: str, record: int, field: str):
    from admin_app.views.links import registered_view

    with app.test_request_context():
        model = registered_view(endpoint).model
        value = getattr(db.session.get(model, record), field)
        return str(value)


def post(browser, url: str, values: dict[str, str]):
    page = browser.get(url).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return browser.client.post(url, data={**values, "csrf_token": token})


@pytest.mark.parametrize("endpoint", sorted(EDITS))
def test_the_second_to_save_is_told_who_saved_first_and_keeps_their_input(
        app, as_role, sample, second_admin, endpoint):
    field, mine, theirs = EDITS[endpoint]
    record = record_id(app, sample, endpoint)
    url = f"/admin/{endpoint}/edit/?id={record}"
    me = as_role("admin")
    opened = form_values(me.get(url).text)  # I open the form ...
    response = post(second_admin, url, {**form_values(second_admin.get(url).text),
                                        field: theirs})
    assert response.status_code == 302, response.text[:3000]  # ... 李强 saves first ...
    response = post(me, url, {**opened, field: mine})  # ... then I save.
    assert response.status_code == 200
    assert re.search(r"李强 saved this record at \d{4}-\d\d-\d\d \d\d:\d\d, while you were "
                     r"editing it", response.text), response.text[-4000:]
    assert stored(app, endpoint, record, field) == theirs  # nothing of mine written yet
    kept = {k: v.removeprefix("\r\n") for k, v in form_values(response.text).items()}
    assert kept[field] == mine  # what I typed is still in the form
    response = post(me, url, kept)  # a second, deliberate save applies mine
    assert response.status_code == 302, response.text[-3000:]
    assert stored(app, endpoint, record, field) == mine


@pytest.mark.parametrize("endpoint", sorted(EDITS))
def test_a_save_without_the_forms_version_is_refused(app, as_role, sample, endpoint):
    field, mine, _theirs = EDITS[endpoint]
    record = record_id(app, sample, endpoint)
    url = f"/admin/{endpoint}/edit/?id={record}"
    admin = as_role("admin")
    before = stored(app, endpoint, record, field)
    values = {**form_values(admin.get(url).text), field: mine}
    del values["version_id"]
    response = post(admin, url, values)
    assert response.status_code == 200
    assert "This form is incomplete: reload the page and edit the record again." in response.text
    assert stored(app, endpoint, record, field) == before


def test_a_log_in_meanwhile_does_not_make_a_users_form_stale(app, as_role, sample, browser):
    """A log-in writes the user's last log-in time, not a new version: the admin editing
    that user meanwhile saves at once."""
    url = f"/admin/user/edit/?id={sample['user']}"
    admin = as_role("admin")
    opened = form_values(admin.get(url).text)
    assert browser.login("staff").status_code == 302  # the user logs in ...
    response = post(admin, url, {**opened, "department": "财富管理部"})  # ... the admin saves
    assert response.status_code == 302, response.text[-3000:]
    assert stored(app, "user", sample["user"], "department") == "财富管理部"
    assert stored(app, "user", sample["user"], "last_login_at") != "None"


# --- deletes check the version the list showed ------------------------------------------------


def delete_form_version(html: str, record: int) -> str:
    """The version the list's delete button for ``record`` carries to the page that asks
    the reason (and posts it with the delete)."""
    link = re.search(rf'href="[^"]*/delete/confirm/\?id={record}&amp;[^"]*"', html)
    assert link, "no delete button for the record"
    return re.search(r"version_id=(\d+)", link.group(0)).group(1)


def test_a_delete_of_a_record_changed_since_the_list_was_drawn_is_refused(
        app, as_role, sample, second_admin):
    visit = sample["visit"]
    me = as_role("admin")
    shown = delete_form_version(me.get("/admin/visit/").text, visit)
    response = post(second_admin, f"/admin/visit/edit/?id={visit}",
                    {**form_values(second_admin.get(f"/admin/visit/edit/?id={visit}").text),
                     "summary": "李强改了"})
    assert response.status_code == 302
    token = re.search(r'name="csrf_token" value="([^"]+)"', me.get("/admin/visit/").text)
    data = {"id": str(visit), "version_id": shown, "csrf_token": token.group(1),
            "reason": "Recorded twice"}
    page = me.client.post("/admin/visit/delete/", data=data, follow_redirects=True).text
    assert re.search(r"李强 saved this record at [\d-]+ [\d:]+, after you opened the list: "
                     r"it was not deleted", page)
    assert stored(app, "visit", visit, "summary") == "李强改了"
    fresh = delete_form_version(me.get("/admin/visit/").text, visit)
    response = me.client.post("/admin/visit/delete/", data={**data, "version_id": fresh})
    assert response.status_code == 302
    with app.app_context():
        from admin_app.models import Visit
        assert db.session.get(Visit, visit) is None


def test_a_delete_without_a_version_is_refused(app, as_role, sample):
    admin = as_role("admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/admin/visit/").text)
    page = admin.client.post("/admin/visit/delete/", data={
        "id": str(sample["visit"]), "csrf_token": token.group(1), "reason": "Duplicate"},
        follow_redirects=True).text
    assert "This form is incomplete" in page
    with app.app_context():
        from admin_app.models import Visit
        assert db.session.get(Visit, sample["visit"]) is not None
