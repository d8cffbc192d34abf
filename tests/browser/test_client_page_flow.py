"""In Chromium: a staff member opens a client from the list, clicks *Record callback*, finds
the form filled in for that client (done, by phone, by them, just now), saves it, and is
back on the client's page with the callback at the top of its visits."""

from __future__ import annotations

import re

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Visit

from .. import factories
from ..conftest import PASSWORD


def test_open_a_client_and_record_a_callback(app, page, users):
    with app.app_context():
        client = factories.client(db.session, code="C0000042", name="周慧敏",
                                  advisor_id=users["staff"])
        factories.client(db.session, code="C0000043", name="周杰")
        db.session.commit()
        client_id = client.id

    page.goto("/login")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
    page.goto("/admin/client/?search=C0000042")
    page.locator("a[title='View Record']").first.click()
    page.wait_for_url(re.compile(rf"/admin/client/details/\?id={client_id}(&|$)"))
    assert page.title().startswith("周慧敏 (C0000042)")
    assert page.locator("h1").inner_text() == "周慧敏 (C0000042)"

    page.click("#record_callback")
    page.wait_for_url(re.compile(r"/admin/visit/new/\?"))
    # The client picker shows the client (select2 draws the chosen record by its name).
    assert page.locator("#s2id_client .select2-chosen").inner_text() == "周慧敏 (C0000042)"
    assert page.locator("#s2id_staff .select2-chosen").inner_text() == "Test staff"
    assert page.locator("#status").input_value() == "done"
    assert page.locator("#channel").input_value() == "phone"
    assert page.locator("#purpose").input_value() == "scheduled_callback"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
                        page.locator("#completed_at").input_value())

    page.fill("#summary", "电话回访，客户满意")
    page.locator("form input[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/admin/client/details/\?id={client_id}(&|$)"))
    first_visit = page.locator("#client-visits tbody tr").first
    assert "Done" in first_visit.inner_text() and "Test staff" in first_visit.inner_text()
    with app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.client_id == client_id))
        assert (visit.status, visit.staff_id, visit.summary) == (
            "done", users["staff"], "电话回访，客户满意")
