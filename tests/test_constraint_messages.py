"""No ordinary mistake ends in the database's generic refusal (issue 13).

Every CHECK and UNIQUE constraint of the schema has a rule in ``services.constraints``
naming the field it guards and a translated message. Bad input posted through the real
screens gets that message beside the field, in English and in Chinese, with nothing
written and no 500; and when the database refuses a write the form could not foresee (a
unique race, a deadline derived while saving), the message still lands beside the field.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy.exc import IntegrityError

from admin_app.extensions import db
from admin_app.models import (
    Client,
    Complaint,
    Event,
    EventAttendance,
    ServiceLevel,
    Tier,
    User,
    Visit,
)
from admin_app.services import constraints
from admin_app.views.clients import ClientView
from admin_app.views.events import EventView

from . import factories, test_models
from .conftest import form_values
from .test_i18n import catalogue_text, choose

GENERIC = "breaks a rule of the database"
rows = test_models.rows  # a committed row in every table, for writing bad rows past the forms
LOCAL = ZoneInfo("Asia/Shanghai")  # the firm's zone, in which the screens take times


# --- the map is complete ----------------------------------------------------------------------


def schema_constraints() -> dict[str, tuple[str, set[str]]]:
    """Every CHECK and UNIQUE constraint (and unique index) the models declare:
    name -> (table, the columns it names, empty for a CHECK over an expression)."""
    found = {}
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, sa.CheckConstraint | sa.UniqueConstraint):
                found[str(constraint.name)] = (table.name, {c.key for c in constraint.columns})
        for index in table.indexes:
            if index.unique:
                found[str(index.name)] = (table.name, {c.key for c in index.columns})
        for column in table.columns:
            if column.unique:
                rule = constraints.unique_rule(table.name, [column.key])
                assert rule is not None, f"{table.name}.{column.key} is unique with no rule"
    return found


def test_every_check_and_unique_constraint_has_a_field_message(app):
    declared = schema_constraints()
    assert len(declared) > 40, "the enumeration found the schema's constraints"
    missing = sorted(set(declared) - set(constraints.CONSTRAINTS))
    assert missing == [], f"constraints with no field message: {missing}"
    for name, (table, columns) in declared.items():
        rule = constraints.CONSTRAINTS[name]
        assert rule.table == table, name
        assert rule.column in db.metadata.tables[table].c, f"{name}: no column {rule.column}"
        if columns:  # a rule over named columns stands beside one of them
            assert rule.column in columns, name
        with app.test_request_context():
            english = str(rule.message)
            for locale in ("zh_Hans_CN", "zh_Hant_TW"):
                with force_locale(locale):
                    assert str(rule.message) != english, f"{name}: not translated"


def test_the_map_names_no_constraint_the_schema_lacks():
    assert sorted(set(constraints.CONSTRAINTS) - set(schema_constraints())) == []


def test_the_database_names_its_constraints_as_the_map_does(app):
    """The names the engine itself reports (from the DDL it was given) are the map's keys:
    the naming convention gives both engines the same names."""
    with app.app_context():
        inspector = sa.inspect(db.engine)
        reported = set()
        with warnings.catch_warnings():  # SQLite can't reflect the visits' expression index
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of "
                                    "expression-based index ix_visit_work_order")
            for table in db.metadata.sorted_tables:
                reported |= {c["name"] for c in inspector.get_check_constraints(table.name)}
                reported |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
                reported |= {i["name"] for i in inspector.get_indexes(table.name)
                             if i["unique"]}
    reported.discard(None)
    assert reported == set(schema_constraints())


def test_each_refusal_of_the_database_finds_its_rule(session, rows, subtests):
    """A bad row for every CHECK and UNIQUE constraint test_models.py breaks, written past
    the forms: the engine's error (SQLite's wording, PostgreSQL's report) names the rule."""
    cases = [(table, overrides, match) for table, overrides, match in test_models.BAD_ROWS
             if "NOT NULL" not in match]
    for table, overrides, match in cases:
        with subtests.test(f"{table}-{match}"):
            try:
                with pytest.raises(IntegrityError) as refused:
                    test_models.insert(session, table, rows, overrides)
                    session.flush()
            finally:
                session.rollback()
            rule = constraints.refusal(refused.value)
            assert rule is not None, str(refused.value.orig)
            name = next(n for n, r in constraints.CONSTRAINTS.items() if r is rule)
            assert re.search(match, f'"{name}"'), (name, match)  # the constraint broken
    assert len(cases) > 25


