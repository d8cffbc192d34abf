"""Issue 15's journey in Chromium, with two browser contexts: two people open the same
client; the second to save is told that the first changed it, by whom and when, and loses
nothing they typed; saving again applies theirs; and every change made appears in the
client's History panel with its old and new value."""

from __future__ import annotations

import re

from admin_app.extensions import db
from admin_app.services import accounts

from .. import factories
from ..conftest import PASSWORD


def logged_in(chromium, live_server, username: str):
    context = chromium.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
    return context, page


def test_the_second_to_save_is_told_and_loses_nothing(app, chromium, live_server, users):
    with app.app_context():
        accounts.create_user(db.session, "wangfang", role="supervisor", password=PASSWORD,
                             full_name="王芳")
        client = factories.client(db.session, code="C0000077", name="田娟欣",
                                  notes="原来的备注", advisor_id=users["staff"])
        db.session.commit()
        client_id = client.id
    edit = f"/admin/client/edit/?id={client_id}"
    first_context, first = logged_in(chromium, live_server, "wangfang")
    second_context, second = logged_in(chromium, live_server, "staff")
    try:
        first.goto(edit)
        second.goto(edit)
        first.fill("#occupation", "工程师")
        first.locator("form input[type=submit]").first.click()
        first.wait_for_url(re.compile(r"/admin/client/(\?|$)"))

        second.fill("#notes", "乙方：客户希望下周回访")
        second.locator("form input[type=submit]").first.click()
        alert = second.locator(".alert-danger, .alert-error").first
        assert re.search(r"王芳 saved this record at \d{4}-\d\d-\d\d \d\d:\d\d",
                         alert.inner_text())
        assert second.locator("#notes").input_value() == "乙方：客户希望下周回访"
        second.locator("form input[type=submit]").first.click()
        second.wait_for_url(re.compile(r"/admin/client/(\?|$)"))

        second.goto(f"/admin/client/details/?id={client_id}")
        history = second.locator("#client-history")
        changes = history.locator("li").all_inner_texts()
        assert any("Occupation" in c and "工程师" in c for c in changes), changes
        assert any("Notes" in c and "原来的备注" in c and "客户希望下周回访" in c
                   for c in changes), changes
        # Both saves appear, who made each, in the reader's zone.
        rows = history.locator("tbody tr").all_inner_texts()
        assert any("王芳" in row for row in rows) and any("Test staff" in row for row in rows)
    finally:
        first_context.close()
        second_context.close()
