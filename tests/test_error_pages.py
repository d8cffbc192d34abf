"""Refusals and failures answer inside the app's layout, in the user's language, with a
way back; a failure shows a request id that is in the log beside its traceback, and never
the traceback itself. A database that can't be reached answers 503, and the first request
after it is back works. A write that waits too long for another's lock says so on every
screen, never with a 500."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from admin_app import create_app, sql
from admin_app.enums import ComplaintStatus
from admin_app.extensions import db
from admin_app.models import Client, Complaint
from admin_app.services import accounts
from admin_app.views import adapter
from seed.tiers import ensure_default_tiers

from .conftest import PASSWORD, Browser, assert_redirect, csrf_token
from .test_i18n import english_words, visible_text

CHINESE = ("zh_Hans", "zh_Hant")
FAILURE_DETAIL = "no such thing as /srv/secret/config.py"
# The pages' titles, from the catalogues.
TITLES = {
    "zh_Hans": {400: "请求无效", 403: "不允许", 404: "未找到", 405: "不允许", 500: "出错了",
                503: "服务暂不可用"},
    "zh_Hant": {400: "請求無效", 403: "不允許", 404: "找不到", 405: "不允許", 500: "發生錯誤",
                503: "服務暫時無法使用"},
}
# Latin-script data on a signed-in page: the user's name as the users fixture made it.
USER_NAME_WORDS = ("Test", "staff", "admin")


@pytest.fixture
def failing(app) -> str:
    """A page that fails with an unexpected error, as a bug would; the app answers it as in
    production (the 500 page) instead of passing the exception to the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/admin/failing/")
    def failing_page():
        raise RuntimeError(FAILURE_DETAIL)

    return "/admin/failing/"


def refusal(browser: Browser, status: int, failing: str):
    """Each refusal or failure, as a signed-in user meets it."""
    if status == 400:  # a form posted without its CSRF token (an expired form)
        return browser.client.post("/admin/client/new/", data={"code": "C1"},
                                   headers={"Referer": "http://localhost/admin/client/new/"})
    url = {403: "/admin/user/", 404: "/admin/no-such-screen/", 405: "/logout",
           500: failing}[status]
    return browser.get(url, headers={"Referer": "http://localhost/admin/client/"})


def assert_error_page(response, status: int, lang: str) -> None:
    assert response.status_code == status
    assert f'id="error-page" data-status="{status}"' in response.text
    assert TITLES[lang][status] in visible_text(response.text)
    words = english_words(response.text, allowed=USER_NAME_WORDS)
    assert not words, f"English left on the {status} page under ?lang={lang}: {words}"


@pytest.mark.parametrize("lang", CHINESE)
@pytest.mark.parametrize("status", [400, 403, 404, 405, 500])
def test_every_error_page_is_in_the_layout_translated_with_a_way_back(as_role, failing,
                                                                       status, lang):
    staff = as_role("staff")
    staff.get(f"/admin/?lang={lang}")
    response = refusal(staff, status, failing)
    assert_error_page(response, status, lang)
    page = response.text
    # The layout: the menu and the signed-in user, with no menu entry marked current.
    assert 'id="admin-navbar-collapse"' in page and 'href="/admin/client/"' in page
    assert 'id="current-user"' in page
    assert '<li class="active' not in page
    # The ways back: where the user came from, and the dashboard.
    back = "/admin/client/new/" if status == 400 else "/admin/client/"
    assert f'href="http://localhost{back}"' in page
    assert 'href="/admin/" class="btn' in page
    assert ('id="request-id"' in page) == (status == 500)


def test_a_failure_shows_the_request_id_that_the_log_holds_with_the_traceback(
        as_role, failing, caplog):
    staff = as_role("staff")
    with caplog.at_level(logging.ERROR):
        response = staff.get(failing)
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert f'<code id="request-id">{request_id}</code>' in response.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert logged[0].exc_info[0] is RuntimeError and FAILURE_DETAIL in str(logged[0].exc_info[1])
    for leak in ("Traceback", "RuntimeError", FAILURE_DETAIL, "failing_page"):
        assert leak not in response.text


