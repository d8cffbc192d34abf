"""No English interface word on any page or state a Chinese-speaking user meets.

In Chromium, as each role, in 简体中文 and 繁體中文: every list, form, details page and the
dashboard; a form shown again after a failed save; the date picker opened; a select2 box
with no match; the error pages; the audit log with its change details. The records are
in Chinese, so any Latin word on the page is interface text that escaped translation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, EventAttendance, ServiceLevel

from .. import factories
from ..conftest import PASSWORD

# Latin words a Chinese page may keep: codes, units and format names; "English", which the
# language menu names in itself; and our test users' names and log-ins (data, not interface).
ALLOWED = {"CSV", "XLSX", "ClientCare", "Admin", "ID", "CNY", "PDF", "UTC", "GMT", "WeChat",
           "Excel", "SMS", "English", "Test", "admin", "staff", "supervisor", "example", "com",
           "chinesecalendar"}  # the package whose upgrade the admin banner asks for
WORD = re.compile(r"(?<![\w@.-])[A-Za-z][A-Za-z']{2,}(?![\w@.-])")


def english_words(text: str) -> list[str]:
    return sorted({w for w in WORD.findall(text) if w not in ALLOWED and not w.isupper()})


@pytest.fixture
def chinese_records(app, users):
    """One record of each kind, written in Chinese, and a change in the audit log."""
    with app.app_context():
        session = db.session
        gold = factories.tier(session, "gold")
        client = factories.client(
            session, code="C0000001", name="王小明", phone="13812345678",
            email="wang@example.com", id_number="11010519491231002X", address="北京市朝阳区",
            occupation="教师", notes="重要客户", assets=Decimal("1234567.89"),
            annual_contribution=Decimal("6000"), trades_12m=5, tier=gold,
            advisor_id=users["staff"], risk_assessed_at=datetime(2026, 11, 2, 9, 20, tzinfo=UTC))
        start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        event = factories.event(session, title="投资讲座", kind="lecture", status="open",
                                starts_at=start, capacity=50, budget=Decimal("5000"),
                                location="上海")
        factories.attendance(session, event=event, client=client, status="registered")
        visit = factories.visit(session, client=client, staff_id=users["staff"],
                                channel="phone", purpose="scheduled_callback",
                                status="planned", scheduled_for=start, summary="电话回访")
        complaint = factories.complaint(session, reference="CP-2026-000001", client=client,
                                        channel="hotline", category="fees", severity="critical",
                                        description="收费过高", received_at=start)
        session.commit()
        ids = {"client": client.id, "event": event.id, "visit": visit.id,
               "attendance": session.scalar(sa.select(sa.func.min(EventAttendance.id))),
               "complaint": complaint.id, "tier": gold.id, "user": users["staff"],
               "service_level": session.scalar(sa.select(sa.func.min(ServiceLevel.id)))}
    return ids


def log_in(page, username: str, lang: str) -> None:
    page.goto(f"/login?lang={lang}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")


def left_in_english(page) -> list[str]:
    return english_words(page.inner_text("body"))


def check(page, where: str, found: dict[str, list[str]]) -> None:
    words = left_in_english(page)
    if words:
        found[where] = words


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_every_page_and_state_is_in_chinese(app, page, chinese_records, lang):
    found: dict[str, list[str]] = {}
    ids = chinese_records
    log_in(page, "admin", lang)
    # A change for the audit log to describe.
    page.goto(f"/admin/client/edit/?id={ids['client']}")
    page.fill("#notes", "重要客户，已更新")
    page.locator("form input[type=submit]").first.click()
    page.wait_for_url("**/admin/client/**")

    urls = ["/admin/"]
    for endpoint in ("client", "visit", "event", "attendance", "complaint", "tier",
                     "service_level", "user", "audit"):
        urls.append(f"/admin/{endpoint}/")
        if endpoint not in ("audit", "service_level", "tier"):
            urls.append(f"/admin/{endpoint}/new/")
        if ids.get(endpoint):
            urls.append(f"/admin/{endpoint}/edit/?id={ids[endpoint]}")
            urls.append(f"/admin/{endpoint}/details/?id={ids[endpoint]}")
    with app.app_context():
        audit_id = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    urls.append(f"/admin/audit/details/?id={audit_id}")
    urls += ["/admin/no-such-page/", "/admin/client/details/?id=999999"]
    for url in urls:
        page.goto(url)
        check(page, url, found)

    # A form shown again after a failed save.
    page.goto(f"/admin/client/edit/?id={ids['client']}")
    page.fill("#phone", "12345")
    page.locator("form input[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".invalid-feedback").count() >= 1
    check(page, "client form after a failed save", found)

    # The date picker opened on a date-time field.
    page.locator("#risk_assessed_at").click()
    picker = page.locator(".daterangepicker:visible").first
    picker.wait_for(state="visible")
    words = english_words(picker.inner_text())
    if words:
        found["date picker"] = words

    # A select2 search with no match.
    page.goto("/admin/visit/new/")
    page.locator("#s2id_client a, #s2id_client input, .select2-container").first.click()
    page.keyboard.type("zzzzqqq")
    page.locator(".select2-no-results, .select2-results li").first.wait_for(state="visible")
    words = english_words(page.locator(".select2-drop-active, .select2-results").first
                          .inner_text())
    if words:
        found["select2 with no match"] = words

    # A page this role may not see, as staff.
    page.keyboard.press("Escape")
    page.click("#logout")
    log_in(page, "staff", lang)
    for url in ("/admin/user/", "/admin/audit/"):
        response = page.goto(url)
        assert response is not None and response.status == 403
        check(page, f"403 at {url}", found)

    assert not found, f"English left under ?lang={lang}: {found}"
