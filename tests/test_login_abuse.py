"""Log-in that an outsider can't turn against users: failures lock an account only for the
address they came from, the per-address limit stays and its refusals are counted in the
audit log, the real client's address is used behind a trusted proxy (and only then), the
fields are capped, and a log-in while another writer holds the database says "busy".
Real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app import create_app, sql
from admin_app.extensions import db
from admin_app.models import AuditEntry, User

from .conftest import PASSWORD, Browser, assert_redirect, csrf_token

OUTSIDER, USER_ADDRESS = "203.0.113.66", "198.51.100.7"


class From(Browser):
    """A browser at a given address (what the server sees as the peer)."""

    def __init__(self, app, address: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(app.test_client())
        self.address = address
        self.headers = headers or {}

    def login(self, username: str, password: str = PASSWORD):
        environ = {"REMOTE_ADDR": self.address}
        page = self.client.get("/login", environ_base=environ, headers=self.headers)
        return self.client.post("/login", environ_base=environ, headers=self.headers, data={
            "username": username, "password": password, "csrf_token": csrf_token(page.text)})


def audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                       .order_by(AuditEntry.id)))


def test_an_outsiders_failures_do_not_lock_the_user_out(app, users):
    outsider = From(app, OUTSIDER)
    for _ in range(5):
        assert outsider.login("staff", "guessing-1234").status_code == 200
    locked = outsider.login("staff")  # locked for the outsider, even with the password
    assert "locked for 15 minutes" in locked.text
    assert_redirect(outsider.get("/admin/"), to="/login?next=/admin/")
    assert_redirect(From(app, USER_ADDRESS).login("staff"), to="/admin/")
    failed = audit(app, "login_failed")
    assert [e.ip for e in failed] == [OUTSIDER] * 6
    assert [e.changes["locked"] for e in failed] == [False] * 4 + [True, True]


def test_failures_from_the_users_own_address_still_lock_it(app, users):
    user = From(app, USER_ADDRESS)
    for _ in range(5):
        user.login("staff", "mistyped-1234")
    assert user.login("staff").status_code == 200  # locked here
    assert_redirect(user.get("/admin/"), to="/login?next=/admin/")
    assert_redirect(From(app, "198.51.100.8").login("staff"), to="/admin/")


def test_a_success_forgets_the_failures_from_its_address(app, users):
    user = From(app, USER_ADDRESS)
    for _ in range(4):
        user.login("staff", "mistyped-1234")
    assert_redirect(user.login("staff"), to="/admin/")
    user.post_form("/logout", {}, token_url="/admin/")
    for _ in range(4):
        user.login("staff", "mistyped-1234")
    assert_redirect(user.login("staff"), to="/admin/")  # 4 + 4 failures never made 5


def test_the_per_address_limit_stays_and_its_refusals_are_counted(app, users):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    outsider = From(app, OUTSIDER)
    for _ in range(3):
        assert outsider.login("nobody", "x").status_code == 200
    for _ in range(12):
        limited = outsider.login("staff")
        assert limited.status_code == 429
        assert "Too many log-in attempts" in limited.text
    assert_redirect(From(app, USER_ADDRESS).login("staff"), to="/admin/")
    # The log only grows: entries at the 1st and 10th refusal, each with the count so far.
    throttled = audit(app, "login_throttled")
    assert [entry.changes for entry in throttled] == [
        {"attempts": 1, "username": "staff"}, {"attempts": 10, "username": "staff"}]
    assert {(entry.ip, entry.user_id) for entry in throttled} == {(OUTSIDER, None)}


# --- behind a reverse proxy ----------------------------------------------------------------


@pytest.fixture
def proxied(database_url, users, app):
    """The same database, through an app behind one trusted reverse proxy."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                        "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": 1,
                        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    yield other
    with other.app_context():
        db.engine.dispose()


PROXY = "10.0.0.2"


def forwarded(client_address: str) -> dict[str, str]:
    return {"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https",
            "Referer": "https://localhost/login"}  # Flask-WTF wants it over HTTPS


def test_behind_a_trusted_proxy_each_client_has_its_own_address(proxied, app, users):
    outsider = From(proxied, PROXY, forwarded(OUTSIDER))
    for _ in range(5):
        outsider.login("staff", "guessing-1234")
    # Through the same proxy, the user is another address: not locked out.
    user = From(proxied, PROXY, forwarded(USER_ADDRESS))
    response = user.login("staff")
    assert_redirect(response, to="/admin/")
    assert "Secure" in response.headers["Set-Cookie"]  # the proxy spoke HTTPS to the browser
    assert {e.ip for e in audit(app, "login_failed")} == {OUTSIDER}
    assert [e.ip for e in audit(app, "login")] == [USER_ADDRESS]


