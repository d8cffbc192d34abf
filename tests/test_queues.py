"""Work queues: each returns exactly its rows (services/queues.py, time pinned), the
holidays they greet for come from the calendars, and each is one click away on the
screens, as a filter named in the link."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from admin_app.models import Client, Visit, utcnow
from admin_app.services import festivals, queues, workdays
from admin_app.views.links import registered_view

from . import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai


def codes(session, criterion, model=Client) -> set[str]:
    column = Client.code if model is Client else Visit.summary
    query = sa.select(column)
    if model is Visit:
        query = query.select_from(Visit)
    return set(session.scalars(query.where(criterion)))


def client(session, code: str, **values) -> Client:
    return factories.client(session, code=code, **values)


# --- callbacks --------------------------------------------------------------------------


def test_overdue_and_due_soon_meet_at_now_and_the_window_ends_at_local_midnight(session):
    end_local = datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI)  # today + 7, 00:00
    gold = factories.tier(session, "gold")
    half_year = timedelta(days=gold.callback_interval_days)
    moments = {"LATE": NOW - timedelta(seconds=1), "NOW": NOW,
               "LAST": end_local - timedelta(seconds=1), "AFTER": end_local}
    for code, due in moments.items():  # a date of its own, and the same by gold's cadence
        client(session, code, next_callback_due=due)
        client(session, f"{code}-GOLD", tier=gold, last_callback_at=due - half_year,
               next_callback_due=due)
    client(session, "NONE", next_callback_due=None)
    client(session, "NO-TIER", last_callback_at=NOW - half_year, cadence_anchor=NOW - half_year)
    both = {"LATE", "NOW", "LAST", "AFTER"}
    both |= {f"{code}-GOLD" for code in both}
    assert codes(session, queues.overdue(session, NOW)) == {"LATE", "LATE-GOLD"}
    assert codes(session, queues.due_soon(session, NOW, SHANGHAI)) == \
        {"NOW", "LAST", "NOW-GOLD", "LAST-GOLD"}
    # In UTC the seventh day ends eight hours later: AFTER is still in it.
    assert codes(session, queues.due_soon(session, NOW, UTC)) == both - {"LATE", "LATE-GOLD"}
    assert session.scalar(sa.select(Client.cadence_anchor).where(Client.code == "NOW-GOLD"))


def test_my_clients_are_those_i_advise(session, users):
    client(session, "MINE", advisor_id=users["staff"])
    client(session, "THEIRS", advisor_id=users["supervisor"])
    client(session, "NOBODYS", advisor_id=None)
    assert codes(session, queues.advised_by(users["staff"])) == {"MINE"}


def test_my_callbacks_this_week_run_monday_to_sunday_in_my_zone(session, users):
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # Sunday 23:30 in Shanghai
    monday = datetime(2026, 11, 16, 0, 0, tzinfo=SHANGHAI)
    next_monday = monday + timedelta(days=7)
    me, other = users["staff"], users["supervisor"]
    target = factories.client(session)

    def visit(summary, when, staff=me, status="planned"):
        factories.visit(session, client=target, staff_id=staff, status=status,
                        scheduled_for=when, summary=summary,
                        completed_at=when if status == "done" else None)

    visit("monday 00:00", monday)
    visit("sunday before", monday - timedelta(seconds=1))
    visit("sunday 23:59", next_monday - timedelta(seconds=1))
    visit("next monday", next_monday)
    visit("someone else's", monday + timedelta(days=1), staff=other)
    visit("done already", monday + timedelta(days=1), status="done")
    visit("cancelled", monday + timedelta(days=1), status="cancelled")
    assert codes(session, queues.planned_this_week(me, now, SHANGHAI), Visit) == {
        "monday 00:00", "sunday 23:59"}
    # For someone working in UTC it is Sunday 15:30, of the week that ends 8 hours later.
    assert codes(session, queues.planned_this_week(me, now, UTC), Visit) == {
        "sunday 23:59", "next monday"}


def test_the_week_starts_on_monday_even_on_a_monday():
    monday_early = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 00:00 Shanghai
    start, end = queues.week_of(monday_early, SHANGHAI)
    assert start == monday_early and end == monday_early + timedelta(days=7)


# --- birthdays --------------------------------------------------------------------------


def born(session, *dates: str, status: str = "active") -> None:
    for day in dates:
        client(session, f"{status[0].upper()}{day}", birth_date=date.fromisoformat(day),
               status=status)


def birthday_codes(session, today: date) -> set[str]:
    return {code[1:] for code in codes(session, queues.birthdays(today))}


def test_birthdays_run_over_the_new_year(session):
    born(session, "1980-12-27", "1980-12-28", "1975-12-31", "2001-01-01", "1990-01-03",
         "1990-01-04")
    assert birthday_codes(session, date(2026, 12, 28)) == {
        "1980-12-28", "1975-12-31", "2001-01-01", "1990-01-03"}


def test_leap_day_birthdays_fall_on_the_28th_in_common_years(session):
    born(session, "2000-02-29", "1999-02-28", "1999-03-01", "2004-02-22")
    # 2027 is a common year: the 29th is greeted with the 28th ...
    assert birthday_codes(session, date(2027, 2, 22)) == {"2000-02-29", "1999-02-28",
                                                          "2004-02-22"}
    assert birthday_codes(session, date(2027, 2, 28)) == {"2000-02-29", "1999-02-28",
                                                          "1999-03-01"}
    # ... and not again after it.
    assert birthday_codes(session, date(2027, 3, 1)) == {"1999-03-01"}
    # 2028 is a leap year: the 29th is its own day.
    assert birthday_codes(session, date(2028, 2, 23)) == {"2000-02-29", "1999-02-28"}
    assert birthday_codes(session, date(2028, 3, 1)) == {"1999-03-01"}


def test_birthdays_leave_out_closed_accounts_and_unknown_birth_dates(session):
    born(session, "1980-12-01")
    born(session, "1981-12-01", status="closed")
    born(session, "1982-12-01", status="prospect")
    client(session, "NOBIRTH", birth_date=None)
    assert birthday_codes(session, date(2026, 12, 1)) == {"1980-12-01", "1982-12-01"}


def test_birthdays_are_looked_up_as_birth_dates_in_every_year():
    dates = queues.birth_dates(date(2026, 12, 28))
    assert date(1990, 12, 28) in dates and date(1991, 1, 3) in dates
    assert date(1990, 12, 27) not in dates and date(1991, 1, 4) not in dates
    assert min(dates) == date(2026 - queues.OLDEST_CLIENT_YEARS, 1, 1)
    assert len(dates) == 7 * (queues.OLDEST_CLIENT_YEARS + 1)
    common = queues.birth_dates(date(2027, 2, 23))  # the 28th of a common year
    assert date(2000, 2, 29) in common and date(2001, 3, 1) in common


# --- holidays ---------------------------------------------------------------------------


def test_the_holidays_come_from_the_calendars_each_once_soonest_first():
    found = festivals.upcoming(date(2026, 9, 1))
    assert [f.key for f in found][:2] == ["mid_autumn_festival", "national_day"]
    assert sorted(f.key for f in found) == sorted(festivals.HOLIDAYS)
    assert [f.first for f in found] == sorted(f.first for f in found)
    # As announced (chinesecalendar), with the weekend the days off run into ...
    national = festivals.next_of("national_day", date(2026, 9, 1))
    assert (national.first, national.last) == (date(2026, 10, 1), date(2026, 10, 7))
    assert festivals.next_of("spring_festival", date(2026, 1, 5)).first == date(2026, 2, 15)
    # ... and past the announced years, by the festivals' rules: the eve of the lunar year.
    assert date(2027, 12, 31) not in workdays.coverage()
    spring = festivals.next_of("spring_festival", date(2026, 12, 1))
    assert (spring.first, spring.last) == (date(2027, 2, 5), date(2027, 2, 8))
    assert festivals.next_of("mid_autumn_festival", date(2026, 12, 1)).first == date(2027, 9, 15)


def test_a_holiday_split_by_another_is_one_holiday():
    """2025: Mid-Autumn (6 October) fell inside the National Day days off."""
    national = festivals.next_of("national_day", date(2025, 9, 1))
    assert (national.first, national.last) == (date(2025, 10, 1), date(2025, 10, 8))


def test_a_holiday_that_has_begun_is_next_years():
    assert festivals.next_of("national_day", date(2026, 10, 2)).first.year == 2027
    assert festivals.next_of("no_such_holiday", date(2026, 10, 2)) is None


def test_holiday_greetings_leave_out_those_greeted_in_the_window(session):
    spring = festivals.Festival("spring_festival", date(2027, 2, 5), date(2027, 2, 8))
    window_start = datetime(2027, 1, 22, 0, 0, tzinfo=SHANGHAI)  # 14 days before

    def greeted(code, status="planned", purpose="holiday_greeting", when=window_start,
                **values):
        someone = client(session, code, **values)
        factories.visit(session, client=someone, purpose=purpose, status=status,
                        scheduled_for=when, completed_at=when if status == "done" else None)

    greeted("PLANNED")
    greeted("DONE", status="done", when=datetime(2027, 2, 8, 23, 0, tzinfo=SHANGHAI))
    greeted("TOO_EARLY", status="done", when=window_start - timedelta(seconds=1))
    greeted("AFTER", when=datetime(2027, 2, 9, 0, 0, tzinfo=SHANGHAI))
    greeted("CANCELLED", status="cancelled")
    greeted("BIRTHDAY", purpose="birthday_greeting")
    client(session, "NEVER")
    client(session, "DORMANT", status="dormant")
    client(session, "CLOSED", status="closed")
    assert codes(session, queues.holiday_greetings(spring, SHANGHAI)) == {
        "TOO_EARLY", "AFTER", "CANCELLED", "BIRTHDAY", "NEVER", "DORMANT"}


# --- on the screens -----------------------------------------------------------------------


def menu_links(html: str) -> dict[str, str]:
    """The work-queue menu's entries: label -> URL."""
    menu = html[html.index("Work queues"):html.index("</ul>", html.index("Work queues"))]
    found = {}
    for part in menu.split('href="')[1:]:
        url, _, rest = part.partition('"')
        label = rest.partition(">")[2].partition("<")[0].strip()
        found[label] = url.replace("&amp;", "&")
    return found


