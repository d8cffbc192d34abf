"""Deadlines in working days on the mainland calendar (issue 12): public holidays skipped,
make-up working days (调休) counted, from the chinesecalendar package; the warning before
its coverage runs out, and Monday-to-Friday counting beyond it."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import sqlalchemy as sa

from admin_app import create_app
from admin_app.enums import DayCount, Severity
from admin_app.extensions import db
from admin_app.models import Complaint, ServiceLevel
from admin_app.services import complaints, workdays

from . import factories
from .conftest import assert_redirect, form_values

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    """A Shanghai wall-clock time, as an aware datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


# --- the calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 9, 30), True),    # Wednesday before National Day
    (date(2026, 10, 1), False),   # National Day
    (date(2026, 10, 3), False),   # the Saturday inside the holiday
    (date(2026, 10, 7), False),   # the last day of the holiday, a Wednesday
    (date(2026, 10, 8), True),
    (date(2026, 10, 10), True),   # a make-up working Saturday (调休)
    (date(2026, 9, 20), True),    # a make-up working Sunday
    (date(2026, 10, 17), False),  # an ordinary Saturday
])
def test_the_mainland_calendar(day, working):
    assert workdays.is_workday(day) is working


def test_national_day_example_three_working_days_land_on_the_make_up_saturday():
    """Received Wednesday 2026-09-30 10:00 with 3 days: on the calendar that is Saturday
    3 October, inside the holiday; in working days 8, 9 and the make-up Saturday 10 October,
    at the same time of day."""
    received = local(2026, 9, 30, 10, 0)
    assert received + timedelta(days=3) == local(2026, 10, 3, 10, 0)
    due = workdays.add_working_days(received, 3, SHANGHAI)
    assert due == local(2026, 10, 10, 10, 0)
    assert due.tzinfo == UTC
    assert workdays.add_working_days(received, 2, SHANGHAI) == local(2026, 10, 9, 10, 0)
    assert workdays.add_working_days(received, 4, SHANGHAI) == local(2026, 10, 12, 10, 0)


def test_received_during_the_holiday_counts_from_the_next_working_day():
    """The first working day after the holiday is the first of the days; the deadline is
    the end of the last one."""
    end_of = lambda day: datetime.combine(day, time.max, tzinfo=SHANGHAI)  # noqa: E731
    received = local(2026, 10, 2, 15, 30)
    assert workdays.add_working_days(received, 1, SHANGHAI) == end_of(date(2026, 10, 8))
    assert workdays.add_working_days(received, 3, SHANGHAI) == end_of(date(2026, 10, 10))
    # an ordinary weekend likewise: Saturday -> the end of Monday
    assert workdays.add_working_days(local(2026, 11, 21, 9, 0), 1, SHANGHAI) == \
        end_of(date(2026, 11, 23))


def test_the_date_is_the_firms_not_utcs():
    """20:00 UTC on 30 September is 04:00 on National Day in Shanghai: a holiday receipt."""
    received = datetime(2026, 9, 30, 20, 0, tzinfo=UTC)
    assert workdays.add_working_days(received, 1, SHANGHAI) == \
        datetime.combine(date(2026, 10, 8), time.max, tzinfo=SHANGHAI)
    # counted in UTC's dates instead, 30 September would be a working day
    assert workdays.add_working_days(received, 1, UTC) == datetime(2026, 10, 8, 20, 0,
                                                                  tzinfo=UTC)


def test_every_hour_around_national_day():
    """For every receipt hour from mid-September to late October: the deadline falls on a
    working day, exactly ``days`` working days are counted, and a later receipt never gets
    an earlier deadline."""
    for days in (1, 3, 5):
        previous = None
        moment = local(2026, 9, 15, 0, 0)
        while moment < local(2026, 10, 25, 0, 0):
            due = workdays.add_working_days(moment, days, SHANGHAI).astimezone(SHANGHAI)
            assert workdays.is_workday(due.date())
            received_on = moment.date()
            first = received_on + timedelta(days=1) if workdays.is_workday(received_on) \
                else received_on
            counted = [first + timedelta(days=n) for n in range((due.date() - first).days + 1)]
            assert sum(workdays.is_workday(d) for d in counted) == days, (moment, due)
            assert previous is None or due >= previous, (moment, due, previous)
            previous = due
            moment += timedelta(hours=1)


def test_a_service_level_is_at_least_one_day():
    with pytest.raises(ValueError):
        workdays.add_working_days(local(2026, 9, 30, 10, 0), 0, SHANGHAI)


# --- coverage -------------------------------------------------------------------------


