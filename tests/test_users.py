"""User management by admins: create, change role, deactivate, reset password, and the
last active admin can't be demoted or deactivated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, LoginLock, User

from . import factories
from .conftest import assert_redirect, form_values


def user_form(browser, user_id: int) -> dict[str, str]:
    return form_values(browser.get(f"/admin/user/edit/?id={user_id}").text)


def test_admin_changes_role_and_department(app, as_role, users):
    admin = as_role("admin")
    data = {**user_form(admin, users["staff"]), "role": "supervisor",
            "department": "Wealth Management"}
    response = admin.post_form(f"/admin/user/edit/?id={users['staff']}", data)
    assert_redirect(response, to="/admin/user/")
    with app.app_context():
        user = db.session.get(User, users["staff"])
        assert (user.role, user.department) == ("supervisor", "Wealth Management")


def user_entries(app, user_id: int) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.changes) for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "user",
                                        AuditEntry.entity_id == str(user_id),
                                        AuditEntry.action.not_in(["login", "create"]))
            .order_by(AuditEntry.id))]


def test_role_changes_deactivations_and_resets_are_audited_by_name(app, as_role, users):
    admin = as_role("admin")
    url = f"/admin/user/edit/?id={users['staff']}"
    data = {**user_form(admin, users["staff"]), "role": "supervisor",
            "department": "Wealth Management", "password": "fresh-password-42"}
    assert_redirect(admin.post_form(url, data), to="/admin/user/")
    data = user_form(admin, users["staff"])
    del data["is_active"]
    assert_redirect(admin.post_form(url, data), to="/admin/user/")
    data = {**user_form(admin, users["staff"]), "is_active": "y"}
    assert_redirect(admin.post_form(url, data), to="/admin/user/")
    assert user_entries(app, users["staff"]) == [
        ("role_change", {"role": ["staff", "supervisor"]}),
        ("password_reset", {"password": "changed"}),  # never the hash
        ("update", {"department": [None, "Wealth Management"]}),
        ("deactivate", {"is_active": [True, False]}),
        ("reactivate", {"is_active": [False, True]}),
    ]
    page = admin.get(f"/admin/audit/?flt0_{audit_filter(app, 'action')}=role_change").text
    assert "Role changed" in page


def audit_filter(app, name: str) -> int:
    from admin_app.views.links import filter_index, registered_view

    with app.test_request_context():
        return filter_index(registered_view("audit"), name)


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, as_role, browser, users):
    staff = as_role("staff")
    admin = as_role("admin")
    data = user_form(admin, users["staff"])
    del data["is_active"]
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['staff']}", data),
                    to="/admin/user/")
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")
    assert browser.login("staff").status_code == 200


def test_reset_password_lifts_lock_and_ends_sessions(app, as_role, browser, users):
    from datetime import UTC, datetime, timedelta

    staff = as_role("staff")
    with app.app_context():
        db.session.add(LoginLock(user_id=users["staff"], source="127.0.0.1", failures=0,
                                 locked_until=datetime.now(UTC) + timedelta(1)))
        db.session.commit()
    admin = as_role("admin")
    data = {**user_form(admin, users["staff"]), "password": "fresh-password-42"}
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['staff']}", data),
                    to="/admin/user/")
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")
    assert_redirect(browser.login("staff", "fresh-password-42"), to="/admin/")


@pytest.mark.parametrize(("password", "message"), [
    ("short1!", "at least 10 characters"),
    ("onlyletterslong", "Mix letters"),
    ("1234567890123", "Mix letters"),
    ("newbie-secret-1", "must not contain the user name"),
])
def test_password_policy_next_to_the_field(app, as_role, password, message):
    data = {"username": "newbie", "role": "staff", "is_active": "y", "password": password}
    response = as_role("admin").post_form("/admin/user/new/", data)
    assert response.status_code == 200
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "newbie")) is None


@pytest.mark.parametrize("change", [{"role": "staff"}, {"is_active": None}])
def test_last_active_admin_cannot_be_demoted_or_deactivated(app, as_role, users, change):
    admin = as_role("admin")
    data = {**user_form(admin, users["admin"]), **change}
    data = {k: v for k, v in data.items() if v is not None}
    response = admin.post_form(f"/admin/user/edit/?id={users['admin']}", data,
                               follow_redirects=True)
    assert "last active admin" in response.text
    with app.app_context():
        user = db.session.get(User, users["admin"])
        assert user.role == "admin" and user.is_active


def test_an_admin_can_be_demoted_when_another_remains(app, as_role, users):
    admin = as_role("admin")
    with app.app_context():
        db.session.get(User, users["supervisor"]).role = "admin"
        db.session.commit()
    data = {**user_form(admin, users["admin"]), "role": "staff"}
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['admin']}", data),
                    to="/admin/user/")
    with app.app_context():
        assert db.session.get(User, users["admin"]).role == "staff"


# --- time zones ------------------------------------------------------------------------


def test_admin_sets_a_users_time_zone_and_screens_follow_it(app, as_role, users):
    admin, supervisor = as_role("admin"), as_role("supervisor")
    with app.app_context():
        client = factories.client(db.session, code="TZ1", name="时区",
                                  created_at=datetime(2026, 3, 1, 23, 15, tzinfo=UTC))
        db.session.commit()
        details = f"/admin/client/details/?id={client.id}"
    assert "2026-03-02 07:15" in supervisor.get(details).text  # the firm's zone, Shanghai

    data = {**user_form(admin, users["supervisor"]), "timezone": "Asia/Tokyo"}
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['supervisor']}", data),
                    to="/admin/user/")
    with app.app_context():
        assert db.session.get(User, users["supervisor"]).timezone == "Asia/Tokyo"
    assert "2026-03-02 08:15" in supervisor.get(details).text
    assert "2026-03-02 07:15" in admin.get(details).text  # the others keep the firm's
    assert "Japan Time (UTC+09:00)" in \
        admin.get(f"/admin/user/details/?id={users['supervisor']}").text

    # back to the firm's zone, stored as no zone of their own (the form opened again: the
    # save made a new version of the user)
    data = {**user_form(admin, users["supervisor"]), "timezone": ""}
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['supervisor']}", data),
                    to="/admin/user/")
    with app.app_context():
        assert db.session.get(User, users["supervisor"]).timezone is None
    assert "2026-03-02 07:15" in supervisor.get(details).text


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/London", "utc'; --"])
def test_a_zone_not_offered_is_refused_next_to_the_field(app, as_role, users, zone):
    admin = as_role("admin")
    data = {**user_form(admin, users["staff"]), "timezone": zone}
    response = admin.post_form(f"/admin/user/edit/?id={users['staff']}", data)
    assert response.status_code == 200
    field = response.text[response.text.index('id="timezone"'):]
    assert "Not a valid choice" in field[:field.index("</div>", field.index("invalid-feedback"))]
    with app.app_context():
        assert db.session.get(User, users["staff"]).timezone is None


def test_the_zone_list_names_the_zones_in_the_interface_language(app, as_role, users):
    page = as_role("admin").get(f"/admin/user/edit/?id={users['staff']}&lang=zh_Hant").text
    assert "公司所在時區：中國（上海）時間 (UTC+08:00)" in page
    assert '"Asia/Taipei">台灣時間 (UTC+08:00)</option>' in page and ">Asia/Taipei" not in page


def test_firm_time_zone_comes_from_the_configuration_and_is_checked(database_url,
                                                                    monkeypatch):
    from admin_app import create_app

    base = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
            "CREATE_DATABASE": True}
    assert create_app(base).config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    monkeypatch.setenv("TIME_ZONE", "Asia/Hong_Kong")
    assert create_app(base).config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Hong_Kong"
    with pytest.raises(RuntimeError, match="is not a time zone name"):
        create_app({**base, "TIME_ZONE": "Mars/Olympus_Mons"})


# --- a user's own language -------------------------------------------------------------


def test_a_users_language_applies_after_log_in_and_the_menu_still_switches(app, as_role,
                                                                             users):
    admin = as_role("admin")
    data = {**user_form(admin, users["staff"]), "locale": "zh_Hant_TW"}
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['staff']}", data),
                    to="/admin/user/")
    assert "繁體中文" in admin.get(f"/admin/user/details/?id={users['staff']}").text

    staff = as_role("staff")  # logs in afresh, browser asking for English
    menu = staff.get("/admin/visit/", headers={"Accept-Language": "en"}).text
    assert "客戶" in menu and "投訴" in menu
    assert "Clients" in staff.get("/admin/visit/?lang=en").text  # the session's choice wins
    assert "Clients" in as_role("supervisor").get("/admin/visit/").text  # others unchanged

    data = {**user_form(admin, users["staff"]), "locale": ""}  # the form opened again
    assert_redirect(admin.post_form(f"/admin/user/edit/?id={users['staff']}", data),
                    to="/admin/user/")
    with app.app_context():
        assert db.session.get(User, users["staff"]).locale is None


def test_a_language_not_offered_is_refused(app, as_role, users):
    admin = as_role("admin")
    data = {**user_form(admin, users["staff"]), "locale": "fr"}
    response = admin.post_form(f"/admin/user/edit/?id={users['staff']}", data)
    assert response.status_code == 200 and "Not a valid choice" in response.text
    with app.app_context():
        assert db.session.get(User, users["staff"]).locale is None