def filters_of(app, url: str) -> tuple[str, list[tuple[str, str]]]:
    """The list a URL opens and its filters as (name, value), by the filters' names."""
    parts = urlsplit(url)
    endpoint = parts.path.strip("/").split("/")[1]
    with app.test_request_context():
        view = registered_view(endpoint)
        chosen = [(view._filters[int(key.partition("_")[2])], values[0])
                  for key, values in parse_qs(parts.query).items() if key.startswith("flt")]
    return endpoint, [(getattr(f, "key", None), value) for f, value in chosen]


def test_every_queue_is_in_the_menu_and_on_the_dashboard_by_its_filter_name(app, as_role):
    html = as_role("staff").get("/admin/").text
    links = menu_links(html)
    expected = {
        "Overdue callbacks": ("client", [("overdue", "1")]),
        "Callbacks due in the next 7 days": ("client", [("due_soon", "1")]),
        "My clients": ("client", [("mine", "1")]),
        "My callbacks this week": ("visit", [("my_week", "1")]),
        "Birthdays in the next 7 days": ("client", [("birthdays", "1")]),  # by birth date
        "Holiday greetings": ("client", [("holiday", festivals.upcoming(
            workdays.today())[0].key)]),
    }
    assert {label: filters_of(app, url) for label, url in links.items()} == expected
    board = html[html.index('class="work-queues'):]
    for label, url in links.items():
        assert f'href="{url.replace("&", "&amp;")}">{label}</a>' in board