def test_coverage_is_what_the_package_itself_accepts():
    """Read from the package's holiday table, and checked against its own refusal: the
    last covered day works, the day after raises NotImplementedError there."""
    span = workdays.coverage()
    assert (span.first.month, span.first.day, span.last.month, span.last.day) == (1, 1, 12, 31)
    assert span.last.year >= 2026
    chinese_calendar.is_workday(span.last)
    chinese_calendar.is_workday(span.first)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(span.last + timedelta(days=1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(span.first - timedelta(days=1))


def test_beyond_coverage_monday_to_friday_count():
    """Past the package's last year a deadline is still given, counting Monday to Friday;
    New Year's Day of the next year, unknown to the package, is a working day if a weekday."""
    last = workdays.coverage().last
    new_year = last + timedelta(days=1)
    assert workdays.is_workday(new_year) is (new_year.weekday() < 5)
    for day in (new_year + timedelta(days=n) for n in range(14)):
        assert workdays.is_workday(day) is (day.weekday() < 5)
    # A receipt on the last covered working day, counted across the end of the coverage.
    start = last
    while not workdays.is_workday(start):
        start -= timedelta(days=1)
    due = workdays.add_working_days(local(start.year, start.month, start.day, 10, 0), 5,
                                    SHANGHAI).astimezone(SHANGHAI)
    weekdays_after = [start + timedelta(days=n) for n in range(1, (due.date() - start).days + 1)]
    assert sum(d.weekday() < 5 for d in weekdays_after) == 5
    assert due.time() == time(10, 0) and due.date().weekday() < 5 and due.date() > last
    # and far beyond (a receipt years later) the same, with no error
    assert workdays.add_working_days(local(2099, 1, 2, 10, 0), 1, SHANGHAI) == \
        local(2099, 1, 5, 10, 0)  # Friday -> Monday


@pytest.mark.parametrize(("today", "warn", "ended"), [
    (date(2026, 10, 31), False, False),  # 61 days left
    (date(2026, 11, 1), True, False),    # 60 days left
    (date(2026, 12, 31), True, False),   # the last covered day
    (date(2027, 1, 1), True, True),      # ended
])
def test_coverage_warning_from_60_days_before_the_end(today, warn, ended):
    status = workdays.coverage_status(today, warn_within=60, last_covered=date(2026, 12, 31))
    assert (status.warn, status.ended) == (warn, ended)
    message = status.message()
    if not warn:
        assert message is None
    else:
        text = str(message)
        assert "2026-12-31" in text and "Monday to Friday" in text
        assert ("ended on" in text) is ended


def test_coverage_status_reads_the_package_by_default():
    last = workdays.coverage().last
    assert workdays.coverage_status(last - timedelta(days=61)).warn is False
    assert workdays.coverage_status(last - timedelta(days=60)).warn is True
    assert workdays.coverage_status(last + timedelta(days=1)).ended is True


# --- service levels and complaints ----------------------------------------------------


RECEIVED = local(2026, 9, 30, 10, 0)


def set_level(session, severity: str, days: int, counted_in: str) -> None:
    level = session.scalar(sa.select(ServiceLevel).where(ServiceLevel.severity == severity))
    level.days, level.counted_in = days, counted_in
    session.flush()


def assessed(session, severity: str, received: datetime = RECEIVED) -> Complaint:
    row = factories.complaint(session, received_at=received, status="assessing")
    row.severity = severity
    complaints.reassess_deadline(session, row)
    session.flush()
    return row


def test_existing_levels_count_calendar_days(session):
    levels = complaints.service_levels(session)
    assert {level.counted_in for level in levels.values()} == {DayCount.calendar}


def test_a_working_day_severity_skips_national_day(session):
    set_level(session, "high", 3, "working")
    assert assessed(session, "high").due_at == local(2026, 10, 10, 10, 0)


def test_calendar_day_severities_are_unchanged(session):
    set_level(session, "high", 3, "working")
    assert assessed(session, "medium").due_at == RECEIVED + timedelta(days=7)
    assert assessed(session, "critical").due_at == RECEIVED + timedelta(days=1)


def test_a_complaint_received_during_the_holiday(session):
    set_level(session, "high", 3, "working")
    row = assessed(session, "high", received=local(2026, 10, 4, 11, 0))
    assert row.due_at == datetime.combine(date(2026, 10, 10), time.max, tzinfo=SHANGHAI)


def test_changing_the_setting_affects_new_assessments_only(session):
    before = assessed(session, "high")
    assert before.due_at == RECEIVED + timedelta(days=3)
    set_level(session, "high", 3, "working")
    after = assessed(session, "high")
    assert after.due_at == local(2026, 10, 10, 10, 0)
    session.refresh(before)
    assert before.due_at == RECEIVED + timedelta(days=3)


def test_a_change_of_severity_counts_the_new_level_from_receipt(session):
    set_level(session, "high", 3, "working")
    row = assessed(session, "medium")
    assert row.due_at == RECEIVED + timedelta(days=7)
    row.severity = Severity.high
    complaints.reassess_deadline(session, row)
    assert row.due_at == local(2026, 10, 10, 10, 0)


def test_a_reopening_counts_working_days_from_the_reopening(session):
    set_level(session, "high", 3, "working")
    set_level(session, "critical", 1, "working")
    row = factories.complaint(session, received_at=local(2026, 9, 1, 10, 0), status="closed",
                              severity="high", due_at=local(2026, 9, 4, 10, 0),
                              closed_at=local(2026, 9, 3, 10, 0), resolution="r",
                              root_cause="c")
    reopened = local(2026, 9, 30, 16, 0)
    complaints.perform(session, row, "reopen", actor=None, note="called again", now=reopened)
    assert row.due_at == local(2026, 10, 10, 16, 0)
    row.severity = Severity.critical  # a new severity counts from the reopening too
    complaints.reassess_deadline(session, row)
    assert row.due_at == local(2026, 10, 8, 16, 0)


# --- screens --------------------------------------------------------------------------


def test_an_admin_switches_a_severity_to_working_days_on_screen(app, as_role):
    with app.app_context():
        level_id = db.session.scalar(sa.select(ServiceLevel.id)
                                     .where(ServiceLevel.severity == "high"))
    admin = as_role("admin")
    url = f"/admin/service_level/edit/?id={level_id}"
    page = admin.get(url).text
    assert "Working days" in page and "Calendar days" in page
    data = {**form_values(page), "counted_in": "working"}
    assert_redirect(admin.post_form(url, data), to="/admin/service_level/")
    assert "Working days" in admin.get("/admin/service_level/").text
    created = as_role("staff").post_form("/admin/complaint/new/", {
        "client": str(_client(app)), "channel": "hotline", "category": "service",
        "severity": "high", "received_at": "2026-09-30 10:00:00",  # Shanghai time
        "description": "Transfer failed"})
    assert_redirect(created, to="/admin/complaint/")
    with app.app_context():
        row = db.session.scalar(sa.select(Complaint))
        assert row.due_at == local(2026, 10, 10, 10, 0)


def test_staff_cannot_change_how_days_are_counted(app, as_role):
    with app.app_context():
        level_id = db.session.scalar(sa.select(ServiceLevel.id)
                                     .where(ServiceLevel.severity == "high"))
    staff = as_role("staff")
    response = staff.post_form(f"/admin/service_level/edit/?id={level_id}",
                               {"days": "3", "counted_in": "working"},
                               token_url="/admin/service_level/")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(ServiceLevel, level_id).counted_in == DayCount.calendar


def _client(app) -> int:
    with app.app_context():
        client = factories.client(db.session)
        db.session.commit()
        return client.id


WARNING_CLASS = "holiday-calendar-warning"


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("supervisor", False),
                                             ("staff", False)])
