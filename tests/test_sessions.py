"""Signed-in sessions end: a copied session cookie, replayed after the user logged out,
was deactivated, or had their role or password changed, opens nothing and writes nothing;
a session ends after the idle timeout and after the absolute lifetime (time pinned), and
one in use keeps working. Real HTTP through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from admin_app import auth, create_app
from admin_app.extensions import db
from admin_app.models import Client, User

from .conftest import PASSWORD, Browser, assert_redirect, form_values

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
NEW_CLIENT = {"code": "C7000001", "name": "Replay Test", "kind": "individual",
              "status": "active", "risk_profile": "balanced", "assets": "1000",
              "annual_contribution": "0", "trades_12m": "0"}


class Clock:
    """``now`` for log-in and for resuming sessions; moved by the test."""

    def __init__(self, monkeypatch, start: datetime) -> None:
        self.now = start
        # raising=False: the code before server-side sessions had no clock here, and the
        # timeout tests must fail there by their assertions, not by a missing name.
        monkeypatch.setattr(auth, "utcnow", lambda: self.now, raising=False)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch, T0)


def clients_named(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Client)
                                 .where(Client.code == code))


class Replay:
    """Another machine with a copy of a signed-in user's session cookie, and a form token
    it took from a page while the session was valid."""

    def __init__(self, app, victim: Browser) -> None:
        self.client = app.test_client()
        cookie = victim.client.get_cookie("session")
        assert cookie is not None
        self.client.set_cookie("session", cookie.value)
        page = self.client.get("/admin/client/new/")
        assert page.status_code == 200, "the copy works while the session is valid"
        from .conftest import csrf_token
        self.token = csrf_token(page.text)

    def create_client(self, code: str):
        return self.client.post("/admin/client/new/",
                                data={**NEW_CLIENT, "code": code, "csrf_token": self.token})

    def assert_refused(self, app, code: str) -> None:
        for url in ("/admin/", "/admin/client/", "/admin/user/"):
            assert_redirect(self.client.get(url), to=f"/login?next={url}")
        response = self.create_client(code)
        assert_redirect(response, to="/login?next=/admin/client/new/")
        assert clients_named(app, code) == 0


def test_the_copy_works_like_the_original_while_the_session_is_valid(app, as_role):
    """The control: what the replay does is refused below only because the session ended."""
    replay = Replay(app, as_role("admin"))
    assert_redirect(replay.create_client("C7000002"), to="/admin/client/")
    assert clients_named(app, "C7000002") == 1


def test_a_copied_cookie_is_refused_after_logout(app, as_role):
    admin = as_role("admin")
    replay = Replay(app, admin)
    assert_redirect(admin.post_form("/logout", {}, token_url="/admin/"), to="/login")
    replay.assert_refused(app, "C7000003")


def test_logging_out_ends_only_that_session(app, as_role):
    """The same user signed in on a second machine stays signed in there."""
    laptop, desktop = as_role("admin"), as_role("admin")
    laptop.post_form("/logout", {}, token_url="/admin/")
    assert_redirect(laptop.get("/admin/"), to="/login?next=/admin/")
    assert desktop.get("/admin/").status_code == 200


def _edit_user(admin: Browser, user_id: int, **changes: str):
    url = f"/admin/user/edit/?id={user_id}"
    data = {**form_values(admin.get(url).text), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return admin.post_form(url, data)


@pytest.mark.parametrize("change", ["deactivate", "role", "password"])
def test_an_admins_change_to_the_account_ends_its_sessions(app, as_role, users, change):
    """Deactivation, a change of role, a new password: each ends every session of the
    user, on the Users screen as an admin does it."""
    victim = as_role("supervisor")
    replay = Replay(app, victim)
    admin = as_role("admin")
    changes = {"deactivate": {"is_active": None}, "role": {"role": "staff"},
               "password": {"password": "a-fresh-passw0rd"}}[change]
    assert_redirect(_edit_user(admin, users["supervisor"], **changes), to="/admin/user/")
    replay.assert_refused(app, "C7000004")
    assert_redirect(victim.get("/admin/"), to="/login?next=/admin/")
    assert admin.get("/admin/").status_code == 200  # nobody else's session ended


def test_reactivating_a_user_does_not_bring_old_sessions_back(app, as_role, users):
    replay = Replay(app, as_role("supervisor"))
    admin = as_role("admin")
    _edit_user(admin, users["supervisor"], is_active=None)
    assert_redirect(_edit_user(admin, users["supervisor"], is_active="y"), to="/admin/user/")
    replay.assert_refused(app, "C7000005")
    assert_redirect(Browser(app.test_client()).login("supervisor"), to="/admin/")


def test_a_change_made_outside_the_screens_ends_the_sessions_too(app, as_role, users):
    """The command line or a script changes the user through the ORM: the same rule."""
    replay = Replay(app, as_role("staff"))
    with app.app_context():
        db.session.get(User, users["staff"]).role = "supervisor"
        db.session.commit()
    replay.assert_refused(app, "C7000006")


def test_an_edit_that_changes_nothing_that_matters_keeps_the_sessions(app, as_role, users):
    staff = as_role("staff")
    admin = as_role("admin")
    assert_redirect(_edit_user(admin, users["staff"], department="Wealth"), to="/admin/user/")
    assert staff.get("/admin/").status_code == 200


# --- timeouts ------------------------------------------------------------------------------


def test_a_session_in_use_keeps_working_and_ends_after_30_idle_minutes(app, as_role, clock):
    staff = as_role("staff")
    for _ in range(6):  # three hours of a page every 29 minutes: the idle timer restarts
        clock.advance(minutes=29)
        assert staff.get("/admin/").status_code == 200
    clock.advance(minutes=30)
    response = staff.get("/admin/")
    assert_redirect(response, to="/login?next=/admin/")
    page = staff.get("/login")
    assert "Your session ended after 30 minutes without activity." in page.text
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")  # and stays ended
    clock.advance(minutes=-10)  # a clock put back does not revive it either
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")


def test_a_session_ends_after_12_hours_however_busy(app, as_role, clock):
    staff = as_role("staff")
    for _ in range(11 * 3):  # a page every 20 minutes for 11 hours
        clock.advance(minutes=20)
        assert staff.get("/admin/").status_code == 200
    for minutes in (29, 29, 1):
        clock.advance(minutes=minutes)
        assert staff.get("/admin/").status_code == 200  # until 11 h 59 min
    clock.advance(minutes=1)
    assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")
    assert "Sessions last at most 12 hours." in staff.get("/login").text
    assert_redirect(staff.login("staff"), to="/admin/")  # a new log-in starts afresh
    assert staff.get("/admin/").status_code == 200


def test_the_timeouts_are_settings(database_url, users, monkeypatch, clock):
    """Idle minutes and lifetime hours from the environment (or instance/config.py, or the
    dict a caller passes); the signed cookie itself expires with the lifetime."""
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("SESSION_LIFETIME_HOURS", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": database_url,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    try:
        assert app.config["SESSION_IDLE_MINUTES"] == 5
        assert app.permanent_session_lifetime == timedelta(hours=1)
        staff = Browser(app.test_client())
        assert_redirect(staff.login("staff", PASSWORD), to="/admin/")
        clock.advance(minutes=4)
        assert staff.get("/admin/").status_code == 200
        clock.advance(minutes=5)
        assert_redirect(staff.get("/admin/"), to="/login?next=/admin/")
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(("name", "value"), [("SESSION_IDLE_MINUTES", "0"),
                                             ("SESSION_LIFETIME_HOURS", "twelve"),
                                             ("TRUSTED_PROXIES", "-1")])
def test_a_setting_that_is_not_a_whole_number_stops_the_start(database_url, name, value):
    with pytest.raises(RuntimeError, match=name):
        create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                    name: value})