def test_the_queues_speak_chinese(as_role):
    html = as_role("staff").get("/admin/?lang=zh_Hans").text
    assert "待办工作" in html and "逾期回访" in html and "生日祝福" in html
    html = as_role("staff").get("/admin/?lang=zh_Hant").text
    assert "待辦工作" in html and "節日關懷" in html


def list_codes(html: str) -> set[str]:
    return {code for code in ("MINE", "THEIRS", "SOON", "LATE", "BDAY", "OLD", "QUIET")
            if re.search(rf">\s*{code}\s*<", html)}


def test_the_queues_over_http_show_their_rows(app, as_role, users):
    now = utcnow()
    today = now.astimezone(SHANGHAI).date()
    from admin_app.extensions import db

    with app.app_context():
        s = db.session
        client(s, "MINE", advisor_id=users["staff"], next_callback_due=now + timedelta(days=30))
        client(s, "THEIRS", advisor_id=users["supervisor"],
               next_callback_due=now + timedelta(days=30))
        client(s, "SOON", next_callback_due=now + timedelta(days=2))
        client(s, "LATE", next_callback_due=now - timedelta(days=2))
        client(s, "BDAY", birth_date=today.replace(year=1980) + timedelta(days=1)
               if (today.month, today.day) != (2, 28) else date(1980, 3, 1))
        client(s, "OLD", birth_date=(today - timedelta(days=30)).replace(year=1970))
        s.commit()
    browser = as_role("staff")
    html = browser.get("/admin/").text
    links = menu_links(html)
    assert list_codes(browser.get(links["My clients"]).text) == {"MINE"}
    assert list_codes(browser.get(links["Callbacks due in the next 7 days"]).text) == {"SOON"}
    page = browser.get(links["Overdue callbacks"]).text
    assert list_codes(page) == {"LATE"}
    assert 'class="badge badge-danger overdue"' in page  # highlighted in the list
    assert list_codes(browser.get(links["Birthdays in the next 7 days"]).text) == {"BDAY"}
    # Someone else's "my clients" are their own.
    other = as_role("supervisor")
    assert list_codes(other.get(links["My clients"]).text) == {"THEIRS"}


