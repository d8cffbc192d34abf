"""Issue 17's "done when", in Chromium: a supervisor filters the clients to Diamond, invites
them to a lecture with capacity 20 and is told how many were invited and how many were
refused for capacity; on the day, staff mark attendees in bulk and record feedback; the
event's page shows the attendance rate and the mean feedback."""

from __future__ import annotations

from admin_app.extensions import db

from .. import factories
from .test_e2e import log_in
from .test_scenarios import apply_filters, choose_filter, listed_count


def test_a_lecture_from_invitation_to_evaluation(app, chromium, live_server, users):
    with app.app_context():
        diamond = factories.tier(db.session, "diamond")
        for n in range(25):
            factories.client(db.session, code=f"V{n:02d}", name=f"贵宾{n:02d}", tier=diamond)
        factories.client(db.session, code="G00", name="普通客户", tier=factories.tier(
            db.session, "gold"))
        event = factories.event(db.session, title="财富传承讲座", kind="lecture",
                                status="open", capacity=20)
        db.session.commit()
        event_id = event.id

    context = chromium.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "supervisor")
    page.goto("/admin/client/")
    choose_filter(page, "Tier", "Diamond")
    apply_filters(page)
    assert listed_count(page) == 25
    with page.expect_navigation():
        page.click("#invite-list")
    assert page.locator("h1").inner_text() == "Invite 25 clients to an event"
    page.select_option("#event_id", str(event_id))
    with page.expect_navigation():
        page.click("#invite")
    told = page.locator(".alert").first.inner_text()
    assert "Invited: 20; 5 not invited: 5 refused: the event is full" in told
    context.close()

    # On the day: staff tick the first twelve and mark them attended, then two no-shows.
    context = chromium.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "staff")
    page.goto(f"/admin/event/details/?id={event_id}")
    assert "Attendees (20)" in page.locator("#event-attendees h2").inner_text()
    boxes = page.locator("#attendee-table input[type=checkbox]")
    for n in range(12):
        boxes.nth(n).check()
    page.select_option("#attendee-status", "attended")
    with page.expect_navigation():
        page.click("#set-attendee-status")
    assert "Status set for 12 people." in page.locator(".alert").first.inner_text()
    boxes = page.locator("#attendee-table input[type=checkbox]")
    for n in (12, 13):
        boxes.nth(n).check()
    page.select_option("#attendee-status", "no_show")
    with page.expect_navigation():
        page.click("#set-attendee-status")

    # Feedback from one attendee, on their row's form.
    with page.expect_navigation():
        page.locator("#attendee-table tbody tr").first.locator("a").click()
    page.fill("#feedback_score", "5")
    page.fill("#feedback_text", "讲得很清楚")
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")

    page.goto(f"/admin/event/details/?id={event_id}")
    assert page.locator("#eval-attended").inner_text() == "12"
    assert page.locator("#eval-no-show").inner_text() == "2"
    assert page.locator("#eval-rate").inner_text() == "86%"  # 12 of 14 who registered
    assert page.locator("#eval-feedback").inner_text() == "5.0"
    assert "讲得很清楚" in page.locator("#eval-texts").inner_text()
    context.close()
