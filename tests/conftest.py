"""Fixtures: an app per test, on a fresh SQLite file or (with TEST_DATABASE_URL) PostgreSQL.

On PostgreSQL the run gets its own database, created here and dropped at the end, so
parallel runs and leftovers never meet; each test starts from empty tables.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from jinja2 import BytecodeCache
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.config import normalise_database_url
from admin_app.extensions import db
from admin_app.services import accounts
from seed.tiers import ensure_default_tiers

from . import factories, spreadsheets
from .factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the many apps a run builds (one per test)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()


@pytest.fixture(scope="session")
def database_server() -> Iterator[str | None]:
    """A database of our own on the PostgreSQL server of TEST_DATABASE_URL, or None."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield None
        return
    base = make_url(normalise_database_url(url))
    name = f"clientcare_test_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    own = base.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(own)
    db.metadata.create_all(engine)
    engine.dispose()
    yield own
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture
def database_url(database_server: str | None, tmp_path) -> str:
    return database_server or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(database_url: str, database_server: str | None, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DEMO_PASSWORD": PASSWORD,
        # The same scheme at a lower work factor: thousands of log-ins per run.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "CREATE_DATABASE": True,  # a new SQLite file per test, made by create_all below
    })
    app.instance_path = str(tmp_path / "instance")
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with app.app_context():
        if database_server is None:
            db.create_all()
        ensure_default_tiers(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        if database_server is not None:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def unreachable_error(database_url: str, tmp_path) -> sa.exc.OperationalError:
    """The real error of connecting to a database that isn't there, on the engine under
    test: a PostgreSQL port nothing listens on, or an SQLite file in a missing directory."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        with socket.socket() as probe:  # a free port: nothing listens on it once closed
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = url.set(host="127.0.0.1", port=port)
    else:
        url = make_url(f"sqlite:///{tmp_path / 'missing' / 'clientcare.db'}")
    engine = sa.create_engine(url)
    try:
        with pytest.raises(sa.exc.OperationalError) as failure:
            engine.connect()
    finally:
        engine.dispose()
    return failure.value


@pytest.fixture
def is_postgres(database_server) -> bool:
    return database_server is not None


@pytest.fixture
def session(app):
    """The app's session inside an app context, for service and model tests."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def users(app) -> dict[str, int]:
    """One user per role, each named after its role; returns their ids."""
    ids = {}
    with app.app_context():
        for role in ("admin", "supervisor", "staff"):
            ids[role] = accounts.create_user(db.session, role, role=role, password=PASSWORD,
                                             full_name=f"Test {role}").id
        db.session.commit()
    return ids


def assert_redirect(response, to: str) -> None:
    """``response`` is a redirect (any 3xx: which one is Flask's choice) to ``to``: the
    same path and the same query parameters, in any order."""
    assert 300 <= response.status_code < 400, (
        f"{response.status_code} is not a redirect: {response.text[:500]}")
    location = urlsplit(response.headers["Location"])
    expected = urlsplit(to)
    assert (location.scheme, location.netloc, location.path) == (
        expected.scheme, expected.netloc, expected.path), response.headers["Location"]
    assert parse_qs(location.query) == parse_qs(expected.query), response.headers["Location"]


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


class Browser:
    """A test client that logs in through the real form and posts real CSRF tokens."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def login(self, username: str, password: str = PASSWORD):
        page = self.client.get("/login")
        return self.client.post("/login", data={
            "username": username, "password": password, "csrf_token": csrf_token(page.text),
        })

    def token_from(self, url: str) -> str:
        return csrf_token(self.client.get(url).text)

    def post_form(self, url: str, data: dict, token_url: str | None = None, **kw):
        """POST ``data`` to ``url`` with the CSRF token of the page at ``token_url``."""
        data = {**data, "csrf_token": self.token_from(token_url or url)}
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def as_role(app, users):
    """``as_role("staff")`` -> a Browser logged in as that role."""

    def _login(role: str) -> Browser:
        b = Browser(app.test_client())
        response = b.login(role)
        assert_redirect(response, to="/admin/")
        return b

    return _login


@pytest.fixture
def sample(app, users) -> dict[str, int]:
    """One record of each type (tests/factories.py); returns their ids."""
    from datetime import UTC, datetime
    from decimal import Decimal

    with app.app_context():
        session = db.session
        gold = factories.tier(session, "gold")
        client = factories.client(
            session, code="C0000001", name="王小明", phone="13812345678",
            email="wang@example.com", id_number="11010519491231002X",
            assets=Decimal("800000.00"), annual_contribution=Decimal("6000"), trades_12m=5,
            tier=gold, advisor_id=users["staff"])
        start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        event = factories.event(session, title="Investment lecture", kind="lecture",
                                status="open", starts_at=start, capacity=50,
                                budget=Decimal("5000"))
        factories.attendance(session, event=event, client=client, status="registered")
        visit = factories.visit(session, client=client, staff_id=users["staff"],
                                channel="phone", purpose="scheduled_callback",
                                status="planned", scheduled_for=start)
        complaint = factories.complaint(session, reference="CP-2026-000001", client=client,
                                        channel="hotline", category="fees",
                                        description="Fee too high", received_at=start)
        session.commit()
        return {"client": client.id, "event": event.id, "visit": visit.id,
                "complaint": complaint.id, "tier": gold.id, "user": users["staff"]}


class _FormParser(HTMLParser):
    """Collects what a browser would submit from a page's form fields."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            elif kind not in ("submit", "button"):
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = _FormParser()
    parser.feed(html)
    parser.values.pop("csrf_token", None)
    return parser.values


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory) -> spreadsheets.LibreOffice:
    """Headless LibreOffice Calc (tests/spreadsheets.py); skipped when not installed,
    failed when CLIENTCARE_REQUIRE_SPREADSHEET is set."""
    return spreadsheets.libreoffice(tmp_path_factory)


@pytest.fixture
def impatient(database_url, users, app):
    """The same database, through an app whose writes wait only 200 ms for a lock."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                        "SQLALCHEMY_DATABASE_URI": database_url, "LOCK_TIMEOUT_MS": 200,
                        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    yield other
    with other.app_context():
        db.engine.dispose()  # its pooled connections, closed rather than left to the GC
