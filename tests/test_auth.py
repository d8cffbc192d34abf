"""Log-in, log-out and the login requirement on every /admin URL, through real HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, LoginLock, User

from .conftest import PASSWORD, Browser, assert_redirect, csrf_token


def admin_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and "static" not in rule.endpoint:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule.replace("<export_type>", "csv")))
    return sorted(routes)


def test_every_admin_url_requires_login(app, browser):
    routes = admin_routes(app)
    assert len(routes) > 50
    token = browser.token_from("/login")
    for method, url in routes:
        response = browser.client.open(url, method=method, data={"csrf_token": token}
                                       if method == "POST" else None)
        assert_redirect(response, to=f"/login?next={url}")


def test_anonymous_post_is_sent_to_login_and_changes_nothing(app, browser, users):
    token = browser.token_from("/login")
    response = browser.client.post("/admin/user/delete/",
                                   data={"id": users["staff"], "csrf_token": token})
    assert_redirect(response, to="/login?next=/admin/user/delete/")
    with app.app_context():
        assert db.session.get(User, users["staff"]) is not None


def test_login_page_has_csrf_protected_form(browser):
    page = browser.get("/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text
    assert 'name="username"' in page.text and 'name="password"' in page.text


def test_login_success_redirects_to_dashboard_and_records_it(app, browser, users):
    response = browser.login("staff")
    assert_redirect(response, to="/admin/")
    dashboard = browser.get("/admin/")
    assert dashboard.status_code == 200
    assert "Test staff" in dashboard.text
    with app.app_context():
        user = db.session.get(User, users["staff"])
        assert user.last_login_at is not None
        assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "login"))


@pytest.mark.parametrize(("username", "password"), [
    ("staff", "wrong-password"), ("nobody", PASSWORD), ("staff", ""),
])
def test_login_failure_says_nothing_about_which_part(app, browser, users, username, password):
    response = browser.login(username, password)
    assert response.status_code == 200
    assert_redirect(browser.get("/admin/"), to="/login?next=/admin/")
    if password:
        assert "Invalid user name or password." in response.text
    else:
        assert "Enter your password." in response.text


def test_inactive_user_cannot_log_in(app, browser, users):
    with app.app_context():
        db.session.get(User, users["staff"]).is_active = False
        db.session.commit()
    assert browser.login("staff").status_code == 200
    assert_redirect(browser.get("/admin/"), to="/login?next=/admin/")


def test_login_without_csrf_token_is_refused(browser, users):
    response = browser.client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 400
    assert_redirect(browser.get("/admin/"), to="/login?next=/admin/")


def test_logout_is_post_only_with_csrf(as_role):
    staff = as_role("staff")
    assert staff.get("/logout").status_code == 405
    assert staff.client.post("/logout").status_code == 400
    assert staff.get("/admin/").status_code == 200
    response = staff.post_form("/logout", {}, token_url="/admin/")
    assert_redirect(response, to="/login")
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")


@pytest.mark.parametrize("target", [
    "//evil.example/x", "http://evil.example/", "javascript:alert(1)", "/\\evil.example",
])
def test_next_parameter_only_follows_local_paths(browser, users, target):
    page = browser.get("/login")
    response = browser.client.post(f"/login?next={target}", data={
        "username": "staff", "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert_redirect(response, to="/admin/")


def test_next_parameter_follows_local_path(browser, users):
    browser.get("/admin/visit/")
    page = browser.get("/login?next=/admin/visit/")
    response = browser.client.post("/login?next=/admin/visit/", data={
        "username": "staff", "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert_redirect(response, to="/admin/visit/")


def test_five_failures_lock_the_account_for_fifteen_minutes(app, browser, users):
    from datetime import UTC, datetime, timedelta

    for _ in range(5):
        response = browser.login("staff", "wrong-password")
    assert "locked for 15 minutes" in response.text
    right = browser.login("staff")  # even the right password, while locked
    assert right.status_code == 200
    assert_redirect(browser.get("/admin/"), to="/login?next=/admin/")
    unknown = browser.login("nobody-at-all", "wrong-password")
    assert _flash(unknown.text) == _flash(right.text)  # nothing tells the two apart
    with app.app_context():
        lock = db.session.get(LoginLock, (users["staff"], "127.0.0.1"))
        assert lock.locked_until - datetime.now(UTC) > timedelta(minutes=14)
        lock.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # time passes
        db.session.commit()
    assert_redirect(browser.login("staff"), to="/admin/")
    with app.app_context():  # a success forgets the failures from its address
        assert db.session.get(LoginLock, (users["staff"], "127.0.0.1")) is None


def _flash(html: str) -> str:
    import re

    match = re.search(r'class="alert alert-danger"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


def test_login_is_rate_limited_per_address(app, browser, users):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert browser.login("nobody", "x").status_code == 200
    limited = browser.login("staff")
    assert limited.status_code == 429
    assert "Too many log-in attempts" in limited.text
    other_address = Browser(app.test_client())
    page = other_address.client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    response = other_address.client.post("/login", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                                         data={"username": "staff", "password": PASSWORD,
                                               "csrf_token": csrf_token(page.text)})
    assert_redirect(response, to="/admin/")


def test_session_cookie_flags(app, browser, users):
    response = browser.login("staff")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = Browser(app.test_client())
    page = https.client.get("/login", base_url="https://localhost")
    secure = https.client.post("/login", base_url="https://localhost",
                               headers={"Referer": "https://localhost/login"}, data={
        "username": "staff", "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert "Secure" in secure.headers["Set-Cookie"]


def test_password_change_ends_other_sessions(app, as_role, users):
    staff = as_role("staff")
    assert staff.get("/admin/").status_code == 200
    with app.app_context():
        db.session.get(User, users["staff"]).set_password("a-brand-new-pass-1")
        db.session.commit()
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")


def test_logout_clears_the_session(app, as_role):
    staff = as_role("staff")
    with staff.client.session_transaction() as before:
        assert "_user_id" in before
    staff.post_form("/logout", {}, token_url="/admin/")
    with staff.client.session_transaction() as after:
        assert "_user_id" not in after and "lang" not in after


def test_rate_limit_is_shared_through_redis(database_url, tmp_path, users):
    """Two app processes (here: two apps) count log-in attempts in one Redis."""
    import uuid

    import redis

    from admin_app import create_app

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = {"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
              "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
              "LOGIN_RATE_LIMIT": "2 per minute"}
    first, second = create_app(config), create_app(config)
    for app in (first, first, second):
        browser = Browser(app.test_client())
        page = browser.get("/login")
        response = browser.client.post("/login", data={
            "username": "nobody", "password": "x", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 429
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()
