"""The client's page as the whole relationship (views/client_page.py), over real HTTP: the
client's latest visits, complaints, events, tier changes and audit entries (and nobody
else's), each linked to the list of all of them; the buttons that open a form filled in
for the client, shown only to roles that may create; masks; the title; the languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from admin_app import create_app, views
from admin_app.enums import Capability, Resource
from admin_app.extensions import db
from admin_app.models import EventAttendance, TierChange, User, Visit
from admin_app.permissions import LEADS, MATRIX
from admin_app.services import audit
from admin_app.views.checks import ImproperlyConfigured

from . import factories
from .browser.test_no_english import english_words
from .conftest import assert_redirect, form_values
from .factories import WHEN
from .test_i18n import visible_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE, NEW_PHONE = "13812345678", "13900001111"
SECTIONS = ("visits", "complaints", "events", "tier_history", "history")


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def rel(app, users):
    """王小明 with a dozen visits and some of every other kind; 李四 with one of each."""
    with app.app_context():
        session = db.session
        admin = session.get(User, users["admin"])
        mine = factories.client(session, code="C0000001", name="王小明", phone=PHONE,
                                email="wang@example.com", id_number="11010519491231002X",
                                advisor_id=users["staff"])
        other = factories.client(session, code="C0000002", name="李四", phone="13700000000")
        for day in range(12):
            factories.visit(session, client=mine, staff_id=users["staff"],
                            scheduled_for=WHEN + timedelta(days=day))
        factories.visit(session, client=other, scheduled_for=WHEN + timedelta(days=100))
        factories.complaint(session, client=mine, reference="CP-2026-000001",
                            received_at=WHEN - timedelta(days=30),
                            due_at=WHEN - timedelta(days=15))  # open and past its deadline
        factories.complaint(session, client=other, reference="CP-2026-000009")
        lecture = factories.event(session, title="投资讲座", starts_at=WHEN + timedelta(days=3))
        golf = factories.event(session, title="高尔夫活动")
        factories.attendance(session, client=mine, event=lecture, status="attended",
                             feedback_score=5, feedback_text="讲得很好")
        factories.attendance(session, client=other, event=golf)
        gold, standard = factories.tier(session, "gold"), factories.tier(session, "standard")
        session.add(TierChange(client=mine, from_tier=standard, to_tier=gold, reason="manual",
                               changed_at=WHEN, changed_by=admin))
        audit.record(session, action="update", entity="client", entity_id=mine.id,
                     changes={"phone": [PHONE, NEW_PHONE], "notes": ["旧备注", "新备注"]},
                     actor=admin, now=WHEN)
        audit.record(session, action="update", entity="client", entity_id=other.id,
                     changes={"notes": ["", "乙方备注"]}, actor=admin, now=WHEN)
        session.commit()
        return {"mine": mine.id, "other": other.id, "lecture": lecture.id, "golf": golf.id}


def page_of(browser, client_id: int, lang: str | None = None) -> str:
    url = f"/admin/client/details/?id={client_id}" + (f"&lang={lang}" if lang else "")
    response = browser.get(url)
    assert response.status_code == 200, response.text[:500]
    return response.text


def section(html: str, key: str) -> str:
    """The HTML of one table of the page ("" when it is not shown)."""
    match = re.search(rf'<section[^>]*id="client-{key}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def all_link(html: str, key: str) -> tuple[str, str]:
    """The section's "all N …" link: (href, text)."""
    match = re.search(r'<a class="all-records" href="([^"]+)">([^<]+)</a>', section(html, key))
    assert match, f"no link to all {key}"
    return unescape(match.group(1)), unescape(match.group(2))


