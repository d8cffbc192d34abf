"""The permission matrix, enforced for every admin endpoint, generated from the URL map.

For each role × endpoint × method the matrix's answer is checked: allowed → no 403 (and no
server error); refused → 403 with the database unchanged; anonymous → sent to the login
page. An endpoint or action the matrix does not classify fails the test, so new screens
are covered without new test code. The cases come from the declarations themselves
(``@requires``, ``actions.action``), as do the constrained ones: posted values that need
more (``scope=all``), row rules (staff close only their own complaints) and field rules
(fields a role sees but may not change).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import Client, Complaint, Tier
from admin_app.permissions import FIELD_RULES, MATRIX, ROW_RULES, can, row_rule
from admin_app.views.base import SecureModelView

from . import factories
from .conftest import form_values

ROLES = ("staff", "supervisor", "admin")
UNKNOWN_ACTION = "no_such_action"


def _views(app) -> dict[str, object]:
    admin = app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views}


def _bare_app():
    return create_app({"TESTING": True, "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def _cases() -> list[tuple[str, str, str, str]]:
    """(endpoint, method, action, capability) for every admin route; built from a bare app."""
    app = _bare_app()
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
                requirement = view.endpoint_requirement(name)
                assert requirement, f"endpoint {rule.endpoint} is not in the permission matrix"
                capability = str(requirement.capability)
                if requirement.unfiltered is not None:  # these requests carry no filter
                    capability += f"&{requirement.unfiltered}"
                cases.append((rule.endpoint, method, "", capability))
    return sorted(cases)


CASES = _cases()


def expected_allowed(role: str, endpoint: str, capability: str) -> bool:
    resource = endpoint.partition(".")[0]
    resource = "dashboard" if resource == "admin" else resource
    if capability == "create|edit":
        return can(role, resource, "create") or can(role, resource, "edit")
    return all(can(role, resource, c) for c in capability.split("&"))


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
        if view is not None and view.model.__mapper__.version_id_col is not None:
            with app.app_context():  # the version the list showed
                data["version_id"] = db.session.get(view.model, record_id).version_id
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


# --- constrained cases --------------------------------------------------------------------


def _posted_value_cases() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(endpoint, form field, value, capabilities needed) for every posted value that an
    endpoint declares to need more than the endpoint itself."""
    app = _bare_app()
    cases = []
    for view in _views(app).values():
        if not isinstance(view, SecureModelView):
            continue
        for _url, name, _methods in view._urls:
            requirement = view.endpoint_requirement(name)
            for field, by_value in (requirement.form_values if requirement else {}).items():
                for value, capability in by_value.items():
                    cases.append((f"{view.endpoint}.{name}", field, value,
                                  (requirement.capability, capability)))
    return sorted(cases)


POSTED_VALUE_CASES = _posted_value_cases()


def _url(app, endpoint: str) -> str:
    return next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _own(app, users, resource: str, record_id: int, role: str, capabilities) -> None:
    """Make the record the role's own wherever a row rule would ask for that."""
    model = {"complaint": Complaint, "client": Client}[resource]
    with app.app_context():
        record = db.session.get(model, record_id)
        for capability in capabilities:
            column = row_rule(role, resource, capability)
            if column:
                setattr(record, column, users[role])
        db.session.commit()


def test_posted_values_that_need_more_are_declared():
    assert ("client.recalculate_view", "scope", "all",
            ("recalculate_tier", "recalculate_all")) in POSTED_VALUE_CASES
    assert any(e == "complaint.transition_view" and v == "close"
               for e, _f, v, _c in POSTED_VALUE_CASES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "field", "value", "capabilities"), POSTED_VALUE_CASES,
                         ids=[f"{e}-{f}={v}" for e, f, v, _c in POSTED_VALUE_CASES])
