"""Issue 13's journey for staff, in Chromium: open *Overdue callbacks* from the menu, open
an overdue client, click *Record callback*, save it as done, and see the client leave the
overdue queue with its next callback due one tier interval after the call."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client, utcnow

from .. import factories
from ..conftest import PASSWORD


def test_staff_clears_an_overdue_callback(app, page, users):
    now = utcnow()
    with app.app_context():
        gold = factories.tier(db.session, "gold")
        interval = gold.callback_interval_days
        late = factories.client(db.session, code="C0000051", name="郑晓燕", tier=gold,
                                advisor_id=users["staff"],
                                last_callback_at=now - timedelta(days=interval + 30),
                                next_callback_due=now - timedelta(days=30))
        factories.client(db.session, code="C0000052", name="郑文", tier=gold,
                         next_callback_due=now + timedelta(days=90))
        db.session.commit()
        client_id = late.id

    page.goto("/login")
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")

    def overdue_queue() -> str:
        page.goto("/admin/")
        page.get_by_role("link", name="Overdue callbacks").first.click()
        page.wait_for_url(re.compile(r"/admin/client/\?"))
        return page.locator("table.model-list tbody").inner_text()

    rows = overdue_queue()
    assert "郑晓燕" in rows and "郑文" not in rows
    page.get_by_role("row", name=re.compile("郑晓燕")).locator(
        "a[title='View Record']").click()
    page.wait_for_url(re.compile(rf"/admin/client/details/\?id={client_id}(&|$)"))

    page.click("#record_callback")
    page.wait_for_url(re.compile(r"/admin/visit/new/\?"))
    assert page.locator("#status").input_value() == "done"
    page.fill("#summary", "电话回访完成")
    page.locator("form input[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/admin/client/details/\?id={client_id}(&|$)"))

    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.id == client_id))
        called = client.last_callback_at.replace(tzinfo=UTC)
        due = client.next_callback_due.replace(tzinfo=UTC)
    assert abs(called - datetime.now(UTC)) < timedelta(minutes=5)
    assert due == called + timedelta(days=interval)
    local_due = due.astimezone(ZoneInfo("Asia/Shanghai"))  # the firm's zone, the user's
    assert local_due.strftime("%Y-%m-%d %H:%M") in page.inner_text("body")
    assert "郑晓燕" not in overdue_queue()
