"""Inviting clients to events (issue 17): from the client list, for the selected clients or
every client matching the list; within the event's capacity (including two invitations
racing for the last places, on real threads), skipping those already invited and closed
accounts; never to a done or cancelled event; audited per client; allowed and refused
per role."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, EventAttendance
from admin_app.services import events
from admin_app.views.links import filter_index, registered_view

from . import factories
from .conftest import assert_redirect, form_values

ROLES = ("staff", "supervisor", "admin")


@pytest.fixture
def lecture(app) -> int:
    with app.app_context():
        event = factories.event(db.session, title="投资讲座", kind="lecture", status="open",
                                capacity=3)
        db.session.commit()
        return event.id


@pytest.fixture
def diamonds(app) -> list[int]:
    """Five diamond clients (one closed) and two gold ones."""
    with app.app_context():
        diamond, gold = factories.tier(db.session, "diamond"), factories.tier(db.session, "gold")
        rows = [factories.client(db.session, code=f"D{n}", tier=diamond,
                                 status="closed" if n == 4 else "active") for n in range(5)]
        rows += [factories.client(db.session, code=f"G{n}", tier=gold) for n in range(2)]
        db.session.commit()
        return [c.id for c in rows]


def on_list(app, event_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Client.code).join(
            EventAttendance, EventAttendance.client_id == Client.id)
            .where(EventAttendance.event_id == event_id)))


def test_the_service_invites_within_capacity_and_says_who_was_not(app, lecture, diamonds):
    with app.test_request_context():
        factories.attendance(db.session, event_id=lecture, client_id=diamonds[0])
        db.session.commit()
        scope = sa.select(Client.id).where(Client.code.like("D%"))
        result = events.invite(db.session, lecture, scope)
        db.session.commit()
        assert result == events.InviteResult(invited=2, already_invited=1, closed_accounts=1,
                                             over_capacity=1)
        assert events.invite_summary(result) == (
            "Invited: 2; 3 not invited: 1 already invited, 1 closed accounts, "
            "1 refused: the event is full")
        each = db.session.scalars(sa.select(AuditEntry.entity_id).where(
            AuditEntry.action == "invite", AuditEntry.entity == "client")).all()
        assert sorted(each) == sorted(str(i) for i in diamonds[1:3])
    assert on_list(app, lecture) == {"D0", "D1", "D2"}  # by code, within the 3 places


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_done_or_cancelled_event_takes_no_invitations(app, diamonds, status):
    with app.test_request_context():
        event = factories.event(db.session, title="已结束", kind="seminar", status=status)
        db.session.commit()
        event_id = event.id
        with pytest.raises(events.EventError, match="over or cancelled"):
            events.invite(db.session, event_id, None)
        db.session.rollback()
    assert on_list(app, event_id) == set()


def test_two_invitations_racing_for_the_last_place_take_one(app, database_url, diamonds):
    """Two sessions on real threads invite different clients to an event with one place
    left: the event's row is held by the first, the second counts after it commits."""
    with app.app_context():
        event = factories.event(db.session, title="最后一席", kind="lecture", status="open",
                                capacity=1)
        db.session.commit()
        event_id, engine = event.id, db.engine
    results: dict[str, object] = {}
    start = threading.Barrier(2)

    def run(code: str) -> None:
        with app.test_request_context(), Session(engine) as session:
            start.wait()
            try:
                results[code] = events.invite(
                    session, event_id, sa.select(Client.id).where(Client.code == code))
                session.commit()
            except Exception as error:  # a lock timeout is a refusal too
                results[code] = error
                session.rollback()

    threads = [threading.Thread(target=run, args=(code,)) for code in ("D1", "D2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(on_list(app, event_id)) == 1, results
    invited = [r for r in results.values() if isinstance(r, events.InviteResult) and r.invited]
    assert len(invited) == 1


def list_url(app, filters: dict[str, str]) -> str:
    with app.test_request_context():
        view = registered_view("client")
        args = "&".join(f"flt{n}_{filter_index(view, name)}={value}"
                        for n, (name, value) in enumerate(filters.items()))
    return f"/admin/client/?{args}"


def test_a_supervisor_invites_the_diamond_clients_of_the_list(app, as_role, lecture, diamonds):
    supervisor = as_role("supervisor")
    listing = supervisor.get(list_url(app, {"tier": "diamond"})).text
    link = re.search(r'id="invite-list"\s+href="([^"]+)"', listing)
    assert link, "no invite button on the filtered list"
    url = link.group(1).replace("&amp;", "&")
    page = supervisor.get(url)
    assert "Invite 5 clients to an event" in page.text and "投资讲座" in page.text
    assert "3 of 3 places left" in page.text
    done = supervisor.post_form(url, {"event_id": str(lecture)}, follow_redirects=True)
    assert "Invited: 3; 2 not invited: 1 closed accounts, 1 refused: the event is full" \
        in done.text
    assert on_list(app, lecture) == {"D0", "D1", "D2"}


def test_the_selected_clients_are_invited_after_choosing_the_event(app, as_role, lecture,
                                                                   diamonds):
    staff = as_role("staff")
    ids = [str(i) for i in diamonds[5:]]
    page = staff.post_form("/admin/client/action/", {"action": "invite_to_event",
                                                     "rowid": ids}, token_url="/admin/client/")
    assert page.status_code == 200 and "Invite 2 clients to an event" in page.text
    done = staff.post_form("/admin/client/action/", {"action": "invite_to_event", "rowid": ids,
                                                     "event_id": str(lecture)},
                           token_url="/admin/client/", follow_redirects=True)
    assert "Invited: 2" in done.text
    assert on_list(app, lecture) == {"G0", "G1"}


@pytest.mark.parametrize("role", ROLES)
def test_inviting_every_client_needs_a_lead(app, as_role, lecture, diamonds, role):
    browser = as_role(role)
    response = browser.post_form("/admin/client/invite/", {"event_id": str(lecture)},
                                 token_url="/admin/client/")
    if role == "staff":
        assert response.status_code == 403
        assert on_list(app, lecture) == set()
    else:
        assert_redirect(response, to="/admin/client/")
        assert len(on_list(app, lecture)) == 3


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_invite_a_filtered_list(app, as_role, lecture, diamonds, role):
    listed = list_url(app, {"tier": "gold"})
    url = listed.replace("/admin/client/?", "/admin/client/invite/?")
    response = as_role(role).post_form(url, {"event_id": str(lecture)},
                                       token_url="/admin/client/")
    assert_redirect(response, to=listed)  # back to the list as it was
    assert on_list(app, lecture) == {"G0", "G1"}


def test_one_by_one_the_attendance_screen_keeps_the_capacity(app, as_role, diamonds):
    with app.app_context():
        event = factories.event(db.session, title="小型沙龙", kind="seminar", status="open",
                                capacity=1)
        factories.attendance(db.session, event=event, client_id=diamonds[0])
        db.session.commit()
        event_id = event.id
    staff = as_role("staff")
    response = staff.post_form("/admin/attendance/new/", {
        "event": str(event_id), "client": str(diamonds[1]), "status": "invited"})
    assert response.status_code == 200 and "This event is full" in response.text
    assert on_list(app, event_id) == {"D0"}


# --- the evaluation ----------------------------------------------------------------------


def test_the_event_page_shows_its_evaluation(app, as_role, diamonds):
    from decimal import Decimal

    with app.app_context():
        event = factories.event(db.session, title="客户答谢会", kind="appreciation",
                                status="done", capacity=10, budget=Decimal("3000"))
        rows = [("attended", 5, "很好"), ("attended", 4, "时间短"), ("attended", None, None),
                ("no_show", None, None), ("registered", None, None), ("invited", None, None)]
        for client_id, (status, score, text) in zip(diamonds, rows, strict=False):
            factories.attendance(db.session, event=event, client_id=client_id, status=status,
                                 feedback_score=score, feedback_text=text)
        db.session.commit()
        evaluation = events.evaluation(db.session, event.id)
        event_id = event.id
    assert (evaluation.invited, evaluation.signed_up, evaluation.attended,
            evaluation.no_show) == (1, 5, 3, 1)
    assert evaluation.attendance_rate == pytest.approx(0.6)
    assert evaluation.mean_feedback == pytest.approx(4.5)
    assert evaluation.cost_per_attendee == Decimal("1000")
    page = as_role("staff").get(f"/admin/event/details/?id={event_id}").text
    assert re.search(r'id="eval-rate">\s*60%', page) and "¥1,000.00" in page
    assert "很好" in page and "时间短" in page


def test_an_event_no_one_registered_for_has_no_rates(app, as_role, lecture):
    with app.app_context():
        evaluation = events.evaluation(db.session, lecture)
    assert evaluation.attendance_rate is None and evaluation.cost_per_attendee is None
    page = as_role("staff").get(f"/admin/event/details/?id={lecture}")
    assert page.status_code == 200 and 'id="eval-rate">—' in page.text


def test_the_event_form_keeps_its_list_within_capacity(app, as_role, sample):
    supervisor = as_role("supervisor")
    url = f"/admin/event/edit/?id={sample['event']}"
    page = supervisor.get(url).text
    data = {k: v.removeprefix("\r\n") for k, v in form_values(page).items()}
    response = supervisor.post_form(url, {**data, "capacity": "0"})
    assert response.status_code == 200
    assert "This event has 1 people on its list, more than its 0 places." in response.text
    with app.app_context():
        from admin_app.models import Event
        assert db.session.get(Event, sample["event"]).capacity == 50


# --- the attendance table --------------------------------------------------------------


@pytest.fixture
def seminar(app, diamonds) -> dict:
    with app.app_context():
        event = factories.event(db.session, title="理财沙龙", kind="seminar", status="open",
                                capacity=10)
        rows = [factories.attendance(db.session, event=event, client_id=client_id,
                                     status="registered") for client_id in diamonds[:4]]
        db.session.commit()
        return {"event": event.id, "rows": [(r.id, r.version_id) for r in rows]}


def test_staff_check_in_many_attendees_at_once(app, as_role, seminar):
    staff = as_role("staff")
    details = f"/admin/event/details/?id={seminar['event']}"
    page = staff.get(details).text
    assert 'id="attendee-table"' in page and "Attendees (4)" in page
    ticked = [f"{key}:{version}" for key, version in seminar["rows"][:3]]
    done = staff.post_form(f"/admin/event/attendance/?id={seminar['event']}",
                           {"row": ticked, "status": "attended"}, token_url=details,
                           follow_redirects=True)
    assert "Status set for 3 people." in done.text
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(EventAttendance.id,
                                                     EventAttendance.status)).all())
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "event_attendance", AuditEntry.action == "update")).all()
    assert [statuses[key] for key, _v in seminar["rows"]] == ["attended"] * 3 + ["registered"]
    assert len(entries) == 3 and entries[0].changes == {"status": ["registered", "attended"]}
    again = staff.post_form(f"/admin/event/attendance/?id={seminar['event']}",  # stale page
                            {"row": ticked, "status": "no_show"}, token_url=details,
                            follow_redirects=True)
    assert "3 were saved by someone else since the page was drawn" in again.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EventAttendance).where(
            EventAttendance.status == "no_show")) == 0


