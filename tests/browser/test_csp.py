"""The Content-Security-Policy in real Chromium: the admin screens run without a single
violation, and what Flask-Admin bound with inline handlers (delete confirm, bulk actions,
adding an inline row, the filter menu) still works through static/js/admin-csp.js."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Visit

from .test_e2e import log_in

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
    window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                                 sample: e.sample, source: e.sourceFile, line: e.lineNumber});
});
"""


class Watch:
    """Console messages and CSP violations of a page, checked after each step."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _on_console(self, message) -> None:
        self.console.append(f"{message.type}: {message.text} ({message.location.get('url')})")

    def violations(self) -> list[dict]:
        self.page.wait_for_timeout(100)  # the violation event is queued as a task
        return self.page.evaluate("window.__cspViolations || []")

    def assert_clean(self) -> None:
        assert self.violations() == [], self.page.url
        assert self.console == [], self.page.url

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.assert_clean()


@pytest.fixture
def watch(page) -> Watch:
    return Watch(page)


def visit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Visit))


def test_admin_screens_run_without_violations(page, watch, sample):
    log_in(page, "admin")
    watch.assert_clean()
    for url in ("/admin/", "/admin/client/", "/admin/event/new/",
                f"/admin/client/details/?id={sample['client']}",
                f"/admin/event/details/?id={sample['event']}",
                f"/admin/event/edit/?id={sample['event']}"):
        watch.visit(url)

    # javascript: links (the active "List" tab, pager) are not followed, so nothing is refused
    watch.visit("/admin/visit/")
    page.click("ul.nav-tabs a.nav-link.active")
    watch.assert_clean()

    # the filter menu: choosing a filter adds its row and does not navigate
    page.click("text=Add Filter")
    page.click("a.dropdown-item.filter >> text=Status")
    assert page.locator("#filter_form table.filters tr").count() == 1
    assert page.url.endswith("/admin/visit/")
    watch.assert_clean()


def test_row_delete_asks_the_reason_and_deletes(app, page, watch, sample):
    log_in(page, "admin")
    watch.visit("/admin/visit/")
    page.click("a[href*='/admin/visit/delete/confirm/']")
    assert "/admin/visit/delete/confirm/" in page.url
    assert page.locator("#records-to-delete li").count() == 1
    page.click("button.btn-danger")  # no reason: the browser asks for one, nothing is sent
    page.wait_for_timeout(300)
    assert "/admin/visit/delete/confirm/" in page.url and visit_count(app) == 1
    page.fill("#reason", "Entered twice")
    with page.expect_navigation():
        page.click("button.btn-danger")
    assert "/admin/visit/?" in page.url and visit_count(app) == 0  # back on the list
    assert page.locator("a[href*='/admin/visit/delete/confirm/']").count() == 0
    watch.assert_clean()


def test_bulk_delete_runs_through_model_actions_and_asks_the_reason(app, page, watch, sample):
    log_in(page, "admin")
    watch.visit("/admin/visit/")
    dialogs = []

    def dismiss(dialog):
        dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.click("text=With selected")
    page.click("[data-model-action=delete]")
    page.wait_for_timeout(300)
    assert dialogs == [("alert", "Please select at least one record.")]

    page.check("input.action-checkbox")
    page.click("text=With selected")
    with page.expect_navigation():
        page.click("[data-model-action=delete]")
    assert page.locator("h1").inner_text() == "Delete 1 record"
    assert visit_count(app) == 1  # nothing deleted before the reason
    page.fill("#reason", "Wrong client")
    with page.expect_navigation():
        page.click("button.btn-danger")
    assert visit_count(app) == 0
    watch.assert_clean()


def test_add_inline_row(page, watch, sample):
    log_in(page, "admin")
    watch.visit("/admin/event/new/")
    rows = page.locator("#attendances > .inline-field-list > .inline-field")
    assert rows.count() == 0
    page.click("#attendances-button")
    assert rows.count() == 1
    assert page.locator("#attendances-0-status").count() == 1
    page.click("#attendances-button")
    assert rows.count() == 2
    assert page.url.endswith("/admin/event/new/")
    watch.assert_clean()