def test_behind_a_trusted_proxy_the_limit_counts_per_client(proxied, users):
    proxied.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    outsider = From(proxied, PROXY, forwarded(OUTSIDER))
    for _ in range(3):
        outsider.login("nobody", "x")
    assert outsider.login("nobody", "x").status_code == 429
    assert_redirect(From(proxied, PROXY, forwarded(USER_ADDRESS)).login("staff"), to="/admin/")


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(app, users):
    """Anyone can send X-Forwarded-For: by default it changes nothing, so an outsider
    can't escape the limit or the lock-out by inventing addresses."""
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for n in range(3):
        From(app, OUTSIDER, forwarded(f"192.0.2.{n}")).login("staff", "guessing-1234")
    assert From(app, OUTSIDER, forwarded("192.0.2.99")).login("staff").status_code == 429
    assert {e.ip for e in audit(app, "login_failed")} == {OUTSIDER}


# --- capped fields -------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "limit"), [("username", 64), ("password", 128)])
def test_an_oversize_field_is_refused_beside_it_and_writes_no_big_audit_row(app, users,
                                                                             field, limit):
    browser = From(app, OUTSIDER)
    values = {"username": "staff", "password": PASSWORD, field: "x" * 100_000}
    response = browser.login(values["username"], values["password"])
    assert response.status_code == 200
    assert f"Use at most {limit} characters." in response.text
    assert "invalid-feedback" in response.text
    assert_redirect(browser.get("/admin/"), to="/login?next=/admin/")
    with app.app_context():
        largest = db.session.scalar(sa.select(sa.func.max(sa.func.length(
            sa.cast(AuditEntry.changes, sa.String)))))
        assert (largest or 0) < 1000
    # At the cap itself the form takes the value (and the log-in is merely refused).
    browser.login("x" * 64, "y" * 128)
    assert len(audit(app, "login_failed")) == 1


def test_a_password_longer_than_the_log_in_form_takes_cannot_be_set(app, as_role, users):
    admin = as_role("admin")
    response = admin.post_form("/admin/user/new/", {
        "username": "newbie", "role": "staff", "is_active": "y",
        "password": "long-pass-1" * 12})  # 132 characters
    assert response.status_code == 200
    assert "Use at most 128 characters." in response.text


# --- a log-in while another writer holds the database ---------------------------------------


@pytest.fixture
def writer_lock(app, is_postgres):
    """Another connection holding the write lock: on SQLite a raw ``BEGIN IMMEDIATE`` on
    the same file; on PostgreSQL (whose writers only meet on the same rows or tables) the
    audit log and the user rows, which every log-in writes, held against writers."""
    held: list = []

    def take() -> None:
        with app.app_context():
            url = db.engine.url
            if is_postgres:
                holder = Session(db.engine)
                holder.execute(sa.text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
                sql.lock_against_writers(holder, User)
                held.append(holder)
                return
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        held.append(holder)

    def release() -> None:
        while held:
            holder = held.pop()
            holder.rollback() if isinstance(holder, Session) else holder.execute("ROLLBACK")
            holder.close()

    yield take, release
    release()


@pytest.mark.parametrize("password", [PASSWORD, "wrong-pass-1234"])
def test_a_log_in_while_the_database_is_busy_says_so_on_the_log_in_page(
        app, impatient, users, writer_lock, password):
    take, release = writer_lock
    browser = Browser(impatient.test_client())
    page = browser.get("/login")
    take()
    response = browser.client.post("/login", data={
        "username": "staff", "password": password, "csrf_token": csrf_token(page.text)})
    release()
    assert response.status_code == 503
    assert "These records are busy with another change" in response.text
    assert 'name="username"' in response.text and 'value="staff"' in response.text
    assert audit(app, "login") == [] and audit(app, "login_failed") == []
    assert_redirect(browser.get("/admin/"), to="/login?next=/admin/")
    # Once the other writer has finished, the same log-in goes through.
    assert_redirect(browser.login("staff"), to="/admin/")


def test_a_signed_in_user_reads_pages_while_the_database_is_busy(app, as_role, users,
                                                                 writer_lock, monkeypatch):
    """Noting the session's activity waits ~0.1 s for the lock, not LOCK_TIMEOUT_MS (5 s
    here), and the page is served."""
    from admin_app.services import sessions

    staff = as_role("staff")
    take, release = writer_lock
    monkeypatch.setattr(sessions, "TOUCH_EVERY", sessions.TOUCH_EVERY * 0)  # every request
    take()
    try:
        started = time.monotonic()
        assert staff.get("/admin/client/").status_code == 200
        assert time.monotonic() - started < 2.5
    finally:
        release()
    assert staff.get("/admin/").status_code == 200
