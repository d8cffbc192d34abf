"""Issue 12's journey, as a new Traditional Chinese user does it in Chromium.

A member of staff chooses 繁體中文 on the log-in page and logs in; the choice stays and
becomes their preference. They edit a client's date-time field: the form and the page
show the same local time, and what they type is what the page then shows. They open a
page their role may not see and get the translated refusal inside the app. No English
interface word appears on any page they visit.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client, User

from .. import factories
from ..conftest import PASSWORD
from .test_no_english import english_words


def test_zh_hant_user_edits_a_time_and_meets_a_refusal(app, page, users):
    with app.app_context():
        client = factories.client(db.session, code="C0000007", name="林美玲",
                                  risk_assessed_at=datetime(2026, 11, 2, 9, 20, 42, tzinfo=UTC))
        db.session.commit()
        client_id = client.id
    visited: dict[str, list[str]] = {}

    def look(where: str) -> None:
        words = english_words(page.inner_text("body"))
        if words:
            visited[where] = words

    page.goto("/login")
    page.get_by_role("link", name="繁體中文").click()
    assert page.locator("button[type=submit]").inner_text() == "登入"
    look("log-in page")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
    assert "客戶" in page.locator("nav.navbar").inner_text()
    look("first page")
    with app.app_context():
        assert db.session.get(User, users["staff"]).locale == "zh_Hant_TW"

    # The same local time (Asia/Shanghai, UTC+8) on the page and in the form.
    page.goto(f"/admin/client/details/?id={client_id}")
    assert "2026-11-02 17:20" in page.inner_text("body")
    look("client details")
    page.goto(f"/admin/client/edit/?id={client_id}")
    field = page.locator("#risk_assessed_at")
    assert field.input_value().startswith("2026-11-02 17:20")
    look("client form")
    field.fill("2026-11-03 17:00:00")
    page.keyboard.press("Escape")
    page.locator("form input[type=submit]").first.click()
    page.wait_for_url("**/admin/client/**")
    look("after saving")
    page.goto(f"/admin/client/details/?id={client_id}")
    assert "2026-11-03 17:00" in page.inner_text("body")
    with app.app_context():
        stored = db.session.scalar(sa.select(Client.risk_assessed_at)
                                   .where(Client.id == client_id))
        assert stored.replace(tzinfo=UTC) == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

    # A page staff may not see: refused in their language, inside the app's layout.
    response = page.goto("/admin/user/")
    assert response is not None and response.status == 403
    assert page.locator("#error-page h1").inner_text() == "不允許"
    assert "客戶" in page.locator("nav.navbar").inner_text(), "the refusal keeps the app's menu"
    assert page.get_by_role("link", name="儀表板").count() >= 1
    look("403 page")

    assert not visited, f"English left on the pages visited: {visited}"
