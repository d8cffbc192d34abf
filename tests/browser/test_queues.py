"""Issue 13's "done when", in Chromium: a supervisor opens the work queue of callbacks due
in the next 7 days from the menu, plans callbacks for it and finds them on the visits
list; the advisor finds theirs in "My callbacks this week"."""

from __future__ import annotations

from datetime import timedelta

from admin_app.extensions import db
from admin_app.models import utcnow

from .. import factories
from .test_e2e import log_in
from .test_scenarios import apply_filters, choose_filter, listed_count


def open_queue(page, label: str) -> None:
    page.click("a.dropdown-toggle:has-text('Work queues')")
    with page.expect_navigation():
        page.click(f".dropdown-menu a:text-is('{label}')")


def table_text(page) -> str:
    return page.locator("table.model-list tbody").inner_text()


def test_supervisor_plans_the_week_ahead_and_finds_the_callbacks(app, chromium, live_server,
                                                                 users):
    soon = utcnow() + timedelta(minutes=5)  # in this week too, bar Sunday's last minutes
    with app.app_context():
        other = factories.user(db.session, full_name="Li Na")
        other_name = other.username
        factories.client(db.session, code="Q1", name="客户甲", advisor_id=users["staff"],
                         next_callback_due=soon)
        factories.client(db.session, code="Q2", name="客户乙", advisor_id=other.id,
                         next_callback_due=soon + timedelta(days=1))
        factories.client(db.session, code="Q3", name="客户丙", advisor_id=users["staff"],
                         next_callback_due=soon + timedelta(days=40))
        db.session.commit()

    context = chromium.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "supervisor")
    open_queue(page, "Callbacks due in the next 7 days")
    assert listed_count(page) == 2
    assert "Q3" not in table_text(page)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#plan-callbacks")
    assert "Callbacks planned: 2" in page.locator(".alert-success").inner_text()
    again = page.locator("#plan-callbacks")  # planning again plans nothing new
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        again.click()
    assert "Callbacks planned: 0; 2 skipped: 2 already planned" in \
        page.locator(".alert-success").inner_text()

    # The visits list, filtered by advisor: each advisor's client has its callback,
    # planned for the client's due date, for the advisor to make.
    page.click("a.nav-link:text-is('Visits')")
    page.wait_for_url("**/admin/visit/**")
    choose_filter(page, "Advisor", f"Li Na ({other_name})")
    apply_filters(page)
    assert listed_count(page) == 1
    row = page.locator("table.model-list tbody tr").first
    assert row.locator("td.col-client").inner_text().strip() == "客户乙 (Q2)"
    assert row.locator("td.col-staff").inner_text().strip() == "Li Na"
    assert row.locator("td.col-status").inner_text().strip() == "Planned"
    assert row.locator("td.col-purpose").inner_text().strip() == "Scheduled callback"
    context.close()

    # The advisor's own queue shows their callback, and only theirs.
    context = chromium.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "staff")
    open_queue(page, "My callbacks this week")
    assert listed_count(page) == 1
    assert "客户甲 (Q1)" in table_text(page)
    context.close()