def test_the_table_filters_by_status_and_pages(app, as_role, seminar):
    staff = as_role("staff")
    page = staff.get(f"/admin/event/details/?id={seminar['event']}&att_status=attended").text
    assert "Attendees (0)" in page
    page = staff.get(f"/admin/event/details/?id={seminar['event']}&att_page=abc").text
    assert "Attendees (4)" in page  # a page that is no number is the first


@pytest.mark.parametrize("status", ["invited", "bogus"])
def test_only_registered_attended_and_no_show_are_set_in_bulk(app, as_role, seminar, status):
    staff = as_role("staff")
    details = f"/admin/event/details/?id={seminar['event']}"
    response = staff.post_form(f"/admin/event/attendance/?id={seminar['event']}",
                               {"row": "1:1", "status": status}, token_url=details)
    assert response.status_code == 400


def test_the_events_list_shows_figures_and_filters_by_when_and_organiser(app, as_role, users,
                                                                      seminar):
    from datetime import UTC, datetime, timedelta

    with app.app_context():
        future = datetime.now(UTC) + timedelta(days=30)
        factories.event(db.session, title="明年讲座", kind="lecture", status="planned",
                        starts_at=future, organizer_id=users["staff"])
        db.session.commit()
    staff = as_role("staff")
    listing = staff.get("/admin/event/").text
    assert "Attendance rate" in listing and "Mean feedback" in listing
    row = listing[listing.index("理财沙龙"):]
    assert re.search(r'class="col-signed_up">\s*4\s*<', row)  # 4 registered, none attended
    with app.test_request_context():
        view = registered_view("event")
        when, organiser = filter_index(view, "when"), filter_index(view, "organizer")
    upcoming = staff.get(f"/admin/event/?flt0_{when}=upcoming").text
    assert "明年讲座" in upcoming and "理财沙龙" not in upcoming
    past = staff.get(f"/admin/event/?flt0_{when}=past").text
    assert "理财沙龙" in past and "明年讲座" not in past
    mine = staff.get(f"/admin/event/?flt0_{organiser}={users['staff']}").text
    assert "明年讲座" in mine and "理财沙龙" not in mine