def test_the_coverage_warning_is_shown_to_admins_only(app, as_role, role, shown):
    app.config["HOLIDAY_CALENDAR_WARNING_DAYS"] = 10**6  # any coverage ends "soon"
    page = as_role(role).get("/admin/").text
    assert (WARNING_CLASS in page) is shown
    assert ("Update the chinesecalendar package" in page) is shown


def test_no_warning_while_the_coverage_lasts(app, as_role):
    app.config["HOLIDAY_CALENDAR_WARNING_DAYS"] = -10**6  # only a million days after it ends
    assert WARNING_CLASS not in as_role("admin").get("/admin/").text


def test_the_coverage_warning_is_translated(app, as_role):
    app.config["HOLIDAY_CALENDAR_WARNING_DAYS"] = 10**6
    admin = as_role("admin")
    assert "节假日" in admin.get("/admin/?lang=zh_Hans").text
    assert "國定假日" in admin.get("/admin/?lang=zh_Hant").text


@pytest.mark.parametrize(("window", "logged"), [(10**6, True), (-10**6, False)])
def test_start_up_logs_the_coverage(caplog, window, logged):
    with caplog.at_level(logging.WARNING, logger="admin_app"):
        create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "HOLIDAY_CALENDAR_WARNING_DAYS": window})
    found = [r for r in caplog.records if "chinesecalendar" in r.getMessage()]
    assert bool(found) is logged
    if logged:
        assert found[0].levelno == logging.WARNING
        assert str(workdays.coverage().last) in found[0].getMessage()
