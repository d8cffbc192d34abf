"""CSRF on every state-changing request, and stored markup staying inert on every page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client, Complaint, Event, Visit

from .test_permissions import CASES, _snapshot

POST_ROUTES = sorted({(endpoint, action) for endpoint, method, action, _c in CASES
                      if method == "POST"})
PAYLOAD = '<img src=x onerror=alert(1)><script>alert("x")</script>'


@pytest.mark.parametrize(("endpoint", "action"), POST_ROUTES)
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_post_without_valid_csrf_token_is_400_and_changes_nothing(app, as_role, sample,
                                                                  endpoint, action, token):
    admin = as_role("admin")
    url = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    data = {"id": sample.get(endpoint.partition(".")[0], 1), "action": action,
            "rowid": sample.get(endpoint.partition(".")[0], 1)}
    if token == "wrong":
        data["csrf_token"] = "forged-token"
    before = _snapshot(app)
    response = admin.client.post(url, query_string={"id": data["id"]}, data=data)
    assert response.status_code == 400
    assert _snapshot(app) == before


def test_logout_and_login_need_the_token_too(as_role, browser, users):
    staff = as_role("staff")
    assert staff.client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert staff.get("/admin/").status_code == 200
    assert browser.client.post("/login", data={"username": "staff"}).status_code == 400


def test_get_changes_nothing(app, as_role, sample):
    admin = as_role("admin")
    before = _snapshot(app)
    for url in (f"/admin/client/delete/?id={sample['client']}",
                f"/admin/visit/delete/?id={sample['visit']}",
                "/admin/client/action/?action=delete&rowid=1", "/logout"):
        assert admin.get(url).status_code in (403, 404, 405)
    assert _snapshot(app) == before


@pytest.fixture
def poisoned(app, sample):
    with app.app_context():
        client = db.session.get(Client, sample["client"])
        client.name = PAYLOAD
        client.notes = PAYLOAD
        client.address = PAYLOAD
        db.session.get(Visit, sample["visit"]).summary = PAYLOAD
        db.session.get(Event, sample["event"]).title = PAYLOAD
        db.session.get(Complaint, sample["complaint"]).description = PAYLOAD
        db.session.commit()
    return sample


def _inert(html: str) -> None:
    assert "<img src=x onerror" not in html
    assert '<script>alert("x")' not in html


@pytest.mark.parametrize("url", [
    "/admin/client/", "/admin/client/details/?id={client}", "/admin/client/edit/?id={client}",
    "/admin/visit/", "/admin/visit/details/?id={visit}", "/admin/visit/edit/?id={visit}",
    "/admin/event/", "/admin/event/details/?id={event}", "/admin/event/edit/?id={event}",
    "/admin/complaint/", "/admin/complaint/details/?id={complaint}",
    "/admin/complaint/edit/?id={complaint}", "/admin/audit/", "/admin/",
])
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_stored_markup_is_inert(as_role, poisoned, url, role):
    response = as_role(role).get(url.format(**poisoned))
    if response.status_code == 403:
        return
    assert response.status_code == 200
    _inert(response.text)


def test_markup_in_lookups_and_flash_is_inert(app, as_role, poisoned):
    admin = as_role("admin")
    lookup = admin.get("/admin/visit/ajax/lookup/?name=client&query=img")
    assert lookup.mimetype == "application/json"
    assert PAYLOAD in str(lookup.json)  # data, escaped by the picker when shown
    response = admin.post_form("/admin/client/new/", {"code": "X1", "name": PAYLOAD,
                                                      "kind": "individual", "status": "active",
                                                      "assets": "0", "annual_contribution": "0",
                                                      "trades_12m": "0", "email": PAYLOAD},
                               follow_redirects=True)
    _inert(response.text)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 1
