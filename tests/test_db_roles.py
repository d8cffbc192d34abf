"""The audit log is append-only (issue 15): no screen or URL changes an entry, and on
PostgreSQL the app's own database role (``flask grant-app-role``) may add entries but not
update, delete or truncate them -- tested by connecting as that role, and by running the
app as it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import AuditEntry

from .conftest import PASSWORD, form_values


@pytest.fixture
def app_role(app, database_server):
    """A fresh role set up by the command (a cluster-wide name of its own), dropped after."""
    if database_server is None:
        pytest.skip("database roles exist on PostgreSQL only")
    role = f"cc_app_{uuid.uuid4().hex[:8]}"
    result = app.test_cli_runner().invoke(args=["grant-app-role", role])
    assert result.exit_code == 0, result.output
    assert "only add to the audit log" in result.output
    yield role
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
        conn.exec_driver_sql(f'DROP ROLE "{role}"')


def as_role_url(database_server: str, role: str) -> str:
    return make_url(database_server).set(username=role, password=None).render_as_string(
        hide_password=False)


def test_the_app_role_may_add_to_the_audit_log_but_never_change_it(app, database_server,
                                                                     app_role):
    engine = sa.create_engine(as_role_url(database_server, app_role))
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(AuditEntry).values(action="update", entity="client",
                                                      entity_id="1", at=sa.func.now()))
            assert conn.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
        for statement in ("UPDATE audit_entry SET action = 'forged'",
                          "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
            with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError,
                                                         match="permission denied"):
                conn.exec_driver_sql(statement)
        with engine.begin() as conn:
            assert conn.scalar(sa.select(AuditEntry.action)) == "update"
    finally:
        engine.dispose()


def test_the_app_runs_as_that_role_and_audits_an_edit(app, database_server, app_role, sample):
    restricted = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                             "SQLALCHEMY_DATABASE_URI": as_role_url(database_server, app_role),
                             "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    http = restricted.test_client()
    page = http.get("/login").text
    from .conftest import csrf_token

    http.post("/login", data={"username": "admin", "password": PASSWORD,
                              "csrf_token": csrf_token(page)})
    url = f"/admin/client/edit/?id={sample['client']}"
    page = http.get(url).text
    response = http.post(url, data={**form_values(page), "notes": "by the app role",
                                    "csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.text[:2000]
    assert "/admin/client/" in response.headers["Location"], response.headers["Location"]
    with restricted.app_context():
        entries = db.session.scalars(sa.select(AuditEntry.changes).where(
            AuditEntry.entity == "client", AuditEntry.entity_id == str(sample["client"]))).all()
        db.session.remove()  # its connection back to the pool, then every one closed
        db.engine.dispose()
    assert any("by the app role" in str(changes) for changes in entries), entries


def test_on_sqlite_the_command_says_roles_are_postgresql_only(app, database_server):
    if database_server is not None:
        pytest.skip("SQLite's answer")
    result = app.test_cli_runner().invoke(args=["grant-app-role", "cc_app"])
    assert result.exit_code != 0 and "PostgreSQL only" in result.output


def test_a_role_name_that_is_not_a_name_is_refused(app, database_server):
    if database_server is None:
        pytest.skip("checked on PostgreSQL, after the engine")
    result = app.test_cli_runner().invoke(args=["grant-app-role", 'x"; DROP TABLE client; --'])
    assert result.exit_code != 0 and "is not a role name" in result.output


@pytest.mark.parametrize("url", ["/admin/audit/edit/?id={id}", "/admin/audit/delete/",
                                 "/admin/audit/new/"])
@pytest.mark.parametrize("role", ["staff", "supervisor", "admin"])
def test_no_url_edits_or_deletes_an_entry(app, as_role, role, url):
    with app.app_context():
        entry = AuditEntry(action="update", entity="client", entity_id="1", changes={})
        db.session.add(entry)
        db.session.commit()
        entry_id = entry.id
    browser = as_role(role)
    target = url.format(id=entry_id)
    if target.endswith("delete/"):
        response = browser.post_form(target, {"id": str(entry_id)}, token_url="/admin/")
    else:
        response = browser.get(target)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(AuditEntry, entry_id) is not None
