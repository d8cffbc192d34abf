"""The visits list: found by client (name or code) and by staff member or the client's
advisor, through named filters; and opened on what needs doing first."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from admin_app.extensions import db
from admin_app.views import links

from . import factories
from .factories import WHEN


def shown(browser, url: str, **query) -> list[int]:
    """The visit ids the list shows, in its order."""
    page = browser.get(url, query_string=query or None).text
    table = re.search(r'<table class="[^"]*model-list">.*?</thead>(.*?)</table>', page, re.S)
    assert table, "no list on the page"
    ids = re.findall(r"/admin/visit/details/\?id=(\d+)", table.group(1))
    return list(dict.fromkeys(int(i) for i in ids))


def url(app, filters: dict[str, str] | None = None, **kw) -> str:
    with app.test_request_context():
        return links.list_url("visit", filters=filters, **kw)


@pytest.fixture
def visits(app, users):
    """Two advisors' clients and their visits, named for what tells them apart."""
    with app.app_context():
        s = db.session
        li = factories.user(s, username="li", full_name="李经理")
        wang = factories.client(s, code="C1001", name="王小明", advisor_id=users["staff"])
        wang2 = factories.client(s, code="C1002", name="王小红", advisor_id=li.id)
        zhang = factories.client(s, code="Z2001", name="张伟", advisor_id=li.id)
        made = {
            "wang_by_staff": factories.visit(s, client=wang, staff_id=users["staff"]),
            "wang_by_li": factories.visit(s, client=wang, staff_id=li.id),
            "wang2_by_staff": factories.visit(s, client=wang2, staff_id=users["staff"]),
            "zhang_by_li": factories.visit(s, client=zhang, staff_id=li.id),
            "zhang_nobody": factories.visit(s, client=zhang, staff_id=None),
        }
        s.commit()
        return {"li": li.id, **{name: visit.id for name, visit in made.items()}}


@pytest.mark.parametrize(("text", "expected"), [
    ("王小", {"wang_by_staff", "wang_by_li", "wang2_by_staff"}),
    ("王小明", {"wang_by_staff", "wang_by_li"}),
    ("c1002", {"wang2_by_staff"}),  # codes too, in any case
    ("Z20", {"zhang_by_li", "zhang_nobody"}),
    ("^C100", {"wang_by_staff", "wang_by_li", "wang2_by_staff"}),  # begins with
    ("李", set()),  # the advisor's name is not the client's
])
def test_client_filter_by_name_or_code(app, as_role, visits, text, expected):
    ids = shown(as_role("staff"), url(app, {"client": text}))
    assert set(ids) == {visits[name] for name in expected}


@pytest.mark.parametrize(("text", "expected"), [
    ("王小明", {"wang_by_staff", "wang_by_li"}),
    ("C1002", {"wang2_by_staff"}),
    ("张", {"zhang_by_li", "zhang_nobody"}),
])
def test_search_finds_by_client_name_or_code(app, as_role, visits, text, expected):
    ids = shown(as_role("staff"), "/admin/visit/", search=text)
    assert set(ids) == {visits[name] for name in expected}


def test_search_box_names_the_client(as_role):
    page = as_role("staff").get("/admin/visit/").text
    placeholder = re.search(r'name="search" value=""\s*placeholder="([^"]*)"', page).group(1)
    assert placeholder == "Client, Client code, Summary"


def test_staff_filter(app, as_role, users, visits):
    staff = as_role("supervisor")
    by_staff = shown(staff, url(app, {"staff": str(users["staff"])}))
    assert set(by_staff) == {visits["wang_by_staff"], visits["wang2_by_staff"]}
    by_li = shown(staff, url(app, {"staff": str(visits["li"])}))
    assert set(by_li) == {visits["wang_by_li"], visits["zhang_by_li"]}
    assert shown(staff, url(app, {"staff": str(users["admin"])})) == []