def test_role_posted_value(app, as_role, users, sample, role, endpoint, field, value,
                           capabilities):
    resource = endpoint.partition(".")[0]
    _own(app, users, resource, sample[resource], role, capabilities)
    browser = as_role(role)
    before = _snapshot(app)
    response = browser.post_form(_url(app, endpoint), {field: value},
                                 token_url="/admin/", query_string={"id": sample[resource]})
    if all(can(role, resource, c) for c in capabilities):
        assert response.status_code != 403, response.text[:300]
        assert response.status_code < 500, response.text[:300]
    else:
        assert response.status_code == 403
        assert _snapshot(app) == before


def _narrowed_cases() -> list[tuple[str, str]]:
    """(endpoint, capability) for every endpoint that needs more over an unfiltered list:
    over a searched or filtered one it needs only its own capability."""
    app = _bare_app()
    return sorted((f"{view.endpoint}.{name}", str(requirement.capability))
                  for view in _views(app).values() if isinstance(view, SecureModelView)
                  for name in dir(type(view))
                  if (requirement := view.endpoint_requirement(name)) is not None
                  and requirement.unfiltered is not None)


NARROWED_CASES = _narrowed_cases()


def test_recalculating_every_client_needs_its_own_capability_even_as_an_empty_filter():
    assert ("client.recalculate_view", "recalculate_tier") in NARROWED_CASES
    assert ("client.recalculate_view", "POST", "", "recalculate_tier&recalculate_all") in CASES


# A record that the narrowed list's search ("a") leaves out, for each resource with such
# endpoints: a search every row matches is every row (tests/test_scope_permissions.py).
OUTSIDE_THE_SEARCH = {
    "client": lambda session: factories.client(session, code="Z0000002", name="李四"),
}


def test_every_narrowed_resource_has_a_record_outside_the_search():
    assert {endpoint.partition(".")[0] for endpoint, _c in NARROWED_CASES} <= \
        set(OUTSIDE_THE_SEARCH)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "capability"), NARROWED_CASES)
def test_role_endpoint_over_a_narrowed_list(app, as_role, sample, role, endpoint, capability):
    resource = endpoint.partition(".")[0]
    with app.app_context():
        OUTSIDE_THE_SEARCH[resource](db.session)
        db.session.commit()
    browser = as_role(role)
    before = _snapshot(app)
    response = browser.post_form(_url(app, endpoint), {}, token_url="/admin/",
                                 query_string={"search": "a"})
    if can(role, resource, capability):
        assert response.status_code != 403, response.text[:300]
        assert response.status_code < 500, response.text[:300]
    else:
        assert response.status_code == 403
        assert _snapshot(app) == before


# Row rules: a record made ready for the capability, so that only the rule can refuse it.
ROW_RULE_READY = {
    ("complaint", "close"): {"status": "resolving", "resolution": "r", "root_cause": "c"},
}
ROW_RULE_CASES = sorted((str(resource), str(capability), role, owner)
                        for resource, capability in ROW_RULES for role in ROLES
                        for owner in ("own", "another's"))


def test_every_row_rule_has_a_ready_record():
    assert set(ROW_RULE_READY) == {(str(r), str(c)) for r, c in ROW_RULES}


def _row_rule_requests(app, resource: str, capability: str) -> list[tuple[str, dict]]:
    """(endpoint, form) for every declared way to apply ``capability`` to one record."""
    view = _views(app)[resource]
    requests = [(f"{resource}.action_view", {"action": name})
                for name in view._actions_data if view.action_capability(name) == capability]
    for endpoint, field, value, needed in POSTED_VALUE_CASES:
        if endpoint.startswith(f"{resource}.") and needed[-1] == capability:
            requests.append((endpoint, {field: value}))
    assert requests, f"nothing applies {resource}:{capability}"
    return requests


def _row(app, model, record_id: int) -> dict:
    with app.app_context():
        return dict(db.session.execute(sa.select(model.__table__)
                                       .where(model.__table__.c.id == record_id)).one()._mapping)