def button(html: str, key: str) -> str | None:
    match = re.search(rf'id="{key}" href="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


def list_count(html: str) -> int:
    match = re.search(r'class="nav-link active">[^<(]*\(([\d,]+)\)', html)
    return int(match.group(1).replace(",", "")) if match else 0


# --- what the page shows -------------------------------------------------------------------


def test_the_page_shows_this_clients_records_and_no_one_elses(as_role, rel):
    html = page_of(as_role("supervisor"), rel["mine"])
    assert [key for key in SECTIONS if section(html, key)] == list(SECTIONS)
    visits, complaints = section(html, "visits"), section(html, "complaints")
    events, tiers, entries = (section(html, k) for k in ("events", "tier_history", "history"))
    assert local(WHEN + timedelta(days=11)) in visits
    assert local(WHEN + timedelta(days=100)) not in visits  # 李四's
    assert "CP-2026-000001" in complaints and "CP-2026-000009" not in complaints
    assert "投资讲座" in events and "Attended" in events and "讲得很好" in events
    assert "高尔夫活动" not in events
    assert "Manual" in tiers and "Gold" in tiers and "Test admin" in tiers
    assert "新备注" in entries and "乙方备注" not in entries
    assert "李四" not in html


def test_visits_latest_first_ten_of_them_and_how_many_in_all(as_role, rel):
    visits = section(page_of(as_role("staff"), rel["mine"]), "visits")
    shown = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", visits)
    expected = [local(WHEN + timedelta(days=day)) for day in range(11, 1, -1)]
    assert shown == expected
    assert "The latest 10 of 12." in visits
    assert all_link(page_of(as_role("staff"), rel["mine"]), "visits")[1] == "All visits (12)"


def test_a_complaint_past_its_deadline_is_flagged_as_on_the_list(as_role, rel):
    complaints = section(page_of(as_role("staff"), rel["mine"]), "complaints")
    assert re.search(r'class="badge badge-danger overdue">[^<]*Overdue', complaints)


def test_a_client_with_nothing_yet(as_role, rel, app):
    with app.app_context():
        empty = factories.client(db.session, name="新客户")
        db.session.commit()
        empty_id = empty.id
    html = page_of(as_role("supervisor"), empty_id)
    for key in SECTIONS:
        assert "None yet." in section(html, key)
        assert 'class="all-records"' not in section(html, key)


def test_each_row_opens_its_record(as_role, rel, app):
    html = page_of(as_role("supervisor"), rel["mine"])
    with app.app_context():
        attendance = db.session.scalar(sa.select(EventAttendance.id).where(
            EventAttendance.client_id == rel["mine"]))
    assert f'href="/admin/attendance/details/?id={attendance}"' in section(html, "events")
    assert "/admin/complaint/details/?id=" in section(html, "complaints")


# --- the links to all of them ----------------------------------------------------------------


@pytest.mark.parametrize(("key", "total"), [("visits", 12), ("complaints", 1), ("events", 1),
                                            ("history", 1)])
def test_all_link_lists_exactly_this_clients_records(as_role, rel, key, total):
    supervisor = as_role("supervisor")
    href, text = all_link(page_of(supervisor, rel["mine"]), key)
    assert f"({total})" in text
    listed = supervisor.get(href)
    assert listed.status_code == 200
    assert list_count(listed.text) == total
    if key != "history":  # the audit log names records by id, the others by client
        assert "王小明" in listed.text and "李四" not in listed.text
    # The same list for the other client shows the other client's.
    other_href, _text = all_link(page_of(supervisor, rel["other"]), key)
    assert list_count(supervisor.get(other_href).text) == 1


def test_the_links_name_their_filters(app, as_role, rel):
    """Built by filter name (links.list_url), so a filter added before them moves them:
    each link selects its view's client-id filter (the audit log: record type and id)."""
    html = page_of(as_role("supervisor"), rel["mine"])
    admin_views = {v.endpoint: v for v in app.extensions["admin"][0]._views}
    for key, endpoint in (("visits", "visit"), ("complaints", "complaint"),
                          ("events", "attendance"), ("history", "audit")):
        parts = urlsplit(all_link(html, key)[0])
        assert parts.path == f"/admin/{endpoint}/"
        filters = admin_views[endpoint]._filters
        used = {(type(filters[int(k.partition("_")[2])]).__name__,
                 filters[int(k.partition("_")[2])].column.key, v[0])
                for k, v in parse_qs(parts.query).items()}
        expected = {("FilterEqual", "entity", "client"),
                    ("FilterEqual", "entity_id", str(rel["mine"])),
                    ("QueueFilter", "action", "1")} if key == "history" else \
            {("IntEqualFilter", "client_id", str(rel["mine"]))}
        assert used == expected


def test_a_client_id_filter_that_is_not_a_number_is_not_an_error(as_role, rel, app):
    staff = as_role("staff")
    with app.test_request_context():
        from admin_app.views.links import list_url
        url = list_url("visit", filters={"client_id": "abc"})
    response = staff.get(url)
    assert response.status_code == 200
    assert list_count(response.text) == 13  # the filter is refused, the list unfiltered


# --- the buttons -------------------------------------------------------------------------------


def test_record_callback_opens_a_done_callback_by_the_user_now(as_role, rel, users):
    staff = as_role("staff")
    href = button(page_of(staff, rel["mine"]), "record_callback")
    assert href and href.startswith("/admin/visit/new/")
    values = form_values(staff.get(href).text)
    assert values["client"] == str(rel["mine"])
    assert values["staff"] == str(users["staff"])
    assert (values["channel"], values["purpose"], values["status"]) == (
        "phone", "scheduled_callback", "done")
    shown = datetime.strptime(values["completed_at"], "%Y-%m-%d %H:%M:%S")
    now_there = datetime.now(SHANGHAI).replace(tzinfo=None)  # the user's zone, not UTC
    assert abs(now_there - shown) < timedelta(minutes=2)


def test_saving_the_callback_records_it_and_comes_back_to_the_client(app, as_role, rel, users):
    staff = as_role("staff")
    back = f"/admin/client/details/?id={rel['mine']}"
    href = button(staff.get(back).text, "record_callback")
    data = {**form_values(staff.get(href).text), "summary": "客户很满意", "satisfaction": "5"}
    assert_redirect(staff.post_form(href, data), to=back)
    with app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.summary == "客户很满意"))
        assert (visit.client_id, visit.staff_id, visit.status) == (
            rel["mine"], users["staff"], "done")
        assert abs(visit.completed_at - datetime.now(UTC)) < timedelta(minutes=2)
    assert "客户很满意" not in section(staff.get(back).text, "visits")  # summary not a column
    assert "Done" in section(staff.get(back).text, "visits")