def test_the_holiday_filter_offers_each_holiday_with_its_date(as_role):
    html = as_role("staff").get("/admin/client/").text
    spring = festivals.next_of("spring_festival", workdays.today())
    assert f"Spring Festival (from {spring.first.isoformat()})" in html
    html = as_role("staff").get("/admin/client/?lang=zh_Hans").text
    assert json.dumps(f"春节（{spring.first.isoformat()} 起）")[1:-1] in html  # filters' JSON


def test_an_unknown_holiday_is_no_filter(as_role):
    browser = as_role("staff")
    html = browser.get("/admin/").text
    url = menu_links(html)["Holiday greetings"]
    key = parse_qs(urlsplit(url).query)
    name = next(k for k in key if k.startswith("flt"))
    response = browser.get(f"/admin/client/?{name}=no_such_holiday")
    assert response.status_code == 200  # ignored, as Flask-Admin ignores a bad value


@pytest.mark.parametrize("role", ["staff", "supervisor", "admin"])
def test_my_callbacks_this_week_are_the_users_own(app, as_role, users, role):
    from admin_app.extensions import db

    now = utcnow()
    with app.app_context():
        target = client(db.session, "QUIET")
        for owner in ("staff", "supervisor", "admin"):
            factories.visit(db.session, client=target, staff_id=users[owner],
                            scheduled_for=now, summary=f"for {owner}")
        db.session.commit()
    browser = as_role(role)
    url = menu_links(browser.get("/admin/").text)["My callbacks this week"]
    rows = browser.get(url).text.split("</thead>")[-1].split("</table>")[0]
    assert [owner for owner in ("staff", "supervisor", "admin")
            if f"Test {owner}" in rows] == [role]


def test_the_holiday_queue_lists_those_still_to_greet_without_counting_them(app, as_role):
    from admin_app.extensions import db

    festival = festivals.upcoming(workdays.today())[0]
    with app.app_context():
        client(db.session, "QUIET")
        greeted = client(db.session, "OLD")
        factories.visit(db.session, client=greeted, purpose="holiday_greeting",
                        scheduled_for=datetime.combine(festival.first, datetime.min.time(),
                                                       tzinfo=SHANGHAI) - timedelta(days=1))
        db.session.commit()
    browser = as_role("staff")
    page = browser.get(menu_links(browser.get("/admin/").text)["Holiday greetings"]).text
    assert list_codes(page) == {"QUIET"}
    assert re.search(r'class="nav-link active">List</a>', page)  # no "(N)": not counted
    assert "Plan callbacks for the clients in this list" in page