@pytest.mark.parametrize(("resource", "capability", "role", "owner"), ROW_RULE_CASES)
def test_row_rule(app, as_role, users, sample, resource, capability, role, owner):
    model = {"complaint": Complaint}[resource]
    column = next(iter(ROW_RULES[(resource, capability)].values()))
    other = next(users[r] for r in ROLES if r != role)
    browser = as_role(role)
    for endpoint, form in _row_rule_requests(app, resource, capability):
        with app.app_context():
            record = db.session.get(model, sample[resource])
            for name, value in ROW_RULE_READY[(resource, capability)].items():
                setattr(record, name, value)
            setattr(record, column, users[role] if owner == "own" else other)
            db.session.commit()
        before = _row(app, model, sample[resource])
        data = {**form, "rowid": sample[resource]}
        response = browser.post_form(_url(app, endpoint), data, token_url="/admin/",
                                     query_string={"id": sample[resource]})
        allowed = can(role, resource, capability) and (
            owner == "own" or row_rule(role, resource, capability) is None)
        changed = _row(app, model, sample[resource]) != before
        assert changed == allowed, (endpoint, response.status_code)
        if not allowed and not endpoint.endswith(".action_view"):
            assert response.status_code == 403
        with app.app_context():  # back to where the next request starts
            db.session.execute(sa.update(model).where(model.id == sample[resource])
                               .values({k: v for k, v in before.items()
                                        if k not in ("id", "version_id")}))
            db.session.commit()


# Field rules: a value to post for each ruled column (form fields, by the ids of the
# fixtures), and what a new record needs besides.
def _platinum(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Tier.id).where(Tier.code == "platinum"))


FIELD_CHANGES = {
    ("client", "tier_id"): lambda app, users: {"tier": _platinum(app),
                                                "reason": "Referral terms"},
    ("client", "tier_locked"): lambda app, users: {"tier_locked": "y",
                                                    "tier_lock_reason": "VIP"},
    ("client", "tier_lock_reason"): lambda app, users: {"tier_lock_reason": "VIP"},
    ("complaint", "assignee_id"): lambda app, users: {"assignee": users["staff"]},
}
NEW_RECORD = {
    "client": lambda sample: {"code": "N1", "name": "新客户", "kind": "individual",
                              "status": "active", "assets": "100",
                              "annual_contribution": "0", "trades_12m": "0"},
    "complaint": lambda sample: {"client": sample["client"], "channel": "hotline",
                                 "category": "service", "received_at": "2026-11-20 02:00:00",
                                 "description": "New one"},
}
FIELD_RULE_CASES = sorted((str(resource), column, role, form)
                          for resource, rules in FIELD_RULES.items() for column in rules
                          for role in ROLES for form in ("edit", "create"))


def test_every_field_rule_has_a_value_to_post():
    assert set(FIELD_CHANGES) == {(str(r), c) for r, rules in FIELD_RULES.items()
                                  for c in rules}


@pytest.mark.parametrize(("resource", "column", "role", "form"), FIELD_RULE_CASES)
def test_field_rule(app, as_role, users, sample, resource, column, role, form):
    """Allowed: the posted value is stored. Otherwise the crafted POST stores nothing of it
    (the rest of the form still saves)."""
    model = {"client": Client, "complaint": Complaint}[resource]
    rule = FIELD_RULES[resource][column]
    changes = FIELD_CHANGES[(resource, column)](app, users)
    browser = as_role(role)
    if form == "edit":
        url = f"/admin/{resource}/edit/?id={sample[resource]}"
        data = {**form_values(browser.get(url).text), **changes}
        record_id = sample[resource]
    else:
        url = f"/admin/{resource}/new/"
        data = {**NEW_RECORD[resource](sample), **changes}
    before = _row(app, model, sample[resource])[column] if form == "edit" else None
    response = browser.post_form(url, data)
    assert response.status_code in (302, 303), response.text[:500]
    if form == "create":
        with app.app_context():
            record_id = db.session.scalar(sa.select(sa.func.max(model.id)))
    stored = _row(app, model, record_id)[column]
    posted = {"tier_id": _platinum(app), "tier_locked": True, "tier_lock_reason": "VIP",
              "assignee_id": users["staff"]}[column]
    may = can(role, resource, rule.capability) or (form == "create" and not rule.on_create)
    if may:
        assert stored == posted
    else:
        assert stored != posted
        if form == "edit":
            assert stored == before