def test_register_complaint_and_invite_to_event_open_forms_with_the_client(as_role, rel):
    staff = as_role("staff")
    html = page_of(staff, rel["mine"])
    complaint = form_values(staff.get(button(html, "register_complaint")).text)
    assert complaint["client"] == str(rel["mine"])
    invitation = form_values(staff.get(button(html, "invite_to_event")).text)
    assert invitation["client"] == str(rel["mine"]) and invitation["status"] == "invited"
    assert invitation["event"] == ""


def test_inviting_records_an_invitation_once(app, as_role, rel):
    staff = as_role("staff")
    back = f"/admin/client/details/?id={rel['mine']}"
    href = button(staff.get(back).text, "invite_to_event")
    data = {**form_values(staff.get(href).text), "event": str(rel["golf"])}
    assert_redirect(staff.post_form(href, data), to=back)
    assert "高尔夫活动" in section(staff.get(back).text, "events")
    again = staff.post_form(href, data)
    assert again.status_code == 200
    assert "This client is already on this event&#39;s list." in again.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EventAttendance)
                                 .where(EventAttendance.event_id == rel["golf"])) == 2


@pytest.mark.parametrize(("query", "field", "expected"), [
    ("client_id=999999", "client", ""),
    ("client_id=abc", "client", ""),
    ("client_id=", "client", ""),
    ("client_id=1e3", "client", ""),
    ("staff_id={inactive}", "staff", ""),
    ("status=bogus", "status", "planned"),  # the form's default
    ("channel=fax", "channel", ""),
    ("completed_at=2026-01-01", "completed_at", ""),
])
def test_a_prefill_value_that_does_not_fit_is_left_out(app, as_role, rel, query, field,
                                                       expected):
    with app.app_context():
        inactive = factories.user(db.session, is_active=False)
        db.session.commit()
        query = query.format(inactive=inactive.id)
    response = as_role("staff").get(f"/admin/visit/new/?{query}")
    assert response.status_code == 200
    assert form_values(response.text).get(field, "") == expected


def test_an_event_that_is_over_is_not_prefilled(app, as_role, rel):
    with app.app_context():
        done = factories.event(db.session, title="已结束的活动", status="done")
        db.session.commit()
        done_id = done.id
    staff = as_role("staff")
    assert form_values(staff.get(f"/admin/attendance/new/?event_id={done_id}").text)[
        "event"] == ""
    assert form_values(staff.get(f"/admin/attendance/new/?event_id={rel['golf']}").text)[
        "event"] == str(rel["golf"])


def test_a_posted_form_keeps_what_was_posted(app, as_role, rel):
    staff = as_role("staff")
    url = f"/admin/visit/new/?client_id={rel['mine']}&status=done&completed_at=now"
    data = {**form_values(staff.get(url).text), "client": str(rel["other"]),
            "status": "planned", "completed_at": "", "scheduled_for": "2026-12-20 10:00:00",
            "channel": "sms", "purpose": "other", "summary": "改为李四"}
    response = staff.post_form(url, data)
    assert 300 <= response.status_code < 400
    with app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.summary == "改为李四"))
        assert (visit.client_id, visit.status, visit.completed_at) == (
            rel["other"], "planned", None)


