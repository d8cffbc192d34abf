"""End to end in Chromium: what a new admin does first."""

from __future__ import annotations

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client

from ..conftest import PASSWORD


def log_in(page, username: str) -> None:
    page.goto("/admin/client/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/client/")


def fill_client(page, code: str, phone: str) -> None:
    page.goto("/admin/client/new/")
    page.fill("#code", code)
    page.fill("#name", "赵丽华")
    page.select_option("#kind", "individual")
    page.select_option("#status", "active")
    page.fill("#phone", phone)
    page.fill("#id_number", "11010519491231002X")
    page.fill("#assets", "650000")
    page.fill("#annual_contribution", "7000")
    page.fill("#trades_12m", "5")
    page.click("input[type=submit][value=Save]")


def test_admin_logs_in_creates_a_client_and_sees_field_errors(app, page):
    log_in(page, "admin")
    assert page.locator("#current-user").inner_text().startswith("Test admin")

    fill_client(page, "E2E-001", "12345")
    error = page.locator("#phone ~ .invalid-feedback")
    assert "country or region code" in error.inner_text()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0

    fill_client(page, "E2E-001", "+86 138-0013-8000")  # kept in its canonical form
    page.wait_for_url("**/admin/client/")
    assert page.locator("td", has_text="赵丽华").count() == 1
    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.code == "E2E-001"))
        assert client.phone == "13800138000"

    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto("/admin/client/")
    assert "/login" in page.url


def test_language_switch_in_the_browser(page):
    log_in(page, "staff")
    page.goto("/admin/client/?lang=zh_Hant")
    page.goto("/admin/visit/")  # remembered without ?lang
    menu = page.locator("nav.navbar").inner_text()
    assert "客戶" in menu and "投訴" in menu
    page.goto("/admin/visit/?lang=en")
    assert "Clients" in page.locator("nav.navbar").inner_text()
