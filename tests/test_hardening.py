"""Issue 14, "no 500 on any input" and "values the domain can't hold": each request the
outside audit sent, answered with a message and nothing written (SQLite and PostgreSQL).
The property-based fuzz over every list, form and look-up is tests/test_fuzz.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import EnumEqualFilter, EnumFilterNotEqual

from admin_app.extensions import db
from admin_app.models import (
    AuditEntry,
    Client,
    Complaint,
    Event,
    ReferenceCounter,
    ServiceLevel,
    User,
    Visit,
)
from admin_app.services import accounts
from admin_app.views import adapter

from . import factories
from .conftest import PASSWORD, assert_redirect, form_values

HUGE = "99999999999999999999"  # beyond 64 bits
LISTS = ["client", "visit", "event", "attendance", "complaint", "tier", "service_level",
         "user", "audit"]
EXPORTS = ["client", "visit", "event", "complaint", "audit"]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def no_leak(response) -> None:
    assert response.status_code < 500, response.text[:2000]
    for leak in ("Traceback", "psycopg", "sqlite3", "OverflowError", "KeyError"):
        assert leak not in response.text


def enum_filters(app, endpoint: str) -> list[tuple[str, str]]:
    """(URL argument, its label) of every filter on an enum column of the list."""
    view = next(v for v in adapter.views_of(app.extensions["admin"][0])
                if getattr(v, "endpoint", None) == endpoint)
    return [(f"flt0_{key}", str(flt.name)) for key, (_i, flt) in adapter.filter_args(view).items()
            if isinstance(flt, EnumEqualFilter | EnumFilterNotEqual)]


# --- lists and exports ---------------------------------------------------------------


@pytest.mark.parametrize("endpoint", LISTS)
def test_an_unknown_value_of_every_enum_filter_is_refused_with_a_message(
        app, as_role, sample, endpoint):
    admin = as_role("admin")
    found = enum_filters(app, endpoint)
    if endpoint not in ("tier", "service_level", "audit"):
        assert found, "the list has enum filters"
    for arg, _label in found:
        response = admin.get(f"/admin/{endpoint}/?{arg}=pirate")
        no_leak(response)
        assert response.status_code == 200
        assert "Invalid Filter Value: pirate" in response.text


@pytest.mark.parametrize("endpoint", EXPORTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_a_filter_that_does_not_parse_is_refused_not_every_row(
        app, as_role, sample, endpoint, fmt):
    supervisor = as_role("supervisor")
    bad = [f"{arg}=pirate" for arg, _label in enum_filters(app, endpoint)] or \
        ["flt0_0=99999999999999999999999"]
    exports_before = count(app, AuditEntry)
    for arg in bad:
        response = supervisor.get(f"/admin/{endpoint}/export/{fmt}/?{arg}")
        assert_redirect(response, to=f"/admin/{endpoint}/?{arg}")
        page = supervisor.get(response.headers["Location"])
        assert "Nothing was done: a filter or the search of the list could not be read" \
            in page.text
    assert count(app, AuditEntry) == exports_before  # nothing was exported


def test_an_export_sorted_by_a_column_that_does_not_exist_is_the_default_order(
        as_role, sample):
    response = as_role("supervisor").get("/admin/client/export/csv/?sort=999")
    assert response.status_code == 200
    assert "C0000001" in response.text


def test_a_search_or_filter_with_a_nul_byte_is_refused_with_a_message(as_role, sample):
    admin = as_role("admin")
    response = admin.get("/admin/client/?search=%E7%8E%8B%00")
    no_leak(response)
    assert "The search was not applied" in response.text
    response = admin.get("/admin/visit/?flt0_0=%00abc")
    no_leak(response)
    assert "Invalid Filter Value: ?abc" in response.text


@pytest.mark.parametrize("page", ["-1", HUGE, "99999999999"])
def test_a_page_out_of_range_shows_the_first_page_with_a_message(as_role, sample, page):
    response = as_role("admin").get(f"/admin/client/?page={page}")
    no_leak(response)
    assert response.status_code == 200
    assert "王小明" in response.text


def test_bulk_work_over_an_unreadable_filter_is_refused_not_done_for_every_client(
        app, as_role, sample):
    admin = as_role("admin")
    before = count(app, AuditEntry)
    response = admin.post_form("/admin/client/recalculate/?flt0_6=pirate",
                               {"scope": "filtered"}, token_url="/admin/client/")
    assert_redirect(response, to="/admin/client/?flt0_6=pirate")
    response = admin.post_form("/admin/client/plan-callbacks/?flt0_6=pirate", {},
                               token_url="/admin/client/")
    assert_redirect(response, to="/admin/client/?flt0_6=pirate")
    assert count(app, AuditEntry) == before


# --- ids beyond what the columns hold -------------------------------------------------


@pytest.mark.parametrize("endpoint", ["client", "visit", "event", "complaint", "user"])
@pytest.mark.parametrize("page", ["details", "edit"])
@pytest.mark.parametrize("key", [HUGE, "2147483648", "abc", "-1"])
def test_an_id_of_no_record_is_not_found_not_an_error(as_role, sample, endpoint, page, key):
    response = as_role("admin").get(f"/admin/{endpoint}/{page}/?id={key}")
    assert_redirect(response, to=f"/admin/{endpoint}/")


def test_an_action_on_an_id_beyond_64_bits_does_nothing(app, as_role, sample):
    admin = as_role("admin")
    before = count(app, AuditEntry)
    response = admin.post_form("/admin/client/action/", {
        "action": "recalculate_tier", "rowid": HUGE, "url": "/admin/client/"},
        token_url="/admin/client/")
    assert_redirect(response, to="/admin/client/")
    response = admin.post_form("/admin/client/action/", {
        "action": "delete", "rowid": [HUGE, "abc"], "url": "/admin/client/"},
        token_url="/admin/client/")
    assert_redirect(response, to="/admin/client/")
    assert count(app, Client) == 1
    assert count(app, AuditEntry) - before <= 1  # the recalculation's own run, if any


# --- forms ----------------------------------------------------------------------------


def new_client_form(browser) -> dict:
    values = form_values(browser.get("/admin/client/new/").text)
    values.update(code="N0000001", name="新客户", kind="individual", status="active")
    return values


@pytest.mark.parametrize("field,value,message", [
    ("trades_12m", "2147483648", "The number is too large."),
    ("trades_12m", HUGE, "The number is too large."),
    ("name", "王\x00小明", "Remove the control characters"),
    ("address", "Road\x1b[31m 1", "Remove the control characters"),
    ("notes", "line\x00", "Remove the control characters"),
    ("code", "AB\x00C", "Remove the control characters"),
    ("name", "   ", "This field is required."),
    ("name", "\u3000\t", None),
    ("code", "  ", "This field is required."),
    ("tier", "999", "Choose one of the listed values."),
    ("tier", "abc", "Choose one of the listed values."),
    ("advisor", "999", "Choose one of the listed values."),
    ("advisor", "abc", "Choose one of the listed values."),
    ("advisor", HUGE, "Choose one of the listed values."),
])
def test_a_client_value_the_domain_cant_hold_is_refused_beside_its_field(
        app, as_role, sample, field, value, message):
    admin = as_role("admin")
    values = {**new_client_form(admin), field: value}
    before = count(app, Client)
    response = admin.post_form("/admin/client/new/", values)
    no_leak(response)
    assert response.status_code == 200, "the form comes back"
    if message:
        assert message in response.text
    assert count(app, Client) == before


def test_notes_keep_their_line_breaks(app, as_role, sample):
    admin = as_role("admin")
    values = {**new_client_form(admin), "notes": "first line\r\n\tsecond line"}
    response = admin.post_form("/admin/client/new/", values)
    assert_redirect(response, to="/admin/client/")
    with app.app_context():
        assert db.session.scalar(sa.select(Client.notes).where(Client.code == "N0000001")) \
            == "first line\r\n\tsecond line"


def test_an_admin_or_a_deactivated_user_cant_be_made_advisor_by_a_crafted_post(
        app, as_role, users, sample):
    with app.app_context():
        gone = factories.user(db.session, username="gone", is_active=False)
        db.session.commit()
        gone_id = gone.id
    admin = as_role("admin")
    for user_id in (users["admin"], gone_id):
        response = admin.post_form("/admin/client/new/",
                                   {**new_client_form(admin), "advisor": str(user_id)})
        assert "Choose one of the listed values." in response.text
    assert count(app, Client) == 1
    response = admin.post_form("/admin/client/new/",
                               {**new_client_form(admin), "advisor": str(users["supervisor"])})
    assert_redirect(response, to="/admin/client/")


def test_a_client_keeps_the_advisor_deactivated_since(app, as_role, users, sample):
    """Saving a client whose advisor has left keeps them: the stored value is accepted."""
    with app.app_context():
        db.session.get(User, users["staff"]).is_active = False
        db.session.commit()
    admin = as_role("admin")
    url = f"/admin/client/edit/?id={sample['client']}"
    values = {**form_values(admin.get(url).text), "notes": "still theirs"}
    assert values["advisor"] == str(users["staff"])
    response = admin.post_form(url, values)
    assert 300 <= response.status_code < 400, response.text[:3000]
    with app.app_context():
        client = db.session.get(Client, sample["client"])
        assert (client.advisor_id, client.notes) == (users["staff"], "still theirs")


@pytest.mark.parametrize("endpoint,field", [("visit", "staff"), ("complaint", "assignee"),
                                            ("event", "organizer"), ("visit", "client"),
                                            ("complaint", "client")])
@pytest.mark.parametrize("value", ["999", "abc", HUGE])
def test_a_picked_record_that_does_not_exist_is_refused_not_saved_empty(
        app, as_role, sample, endpoint, field, value):
    admin = as_role("admin")
    url = f"/admin/{endpoint}/edit/?id={sample[endpoint]}"
    values = {**form_values(admin.get(url).text), field: value}
    model = {"visit": Visit, "complaint": Complaint, "event": Event}[endpoint]
    with app.app_context():
        before = db.session.get(model, sample[endpoint]).version_id \
            if hasattr(model, "version_id") else None
    response = admin.post_form(url, values)
    no_leak(response)
    assert response.status_code == 200
    assert "Choose one of the listed values." in response.text or \
        "Not a valid choice" in response.text
    with app.app_context():
        row = db.session.get(model, sample[endpoint])
        assert getattr(row, f"{field}_id") is not None or field != "client"
        if before is not None:
            assert row.version_id == before


@pytest.mark.parametrize("days", ["0", "366", "100000000000000000000", "-5"])
def test_a_service_level_out_of_range_is_refused(app, as_role, days):
    with app.app_context():
        level = db.session.scalar(sa.select(ServiceLevel).where(ServiceLevel.severity == "high"))
        if level is None:
            level = ServiceLevel(severity="high", days=5)
            db.session.add(level)
        level.days = 5
        db.session.commit()
        level_id = level.id
    admin = as_role("admin")
    url = f"/admin/service_level/edit/?id={level_id}"
    response = admin.post_form(url, {**form_values(admin.get(url).text), "days": days})
    no_leak(response)
    assert response.status_code == 200
    assert "Enter a number of days from 1 to 365." in response.text or \
        "The number is too large." in response.text
    with app.app_context():
        assert db.session.get(ServiceLevel, level_id).days == 5


def test_a_complaint_received_in_the_future_is_refused_and_numbers_nothing(
        app, as_role, sample):
    admin = as_role("admin")
    values = form_values(admin.get("/admin/complaint/new/").text)
    values.update(client=str(sample["client"]), channel="hotline", category="fees",
                  description="Late", received_at="2099-01-01 10:00:00")
    before = count(app, Complaint)
    response = admin.post_form("/admin/complaint/new/", values)
    no_leak(response)
    assert "The time received cannot be in the future." in response.text
    assert count(app, Complaint) == before
    with app.app_context():
        assert db.session.get(ReferenceCounter, 2099) is None
        assert db.session.scalar(sa.select(Complaint).where(
            Complaint.reference.like("CP-2099-%"))) is None


@pytest.mark.parametrize("moment", ["0001-01-01 00:00:00", "9999-12-31 23:59:59",
                                    "1899-12-31 23:00:00"])
def test_a_time_off_the_calendar_in_the_users_zone_is_refused(app, as_role, sample, moment):
    """0001-01-01 in Shanghai is before year 1 in UTC: refused, not an OverflowError."""
    admin = as_role("admin")
    admin.get("/admin/?lang=en")
    values = form_values(admin.get("/admin/complaint/new/").text)
    values.update(client=str(sample["client"]), channel="hotline", category="fees",
                  description="Late", received_at=moment)
    before = count(app, Complaint)
    response = admin.post_form("/admin/complaint/new/", values)
    no_leak(response)
    assert "Enter a date and time between the years 1900 and 9998." in response.text
    assert count(app, Complaint) == before


def test_a_planned_visit_with_a_completion_time_is_refused(app, as_role, sample, users):
    admin = as_role("admin")
    values = form_values(admin.get("/admin/visit/new/").text)
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    values.update(client=str(sample["client"]), staff=str(users["staff"]), channel="phone",
                  purpose="scheduled_callback", status="planned", scheduled_for=past,
                  completed_at=past)
    before = count(app, Visit)
    response = admin.post_form("/admin/visit/new/", values)
    assert "A planned visit has not been completed" in response.text
    assert count(app, Visit) == before


@pytest.mark.parametrize("username", ["   ", "a\x00b", "\t"])
def test_a_blank_or_control_character_user_name_is_refused(app, as_role, username):
    admin = as_role("admin")
    values = form_values(admin.get("/admin/user/new/").text)
    values.update(username=username, full_name="X", role="staff", password=PASSWORD + "1")
    before = count(app, User)
    response = admin.post_form("/admin/user/new/", values)
    no_leak(response)
    assert response.status_code == 200
    assert count(app, User) == before


@pytest.mark.parametrize("table,values", [
    (Client.__table__, {"code": "  ", "name": "x"}),
    (Client.__table__, {"code": "X1", "name": " "}),
    (User.__table__, {"username": " ", "password_hash": "x"}),
    (Event.__table__, {"title": "  ", "kind": "lecture", "status": "open",
                       "starts_at": datetime(2026, 1, 1)}),
])
def test_the_database_refuses_blank_names_whatever_writes_them(app, table, values):
    with app.app_context(), pytest.raises(sa.exc.IntegrityError) as refused:
        db.session.execute(table.insert().values(**values))
        db.session.flush()
    from admin_app.services import constraints
    assert constraints.refusal(refused.value) is not None


def test_the_database_refuses_a_planned_visit_with_a_completion_time(app, sample):
    with app.app_context(), pytest.raises(sa.exc.IntegrityError):
        db.session.execute(Visit.__table__.insert().values(
            client_id=sample["client"], channel="phone", purpose="scheduled_callback",
            status="planned", completed_at=datetime(2026, 1, 1)))
        db.session.flush()


def test_a_database_refusal_while_saving_is_a_message_not_a_500(app, as_role, sample,
                                                                 is_postgres):
    """A fault injected in the database (a trigger refusing the row, as a full disk or a
    rule added by an operator would): rolled back first, then said."""
    with app.app_context():
        if is_postgres:
            db.session.execute(sa.text(
                "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                "IF NEW.name = 'boom' THEN RAISE EXCEPTION 'boom' USING ERRCODE = '22000'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            db.session.execute(sa.text(
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON client "
                "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"))
        else:
            db.session.execute(sa.text(
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON client WHEN NEW.name = 'boom' "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END"))
        db.session.commit()
    try:
        admin = as_role("admin")
        admin.get("/admin/?lang=zh_Hans_CN")
        response = admin.post_form("/admin/client/new/",
                                   {**new_client_form(admin), "name": "boom"})
        no_leak(response)
        assert response.status_code == 200
        assert "boom" not in response.text.replace('value="boom"', "")
        assert count(app, Client) == 1
    finally:
        with app.app_context():
            db.session.execute(sa.text("DROP TRIGGER refuse_boom" +
                                       (" ON client" if is_postgres else "")))
            if is_postgres:
                db.session.execute(sa.text("DROP FUNCTION refuse_boom()"))
            db.session.commit()


# --- look-ups -------------------------------------------------------------------------


@pytest.fixture
def many_users(app, users):
    with app.app_context():
        for n in range(30):
            accounts.create_user(db.session, f"helper{n:02d}", role="staff",
                                 password=PASSWORD, full_name=f"Helper {n}")
        db.session.commit()


@pytest.mark.parametrize("query", ["limit=-1", "offset=-5", "limit=100000", "limit=0",
                                   f"offset={HUGE}", f"limit={HUGE}", "limit=abc"])
def test_a_lookup_answers_one_page_of_at_most_20_whatever_it_asks(as_role, many_users, query):
    response = as_role("staff").get(f"/admin/visit/ajax/lookup/?name=staff&query=e&{query}")
    assert response.status_code == 200
    assert len(response.json) <= 20
    if "offset" not in query:  # a page, not the whole table (10 unless it asks for more)
        assert len(response.json) == (10 if query == "limit=abc" else 20)


@pytest.mark.parametrize("query", ["%00", "a%00b", "%1b", "x" * 300])
def test_a_lookup_with_control_characters_finds_nothing(as_role, many_users, query):
    response = as_role("staff").get(f"/admin/visit/ajax/lookup/?name=staff&query={query}")
    assert response.status_code == 200
    assert response.json == []


@pytest.mark.parametrize("endpoint,name", [("client", "advisor"), ("visit", "staff"),
                                           ("complaint", "assignee"), ("event", "organizer")])
def test_a_user_picker_offers_active_staff_and_supervisors_only(app, as_role, users,
                                                                 endpoint, name):
    with app.app_context():
        factories.user(db.session, username="gone", full_name="Test gone", is_active=False)
        db.session.commit()
    response = as_role("staff").get(f"/admin/{endpoint}/ajax/lookup/?name={name}&query=Test")
    assert {label for _id, label in response.json} == {"Test staff", "Test supervisor"}