BUTTONS = [("record_callback", Resource.visit, "/admin/visit/new/"),
           ("register_complaint", Resource.complaint, "/admin/complaint/new/"),
           ("invite_to_event", Resource.attendance, "/admin/attendance/new/")]


@pytest.mark.parametrize(("key", "resource", "url"), BUTTONS)
def test_a_button_is_shown_only_to_roles_that_may_create(monkeypatch, as_role, rel, key,
                                                         resource, url):
    assert button(page_of(as_role("staff"), rel["mine"]), key)
    monkeypatch.setitem(MATRIX[resource], Capability.create, LEADS)
    staff = as_role("staff")
    html = page_of(staff, rel["mine"])
    assert button(html, key) is None
    assert len(re.findall(r'class="btn btn-primary btn-sm mr-2 mb-1"', html)) == 2
    assert staff.get(f"{url}?client_id={rel['mine']}").status_code == 403
    assert button(page_of(as_role("supervisor"), rel["mine"]), key)


def test_prefill_fields_must_be_fields_of_the_form(monkeypatch):
    class Misdeclared(views.VisitView):
        prefill_fields = ("client_id", "summry")

    monkeypatch.setattr(views, "VisitView", Misdeclared)
    with pytest.raises(ImproperlyConfigured, match="prefill field 'summry'"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# --- who sees what -----------------------------------------------------------------------------


def test_every_role_sees_the_history_but_only_audit_readers_the_link_to_the_log(as_role, rel):
    staff = section(page_of(as_role("staff"), rel["mine"]), "history")
    assert "新备注" in staff and 'class="all-records"' not in staff
    leads = section(page_of(as_role("supervisor"), rel["mine"]), "history")
    assert "新备注" in leads and 'class="all-records"' in leads


def test_staff_see_no_personal_data_on_the_page(as_role, rel):
    html = page_of(as_role("staff"), rel["mine"])
    for value in (PHONE, NEW_PHONE, "wang@example.com", "11010519491231002X"):
        assert value not in html
    assert "138****5678" in html


def test_the_history_is_masked_for_a_role_that_may_not_see_pii(as_role, rel):
    entries = section(page_of(as_role("staff"), rel["mine"]), "history")
    assert "138****5678" in entries and "139****1111" in entries
    assert PHONE not in entries and NEW_PHONE not in entries
    leads = section(page_of(as_role("supervisor"), rel["mine"]), "history")
    assert PHONE in leads and NEW_PHONE in leads


# --- title and languages ----------------------------------------------------------------------


def test_the_title_names_the_client(as_role, rel):
    html = page_of(as_role("staff"), rel["mine"])
    assert re.search(r"<title>王小明 \(C0000001\) - Clients - ", html)
    assert re.search(r'<h1 class="[^"]*record-title">王小明 \(C0000001\)</h1>', html)
    assert re.search(r'breadcrumb-item active" aria-current="page">王小明 \(C0000001\)', html)


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_the_page_and_its_forms_speak_chinese(as_role, rel, lang):
    admin = as_role("admin")
    html = page_of(admin, rel["mine"], lang)
    assert all(section(html, key) for key in SECTIONS)
    # (The lists, with their hidden filter data, are read in a real browser:
    # tests/browser/test_no_english.py.)
    urls = [f"/admin/client/details/?id={rel['mine']}",
            *(button(html, key) for key, _r, _u in BUTTONS)]
    for url in urls:
        text = visible_text(admin.get(url).text)
        assert not english_words(text), (url, english_words(text))
    title = re.search(r"<title>([^<]*)</title>", html).group(1)
    assert not english_words(title.replace("C0000001", ""))


def test_the_page_costs_the_same_for_one_record_or_a_dozen(app, as_role, rel, users):
    """No query per row: the statements the page sends don't grow with the rows shown."""
    with app.app_context():
        few = factories.client(db.session, name="少", advisor_id=users["staff"])
        factories.visit(db.session, client=few, staff_id=users["staff"])  # as 王小明's
        factories.complaint(db.session, client=few)
        factories.attendance(db.session, client=few)
        db.session.commit()
        few_id = few.id
    supervisor = as_role("supervisor")
    counts = []
    for client_id in (few_id, rel["mine"]):
        captured: list[str] = []
        with app.app_context():
            engine = db.engine

        def capture(conn, cursor, statement, *args, captured=captured):
            captured.append(statement)

        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            page_of(supervisor, client_id)
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