def test_a_request_id_given_by_a_proxy_is_kept_and_a_strange_one_replaced(as_role, failing,
                                                                         caplog):
    staff = as_role("staff")
    kept = staff.get(failing, headers={"X-Request-ID": "lb-7f3a9c21"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21"
    assert "lb-7f3a9c21" in kept.text
    for strange in ("short", "two words here", "x" * 65, "<script>alert(1)</script>"):
        replaced = staff.get(failing, headers={"X-Request-ID": strange})
        assert replaced.headers["X-Request-ID"] != strange
        assert len(replaced.headers["X-Request-ID"]) == 32
    # Every response carries its id, not only the failures.
    ok = staff.get("/admin/")
    assert ok.status_code == 200 and len(ok.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize("lang", CHINESE)
def test_a_visitor_gets_a_minimal_page_with_the_way_to_log_in(browser, lang):
    response = browser.get(f"/no-such-page?lang={lang}")
    assert_error_page(response, 404, lang)
    assert 'href="/login" class="btn' in response.text
    assert 'id="admin-navbar-collapse"' not in response.text


def test_a_referrer_from_another_site_is_no_way_back(as_role):
    response = as_role("staff").get("/admin/no-such-screen/",
                                     headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 404
    assert "evil.example" not in response.text


@pytest.mark.parametrize(("lang", "title"), [("en", "Not allowed"), ("zh_Hans", "不允许"),
                                             ("zh_Hant", "不允許")])
def test_403_page_speaks_the_users_language(as_role, lang, title):
    staff = as_role("staff")
    staff.get(f"/admin/?lang={lang}")
    response = staff.get("/admin/user/")
    assert response.status_code == 403
    assert title in response.text and 'id="error-page"' in response.text
    assert "You don't have the permission" not in response.text


# --- a database that can't be reached ----------------------------------------------------


class TcpProxy:
    """A TCP proxy between the app and the database server, which a test cuts and restores
    as a network or a server restart would: closing it kills every connection through it,
    and its port refuses new ones until it opens again (on the same port)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener, self._stop = listener, threading.Event()
        self._acceptor = threading.Thread(target=self._accept, args=(listener, self._stop),
                                          daemon=True)
        self._acceptor.start()

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._acceptor.join(timeout=5)  # it stops listening before the port is closed
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _shut(source)
        _shut(sink)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def app_on(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                       "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
                       "CREATE_DATABASE": True})


def assert_unavailable_page(response, lang: str, caplog) -> None:
    """The 503 page: translated, minimal (the menu needs the database), with the request id
    that the log holds beside the driver's error, and the way to try again."""
    assert_error_page(response, 503, lang)
    request_id = response.headers["X-Request-ID"]
    assert f'<code id="request-id">{request_id}</code>' in response.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], sa.exc.OperationalError)
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite3", "127.0.0.1"):
        assert leak not in response.text


@pytest.fixture
def proxy(is_postgres, database_url):
    if not is_postgres:
        pytest.skip("SQLite is a file inside the app's own process: there is no server to "
                    "lose (its unopenable file is the next test)")
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.open()
    yield proxy
    proxy.close()


@pytest.mark.parametrize("lang", CHINESE)
def test_an_unreachable_database_server_answers_503_and_the_next_request_after_it_works(
        proxy, database_url, users, caplog, lang):
    app = app_on(make_url(database_url).set(host="127.0.0.1", port=proxy.port)
                 .render_as_string(hide_password=False))
    try:
        staff = Browser(app.test_client())
        staff.login("staff")
        assert staff.get(f"/admin/client/?lang={lang}").status_code == 200

        proxy.close()  # the server is gone, and every connection to it
        with caplog.at_level(logging.ERROR):
            down = staff.get("/admin/client/")
        assert_unavailable_page(down, lang, caplog)
        assert 'href="http://localhost/admin/client/" class="btn btn-primary' in down.text

        proxy.open()  # back: the very next request works
        assert staff.get("/admin/client/").status_code == 200

        proxy.close()  # a cut between two requests: the pooled connection is dead ...
        proxy.open()
        assert staff.get("/admin/client/").status_code == 200  # ... and replaced unseen
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_database_file_that_cannot_be_opened_answers_503_until_it_can(
        is_postgres, tmp_path: Path, caplog):
    """SQLite's outage: the directory of the database file is missing (a volume not yet
    mounted); once it is there, the next request works."""
    if is_postgres:
        pytest.skip("PostgreSQL's outage is the proxy test above")
    prepared, volume = tmp_path / "prepared", tmp_path / "volume"
    prepared.mkdir()
    setup = app_on(f"sqlite:///{prepared / 'clientcare.db'}")
    with setup.app_context():
        db.create_all()
        ensure_default_tiers(db.session)
        accounts.create_user(db.session, "staff", role="staff", password=PASSWORD)
        db.session.commit()
        db.engine.dispose()

    app = app_on(f"sqlite:///{volume / 'clientcare.db'}")
    visitor = Browser(app.test_client())
    form = visitor.get("/login?lang=zh_Hans")
    login = {"username": "staff", "password": PASSWORD, "csrf_token": csrf_token(form.text)}
    with caplog.at_level(logging.ERROR):
        down = visitor.client.post("/login", data=login)
    assert_unavailable_page(down, "zh_Hans", caplog)

    prepared.rename(volume)  # the volume is there
    assert_redirect(visitor.client.post("/login", data=login), to="/admin/")
    assert visitor.get("/admin/client/").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_save_that_loses_the_database_is_the_503_page_not_the_drivers_words(
        app, unreachable_error):
    """Flask-Admin flashes a failed save's exception text; ours leaves it to the 503 page."""
    view = next(v for v in adapter.views_of(app.extensions["admin"][0]) if v.endpoint == "client")
    with app.test_request_context("/admin/client/edit/?id=1", method="POST"):
        with pytest.raises(sa.exc.OperationalError):
            view.handle_view_exception(unreachable_error)
        assert not view.handle_view_exception(ValueError("not ours"))


# --- a write that waits too long for a lock ------------------------------------------------


def test_a_complaint_step_while_the_records_are_busy_says_so(app, impatient, sample):
    supervisor = Browser(impatient.test_client())
    supervisor.login("supervisor", PASSWORD)
    details = f"/admin/complaint/details/?id={sample['complaint']}"
    token = supervisor.token_from(details)
    with app.app_context():
        holder = Session(db.engine)
    sql.lock_against_writers(holder, Complaint)  # another writer holds the complaints
    try:
        response = supervisor.client.post(
            "/admin/complaint/transition/", query_string={"id": sample["complaint"]},
            data={"step": "assess", "csrf_token": token},
            headers={"Referer": f"http://localhost{details}"}, follow_redirects=True)
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 200
    assert "busy with another change" in response.text
    with app.app_context():
        status = db.session.scalar(sa.select(Complaint.status).where(
            Complaint.id == sample["complaint"]))
        assert status == ComplaintStatus.received


def hold_the_clients(holder: Session) -> None:
    """Another transaction holds the client table: on PostgreSQL against readers too (as a
    migration does), on SQLite against writers (readers never wait there)."""
    if sql.engine_of(holder) == sql.POSTGRESQL:
        holder.execute(sa.text("LOCK TABLE client IN ACCESS EXCLUSIVE MODE"))
    else:
        sql.lock_against_writers(holder, Client)


@pytest.mark.parametrize("path", ["/admin/", "/admin/client/"])
def test_pages_while_the_records_are_held_say_busy_and_the_next_request_works(
        app, impatient, path):
    staff = Browser(impatient.test_client())
    staff.login("staff", PASSWORD)
    staff.get("/admin/?lang=zh_Hant")
    with app.app_context():
        holder = Session(db.engine)
    hold_the_clients(holder)
    try:
        response = staff.client.get(path)
    finally:
        holder.rollback()
        holder.close()
    with app.app_context():
        engine = db.engine.dialect.name
    if engine == sql.POSTGRESQL:  # the lock waited for, then the translated busy page
        assert response.status_code == 503
        assert "佔用" in response.text and "Traceback" not in response.text
    else:  # SQLite: reads go on beside a writer
        assert response.status_code == 200
    assert staff.get(path).status_code == 200