def test_a_refusal_no_rule_names_is_left_to_the_generic_message(session, rows):
    with pytest.raises(IntegrityError) as refused:
        test_models.insert(session, "client", rows, {"name": None})
    session.rollback()
    assert constraints.refusal(refused.value) is None


# --- bad input through the screens ----------------------------------------------------------


def local(moment: datetime) -> str:
    """``moment`` as a user in the firm's zone types it."""
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S")


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def field_error(html: str, field_id: str) -> str:
    """The error text rendered next to the field ``field_id`` (empty when none)."""
    match = re.search(rf'id="{re.escape(field_id)}"[^>]*>(?:(?!<div class="form-group).)*?'
                      r'<div class="invalid-feedback">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""


def expected(lang: str, msgid: str) -> str:
    text = msgid if lang == "en" else catalogue_text("zh_Hans_CN", msgid)
    return str(escape(text))


@dataclass
class Case:
    """A bad save: who posts what to which form, the field the message stands beside,
    and the table that must stay as it was."""

    role: str
    url: str  # may name {client}, {event}, {tier}, {service_level}
    data: dict[str, str]
    field: str
    message: str
    model: Any
    edit: bool = False  # start from the form as the page shows it
    id: str = field(default="")


SOON = datetime.now(UTC) + timedelta(days=2)
PAST = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def visit(**changes: str) -> dict[str, str]:
    return {"client": "{client}", "staff": "{staff}", "channel": "phone",
            "purpose": "scheduled_callback", "status": "done", "completed_at": local(PAST),
            "summary": "回访", **changes}


def event(**changes: str) -> dict[str, str]:
    return {"title": "Golf day", "kind": "outdoor", "status": "planned",
            "starts_at": "2026-12-10 09:00:00", **changes}


def new_client(**changes: str) -> dict[str, str]:
    return {"code": "C9000001", "name": "李娜", "kind": "individual", "status": "active",
            "assets": "0", "annual_contribution": "0", "trades_12m": "0", **changes}


CASES = [
    # visits
    Case("staff", "/admin/visit/new/", visit(completed_at=""), "completed_at",
         "A done visit needs the time it was completed.", Visit, id="done-needs-completion"),
    Case("staff", "/admin/visit/new/", visit(completed_at=local(SOON)), "completed_at",
         "The completion time cannot be in the future.", Visit, id="completion-in-future"),
    Case("staff", "/admin/visit/new/",
         visit(status="planned", completed_at="", scheduled_for=local(SOON), satisfaction="4"),
         "satisfaction",
         "Satisfaction is recorded only for a done visit: clear it, or set the status to Done.",
         Visit, id="satisfaction-on-planned"),
    Case("staff", "/admin/visit/new/", visit(status="missed", satisfaction="2"), "satisfaction",
         "Satisfaction is recorded only for a done visit: clear it, or set the status to Done.",
         Visit, id="satisfaction-on-missed"),
    Case("staff", "/admin/visit/new/", visit(status="planned", completed_at=""), "scheduled_for",
         "A planned visit needs the time it is planned for.", Visit, id="planned-needs-time"),
    Case("staff", "/admin/visit/new/", visit(satisfaction="6"), "satisfaction",
         "Choose a score from 1 to 5.", Visit, id="satisfaction-range"),
    Case("staff", "/admin/visit/new/", visit(status="finished"), "status",
         "Choose one of the listed values.", Visit, id="visit-status-listed"),
    # events and attendance
    Case("admin", "/admin/event/new/", event(ends_at="2026-12-10 08:59:00"), "ends_at",
         "The end cannot be before the start.", Event, id="event-ends-before-start"),
    Case("admin", "/admin/event/new/", event(capacity="-1"), "capacity",
         "The value cannot be negative.", Event, id="event-capacity"),
    Case("admin", "/admin/event/new/", event(budget="-0.01"), "budget",
         "The amount cannot be negative.", Event, id="event-budget"),
    Case("admin", "/admin/event/new/",
         event(**{"attendances-0-client": "{client}", "attendances-0-status": "attended",
                  "attendances-0-feedback_score": "0"}),
         "attendances-0-feedback_score", "Choose a score from 1 to 5.", EventAttendance,
         id="feedback-score-range"),
    Case("admin", "/admin/event/new/",
         event(**{"attendances-0-client": "{client}", "attendances-0-status": "invited",
                  "attendances-1-client": "{client}", "attendances-1-status": "registered"}),
         "attendances-1-client", "This client is already on the event's list.",
         EventAttendance, id="client-twice-on-an-event"),
    Case("admin", "/admin/event/edit/?id={event}",
         {"attendances-1-client": "{client}", "attendances-1-status": "invited"},
         "attendances-1-client", "This client is already on the event's list.",
         EventAttendance, edit=True, id="client-added-again-to-an-event"),
    # clients
    Case("admin", "/admin/client/new/", new_client(code="C0000001"), "code",
         "Another client already has this code.", Client, id="client-code-taken"),
    Case("admin", "/admin/client/new/", new_client(assets="-5"), "assets",
         "The amount cannot be negative.", Client, id="client-assets"),
    Case("admin", "/admin/client/new/", new_client(annual_contribution="-1"),
         "annual_contribution", "The amount cannot be negative.", Client,
         id="client-contribution"),
    Case("admin", "/admin/client/new/", new_client(trades_12m="-1"), "trades_12m",
         "The value cannot be negative.", Client, id="client-trades"),
    Case("admin", "/admin/client/new/", new_client(trades_12m="2147483648"), "trades_12m",
         "The number is too large.", Client, id="client-trades-beyond-integer"),
    Case("admin", "/admin/client/new/", new_client(tier_locked="y"), "tier_lock_reason",
         "Give a reason for locking the tier.", Client, id="client-lock-without-reason"),
    # tiers, service levels, users
    Case("admin", "/admin/tier/edit/?id={tier}", {"callback_interval_days": "0"},
         "callback_interval_days", "The callback interval must be between 1 and 366 days.",
         Tier, edit=True, id="tier-interval-zero"),
    Case("admin", "/admin/tier/edit/?id={tier}", {"callback_interval_days": "367"},
         "callback_interval_days", "The callback interval must be between 1 and 366 days.",
         Tier, edit=True, id="tier-interval-too-long"),
    Case("admin", "/admin/tier/edit/?id={tier}", {"min_trades_12m": "-1"}, "min_trades_12m",
         "The value cannot be negative.", Tier, edit=True, id="tier-trades"),
    Case("admin", "/admin/service_level/edit/?id={service_level}", {"days": "0"}, "days",
         "Enter a number of days from 1 to 365.", ServiceLevel, edit=True,
         id="service-level-zero-days"),
    Case("admin", "/admin/service_level/edit/?id={service_level}", {"days": "366"}, "days",
         "Enter a number of days from 1 to 365.", ServiceLevel, edit=True,
         id="service-level-too-many-days"),
    Case("admin", "/admin/user/new/",
         {"username": "staff", "full_name": "Another", "role": "staff",
          "password": "a-long-enough-password-1", "is_active": "y"},
         "username", "Another user already has this user name.", User, id="username-taken"),
]


@pytest.fixture
def ids(app, sample) -> dict[str, int]:
    with app.app_context():
        level = db.session.scalar(sa.select(ServiceLevel).where(ServiceLevel.severity == "high"))
        if level is None:
            level = ServiceLevel(severity="high", days=5)
            db.session.add(level)
            db.session.commit()
        return {**sample, "staff": sample["user"], "service_level": level.id}


def fill(template: str, ids: dict[str, int]) -> str:
    return template.format(**ids)


def table_snapshot(app: Flask, model: Any) -> list[tuple]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            sa.select(model.__table__).order_by(*model.__table__.primary_key.columns))]