def test_advisor_filter_is_the_clients_advisor(app, as_role, users, visits):
    staff = as_role("staff")
    mine = shown(staff, url(app, {"advisor": str(users["staff"])}))
    assert set(mine) == {visits["wang_by_staff"], visits["wang_by_li"]}
    lis = shown(staff, url(app, {"advisor": str(visits["li"])}))
    assert set(lis) == {visits["wang2_by_staff"], visits["zhang_by_li"], visits["zhang_nobody"]}


def test_filters_combine(app, as_role, users, visits):
    ids = shown(as_role("staff"), url(app, {"client": "王", "staff": str(visits["li"])}))
    assert ids == [visits["wang_by_li"]]


def filter_choices(browser) -> dict[str, list[dict]]:
    """The list's filters as the page hands them to its script: label -> operations."""
    page = browser.get("/admin/visit/").text
    data = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S)
    return json.loads(data.group(1))


def test_user_filters_offer_every_user_by_name_read_at_each_request(app, as_role, users,
                                                                    visits):
    browser = as_role("staff")
    groups = filter_choices(browser)
    for label in ("Staff", "Advisor"):
        (only,) = groups[label]  # one operation: "is", over a list of users
        assert only["operation"] == "is"
        assert [str(visits["li"]), "李经理 (li)"] in only["options"]
    assert groups["Client"][0]["options"] is None  # typed text
    with app.app_context():
        zhao = factories.user(db.session, username="zhao", full_name="赵新人").id
        db.session.commit()
    options = filter_choices(browser)["Staff"][0]["options"]
    assert [str(zhao), "赵新人 (zhao)"] in options  # a user added after start-up too
    # no filter on the user table's own columns (Flask-Admin's filters on a relationship)
    assert not any("password" in label.lower() or "e-mail" in label.lower()
                   for label in filter_choices(browser))


def test_a_staff_filter_that_is_not_a_user_id_is_ignored(app, as_role, visits):
    browser = as_role("staff")
    everything = shown(browser, "/admin/visit/")
    response = browser.get(url(app, {"staff": "x"}))
    assert response.status_code == 200
    assert shown(browser, url(app, {"staff": "x"})) == everything


def test_default_order_puts_what_needs_doing_first(app, as_role, users):
    day = timedelta(days=1)
    with app.app_context():
        s = db.session
        made = {}

        def visit(name, **kw):
            made[name] = factories.visit(s, staff_id=users["staff"], **kw).id

        visit("done_yesterday", status="done", scheduled_for=WHEN - 2 * day,
              completed_at=WHEN - day)
        visit("planned_next_year", status="planned", scheduled_for=WHEN + 365 * day)
        visit("overdue_2_days", status="planned", scheduled_for=WHEN - 2 * day)
        visit("missed_a_week_ago", status="missed", scheduled_for=WHEN - 7 * day)
        visit("planned_tomorrow", status="planned", scheduled_for=WHEN + day)
        visit("overdue_10_days", status="planned", scheduled_for=WHEN - 10 * day)
        visit("done_5_days_ago", status="done", scheduled_for=None,
              completed_at=WHEN - 5 * day)
        visit("cancelled_3_days_ago", status="cancelled", scheduled_for=WHEN - 3 * day)
        s.commit()
    expected = ["overdue_10_days", "overdue_2_days", "planned_tomorrow", "planned_next_year",
                "done_yesterday", "cancelled_3_days_ago", "done_5_days_ago",
                "missed_a_week_ago"]
    names = {visit_id: name for name, visit_id in made.items()}
    browser = as_role("staff")
    assert [names[i] for i in shown(browser, "/admin/visit/")] == expected
    # a column chosen still sorts by that column
    by_date = [names[i] for i in shown(browser, url(app, sort="scheduled_for"))
               if names[i] != "done_5_days_ago"]  # no date: first or last, by engine
    assert (by_date[0], by_date[-1]) == ("overdue_10_days", "planned_next_year")
