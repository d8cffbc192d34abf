"""The complaint workflow through HTTP, as the people who use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client, Complaint

from . import factories
from .conftest import assert_redirect, form_values


@pytest.fixture
def client_id(app, users):
    with app.app_context():
        client = factories.client(db.session, code="K1", name="张伟")
        db.session.commit()
        return client.id


def complaint(app, **fields) -> int:
    """A complaint by the first client, committed."""
    with app.app_context():
        client = db.session.scalar(sa.select(Client))
        row = factories.complaint(db.session, client=client, channel="email",
                                  received_at=datetime(2026, 11, 1, tzinfo=UTC), **fields)
        db.session.commit()
        return row.id


def step(browser, complaint_id, name, **extra):
    return browser.post_form(f"/admin/complaint/transition/?id={complaint_id}",
                             {"step": name, **extra},
                             token_url=f"/admin/complaint/details/?id={complaint_id}",
                             follow_redirects=True)


def status_of(app, complaint_id):
    with app.app_context():
        return db.session.get(Complaint, complaint_id).status


def test_hotline_complaint_from_registration_to_closure(app, as_role, users, client_id):
    staff = as_role("staff")
    created = staff.post_form("/admin/complaint/new/", {
        "client": str(client_id), "channel": "hotline", "category": "service",
        "received_at": "2026-11-20 10:00:00",  # typed in Shanghai time: 02:00 UTC
        "description": "Advisor did not call back"})
    assert_redirect(created, to="/admin/complaint/")
    with app.app_context():
        cid = db.session.scalar(sa.select(Complaint.id))
    supervisor = as_role("supervisor")
    assert "Start assessment" in supervisor.get(f"/admin/complaint/details/?id={cid}").text
    step(supervisor, cid, "assess")
    refused = step(supervisor, cid, "investigate")
    assert "has no severity, responsible department, assignee" in refused.text
    assert status_of(app, cid) == "assessing"

    edit_url = f"/admin/complaint/edit/?id={cid}"
    data = {**form_values(supervisor.get(edit_url).text), "severity": "high",
            "department": "Client Service", "assignee": str(users["staff"])}
    assert_redirect(supervisor.post_form(edit_url, data), to="/admin/complaint/")
    page = step(supervisor, cid, "investigate", note="Called the client")
    assert "2026-11-23 10:00" in page.text  # received + 3 days (high), 02:00 UTC in Shanghai
    data = {**form_values(supervisor.get(edit_url).text), "findings": "Call log shows no call"}
    supervisor.post_form(edit_url, data)
    step(supervisor, cid, "resolve")
    data = {**form_values(supervisor.get(edit_url).text), "resolution": "Apology and callback",
            "root_cause": "Callback list not shared"}
    supervisor.post_form(edit_url, data)
    closed = step(supervisor, cid, "close", satisfaction="4")
    assert "done" in closed.text
    with app.app_context():
        row = db.session.get(Complaint, cid)
        assert (row.status, row.satisfaction, row.closed_by_id) == \
            ("closed", 4, users["supervisor"])
    timeline = closed.text[closed.text.index('id="complaint-timeline"'):]
    for transition in ("Received → Assessing", "Assessing → Investigating",
                       "Investigating → Resolving", "Resolving → Closed"):
        assert transition in timeline
    assert "Called the client" in timeline


def test_staff_close_only_their_own(app, as_role, users, client_id):
    ready = {"status": "resolving", "resolution": "r", "root_cause": "c"}
    theirs = complaint(app, assignee_id=users["supervisor"], **ready)
    mine = complaint(app, assignee_id=users["staff"], **ready)
    staff = as_role("staff")
    assert "step-close" not in staff.get(f"/admin/complaint/details/?id={theirs}").text
    refused = staff.post_form(f"/admin/complaint/transition/?id={theirs}", {"step": "close"},
                              token_url="/admin/complaint/")
    assert refused.status_code == 403
    assert status_of(app, theirs) == "resolving"
    step(staff, mine, "close")
    assert status_of(app, mine) == "closed"


def test_reopen_is_for_supervisors_with_a_reason(app, as_role, users, client_id):
    closed = complaint(app, status="closed", closed_at=datetime(2026, 11, 2, tzinfo=UTC),
                       resolution="r", root_cause="c")
    staff = as_role("staff")
    assert staff.post_form(f"/admin/complaint/transition/?id={closed}", {"step": "reopen",
                           "note": "x"}, token_url="/admin/complaint/").status_code == 403
    supervisor = as_role("supervisor")
    assert "Give a reason" in step(supervisor, closed, "reopen").text
    step(supervisor, closed, "reopen", note="Client unhappy with refund")
    with app.app_context():
        row = db.session.get(Complaint, closed)
        assert (row.status, row.reopened_count) == ("investigating", 1)


def test_bulk_close_over_a_filtered_list(app, as_role, users, client_id):
    ready = {"status": "resolving", "resolution": "r", "root_cause": "c"}
    a, b = complaint(app, **ready), complaint(app, **ready)
    lacking = complaint(app, status="resolving", root_cause="c")
    other = complaint(app, status="received")
    supervisor = as_role("supervisor")
    listing = supervisor.get("/admin/complaint/?flt1_16=resolving")  # status = resolving
    assert "3 listed" in listing.text
    response = supervisor.post_form("/admin/complaint/bulk-close/?flt1_16=resolving",
                                    {}, token_url="/admin/complaint/", follow_redirects=True)
    assert "2 done" in response.text
    with app.app_context():
        reference = db.session.get(Complaint, lacking).reference
    assert f"1 refused: {reference} has no resolution." in response.text
    assert [status_of(app, i) for i in (a, b, lacking, other)] == \
        ["closed", "closed", "resolving", "received"]


def test_bulk_close_action_on_selected_rows(app, as_role, users, client_id):
    ready = complaint(app, status="resolving", resolution="r", root_cause="c")
    early = complaint(app, status="assessing")
    response = as_role("admin").post_form(
        "/admin/complaint/action/", {"action": "close", "rowid": [ready, early]},
        token_url="/admin/complaint/", follow_redirects=True)
    assert "1 done" in response.text and "1 refused" in response.text
    assert status_of(app, ready) == "closed"


def test_overdue_filter_and_badge(app, as_role, users, client_id):
    now = datetime.now(UTC)
    late = complaint(app, status="investigating", due_at=now - timedelta(hours=2))
    complaint(app, status="investigating", due_at=now + timedelta(days=2))
    complaint(app, status="closed", due_at=now - timedelta(days=2), closed_at=now,
              resolution="r", root_cause="c")
    admin = as_role("admin")
    with app.app_context():
        reference = db.session.get(Complaint, late).reference
    page = admin.get("/admin/complaint/?flt0_0=1").text
    assert page.count("CP-2026-") == 1 and reference in page
    assert "badge badge-danger overdue" in page


def test_steps_are_offered_on_the_edit_page_too(app, as_role, users, client_id):
    cid = complaint(app, status="received")
    page = as_role("supervisor").get(f"/admin/complaint/edit/?id={cid}").text
    assert 'id="step-assess"' in page and 'name="status"' not in page


def test_concurrent_registrations_get_distinct_references(app, as_role, users, client_id,
                                                          is_postgres):
    """Eight staff sessions register a complaint at the same moment, through the app."""
    import threading

    if not is_postgres:
        pytest.skip("concurrent writers are exercised on PostgreSQL")
    browsers = [as_role("staff") for _ in range(8)]
    tokens = [b.token_from("/admin/complaint/new/") for b in browsers]
    barrier = threading.Barrier(len(browsers))
    responses = []

    def register(browser, token) -> None:
        barrier.wait()
        response = browser.client.post("/admin/complaint/new/", data={
            "client": str(client_id), "channel": "online", "category": "other",
            "received_at": "2026-11-22 01:00:00", "description": "same moment",
            "csrf_token": token})
        responses.append(response)

    threads = [threading.Thread(target=register, args=pair)
               for pair in zip(browsers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(responses) == 8
    for response in responses:
        assert_redirect(response, to="/admin/complaint/")
    with app.app_context():
        references = db.session.scalars(sa.select(Complaint.reference)).all()
    assert sorted(references) == [f"CP-2026-{n:06d}" for n in range(1, 9)]


def test_a_critical_complaint_registered_on_screen_is_due_a_day_after_receipt(app, as_role,
                                                                              client_id):
    created = as_role("staff").post_form("/admin/complaint/new/", {
        "client": str(client_id), "channel": "hotline", "category": "service",
        "severity": "critical", "received_at": "2026-11-20 10:00:00",  # Shanghai time
        "description": "Transfer failed twice"})
    assert_redirect(created, to="/admin/complaint/")
    with app.app_context():
        row = db.session.scalar(sa.select(Complaint))
        assert row.status.value == "received"
        assert row.due_at == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
