"""The permission matrix, enforced for every admin endpoint, generated from the URL map.

For each role × endpoint × method the matrix's answer is checked: allowed → no 403 (and no
server error); refused → 403 with the database unchanged; anonymous → sent to the login
page. An endpoint or action the matrix does not classify fails the test, so new screens
are covered without new test code.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app import create_app
from admin_app.extensions import db
from admin_app.permissions import MATRIX, can
from admin_app.views.base import SecureModelView

ROLES = ("staff", "supervisor", "admin")
UNKNOWN_ACTION = "no_such_action"


def _views(app) -> dict[str, object]:
    admin = app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views}


def _cases() -> list[tuple[str, str, str, str]]:
    """(endpoint, method, action, capability) for every admin route; built from a bare app."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    views = _views(app)
    cases = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint.endswith(".static"):
            continue
        view_name, _, name = rule.endpoint.partition(".")
        view = views[view_name]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if not isinstance(view, SecureModelView):
                cases.append((rule.endpoint, method, "", "view"))
            elif name == "action_view":
                for action in [*view._actions_data, UNKNOWN_ACTION]:
                    cases.append((rule.endpoint, method, action,
                                  view.action_capability(action) or "<unclassified>"))
            elif name == "ajax_lookup":
                cases.append((rule.endpoint, method, "", "create|edit"))
            else:
                capability = view.endpoint_capability(name)
                assert capability, f"endpoint {rule.endpoint} is not in the permission matrix"
                cases.append((rule.endpoint, method, "", capability))
    return sorted(cases)


CASES = _cases()


def expected_allowed(role: str, endpoint: str, capability: str) -> bool:
    resource = endpoint.partition(".")[0]
    resource = "dashboard" if resource == "admin" else resource
    if capability == "create|edit":
        return can(role, resource, "create") or can(role, resource, "edit")
    return can(role, resource, capability)


def test_every_resource_in_the_matrix_has_a_screen(app):
    assert set(MATRIX) - {"dashboard"} == set(_views(app)) - {"admin"}


def test_matrix_covers_all_routes():
    assert len(CASES) >= 60
    actions = {(endpoint, action) for endpoint, _m, action, _c in CASES if action}
    for view in ("client", "visit", "event", "complaint"):
        assert (f"{view}.action_view", "delete") in actions
        assert (f"{view}.action_view", "export_selected") in actions
    assert any(capability == "<unclassified>" for *_, capability in CASES)


def _snapshot(app) -> dict[str, int]:
    with app.app_context():
        return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables if table.name != "audit_entry"}


def _request(browser, app, sample, endpoint: str, method: str, action: str):
    view_name, _, name = endpoint.partition(".")
    view = _views(app).get(view_name)
    record_id = sample.get(view_name, 1)
    prefix = "/admin" if view_name == "admin" else f"/admin/{view_name}"
    urls = {
        "index": "/admin/", "index_view": f"{prefix}/", "details_view": f"{prefix}/details/",
        "create_view": f"{prefix}/new/", "edit_view": f"{prefix}/edit/",
        "delete_view": f"{prefix}/delete/", "action_view": f"{prefix}/action/",
        "ajax_update": f"{prefix}/ajax/update/", "ajax_lookup": f"{prefix}/ajax/lookup/",
        "export": f"{prefix}/export/csv/",
    }
    url = urls.get(name) or next(r.rule for r in app.url_map.iter_rules()
                                 if r.endpoint == endpoint)
    query = {"id": record_id}
    if name == "ajax_lookup":
        refs = list(getattr(view, "_form_ajax_refs", {}) or {})
        query = {"name": refs[0] if refs else "nothing", "query": "a"}
    token = browser.token_from("/admin/")
    if method == "GET":
        return browser.client.get(url, query_string=query)
    data = {"csrf_token": token}
    if name in ("delete_view",):
        data["id"] = record_id
    if name == "action_view":
        data.update({"action": action, "rowid": record_id})
    if name == "ajax_update":
        data.update({"list_form_pk": record_id})
    return browser.client.post(url, query_string=query, data=data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method", "action", "capability"), CASES,
                         ids=[f"{e}-{m}-{a}" if a else f"{e}-{m}" for e, m, a, _c in CASES])
def test_role_endpoint_method(app, as_role, sample, role, endpoint, method, action, capability):
    browser = as_role(role)
    before = _snapshot(app)
    response = _request(browser, app, sample, endpoint, method, action)
    if expected_allowed(role, endpoint, capability):
        assert response.status_code != 403, response.text[:300]
        assert response.status_code < 500, response.text[:300]
    else:
        assert response.status_code == 403
        assert _snapshot(app) == before


@pytest.mark.parametrize(("endpoint", "method", "action", "capability"), CASES[:40])
def test_anonymous_is_sent_to_login(app, browser, sample, endpoint, method, action,
                                    capability):
    token = browser.token_from("/login")
    view_name, _, name = endpoint.partition(".")
    url = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = url.replace("<export_type>", "csv")
    response = browser.client.open(url, method=method,
                                   data={"csrf_token": token} if method == "POST" else None)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/login")