@pytest.mark.parametrize("lang", ["en", "zh_Hans"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_the_message_beside_its_field(app, as_role, ids, case, lang):
    browser = as_role(case.role)
    choose(browser, lang, "/admin/")
    url = fill(case.url, ids)
    data = {name: fill(value, ids) for name, value in case.data.items()}
    if case.edit:
        data = {**form_values(browser.get(url).text), **data}
    before = table_snapshot(app, case.model)

    response = browser.post_form(url, data)

    assert response.status_code == 200, "shown again, neither saved nor a 500"
    assert expected(lang, case.message) in field_error(response.text, case.field), \
        field_error(response.text, case.field) or response.text
    assert GENERIC not in response.text
    assert table_snapshot(app, case.model) == before, "nothing was written"


@pytest.mark.parametrize(("data", "scheduled", "completed"), [
    (visit(status="planned", completed_at="", scheduled_for=local(SOON)), True, False),
    (visit(status="cancelled", completed_at=""), False, False),
    (visit(completed_at=local(datetime.now(UTC) - timedelta(minutes=1)), satisfaction="5"),
     False, True),
])
def test_good_visits_are_saved(app, as_role, ids, data, scheduled, completed):
    """The edges the rules leave open: a planned visit with its time, a cancelled one
    with none, a done one completed a minute ago."""
    response = as_role("staff").post_form(
        "/admin/visit/new/", {k: fill(v, ids) for k, v in data.items()})
    assert 300 <= response.status_code < 400, response.text
    with app.app_context():
        saved = db.session.scalar(sa.select(Visit).order_by(Visit.id.desc()))
        assert (saved.scheduled_for is not None, saved.completed_at is not None) == \
            (scheduled, completed)


def test_an_edit_that_makes_a_done_visit_missed_must_clear_satisfaction(app, as_role, ids):
    with app.app_context():
        done = factories.visit(db.session, client_id=ids["client"], status="done",
                               completed_at=PAST, satisfaction=4)
        db.session.commit()
        done_id = done.id
    staff = as_role("staff")
    url = f"/admin/visit/edit/?id={done_id}"
    response = staff.post_form(url, {**form_values(staff.get(url).text), "status": "missed"})
    assert "only for a done visit" in field_error(response.text, "satisfaction")
    with app.app_context():
        assert db.session.get(Visit, done_id).status == "done"


# --- when the database refuses anyway ---------------------------------------------------------


def someone_else_writes_after_validation(monkeypatch, view_class, statement) -> None:
    """Between this form's validation and its save, another connection commits
    ``statement``: the race the form's own checks can't see."""
    judged = view_class.validate_form

    def validate_then_someone_else_writes(self, form):
        valid = judged(self, form)
        if valid:
            with db.engine.begin() as other:
                other.execute(statement)
        return valid

    monkeypatch.setattr(view_class, "validate_form", validate_then_someone_else_writes)


@pytest.mark.parametrize("lang", ["en", "zh_Hans"])
def test_a_unique_race_lands_beside_the_code(app, as_role, ids, monkeypatch, lang):
    """Two people save a new client with the same code: the other's row is committed after
    this form was checked and before it is written. The database refuses, and the message
    stands beside ``code`` as the form's own check would have put it."""
    someone_else_writes_after_validation(monkeypatch, ClientView, sa.insert(Client).values(
        code="C9000001", name="Someone else", kind="individual", status="active"))
    admin = as_role("admin")
    choose(admin, lang, "/admin/")
    response = admin.post_form("/admin/client/new/", new_client(code="c9000001"))

    assert response.status_code == 200
    assert expected(lang, "Another client already has this code.") in \
        field_error(response.text, "code")
    assert GENERIC not in response.text
    with app.app_context():
        assert db.session.scalars(sa.select(Client.name).where(
            Client.code == "C9000001")).all() == ["Someone else"]


def test_a_deadline_derived_while_saving_lands_beside_the_time_received(app, as_role, ids):
    """A reopened complaint keeps the deadline counted from its reopening; moving its
    receipt past that deadline is refused by the database, which alone sees the deadline
    the save derives. The message stands beside "received at"."""
    received = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    with app.app_context():
        complaint = factories.complaint(
            db.session, client_id=ids["client"], severity="high", status="investigating",
            received_at=received, due_at=received + timedelta(days=3), reopened_count=1)
        db.session.commit()
        complaint_id = complaint.id
    admin = as_role("admin")
    choose(admin, "zh_Hans", "/admin/")
    url = f"/admin/complaint/edit/?id={complaint_id}"
    data = {**form_values(admin.get(url).text),
            "received_at": local(received + timedelta(days=10)), "department": "Ops"}

    response = admin.post_form(url, data)

    assert response.status_code == 200
    message = "The complaint cannot have been received after its deadline; check the time " \
              "received."
    assert expected("zh_Hans", message) in field_error(response.text, "received_at")
    with app.app_context():
        stored = db.session.get(Complaint, complaint_id)
        assert (stored.received_at, stored.department) == (received, None)


def test_a_refusal_for_a_field_the_form_lacks_is_flashed_with_its_message(app, as_role, ids,
                                                                          monkeypatch):
    """Someone else invites a client to an event while this user adds the same client on
    the event's form: the database refuses the pair for an inline row, and its message is
    flashed (a refusal names no row of the list) instead of the generic one."""
    with app.app_context():
        other_client = factories.client(db.session).id
        db.session.commit()
    someone_else_writes_after_validation(monkeypatch, EventView, sa.insert(EventAttendance).values(
        event_id=ids["event"], client_id=other_client, status="invited"))
    admin = as_role("admin")
    url = f"/admin/event/edit/?id={ids['event']}"
    data = {**form_values(admin.get(url).text),
            "attendances-1-client": str(other_client), "attendances-1-status": "invited"}

    response = admin.post_form(url, data)

    assert response.status_code == 200
    assert str(escape("This client is already on the event's list.")) in response.text
    assert GENERIC not in response.text
    assert count(app, EventAttendance) == 2  # the sample's and the other user's
