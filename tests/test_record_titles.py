"""A record's details and edit pages name the record: in the browser tab's title, in the
heading, and in a breadcrumb whose first step goes back to the list as the user left it
(its search, filters, sort and page). Lists keep their section's name."""

from __future__ import annotations

import html as markup
import re

import pytest

# view -> (sample key, how the record is named: the start of its label)
RECORDS = {
    "client": ("client", "王小明 (C0000001)"),
    "visit": ("visit", "王小明 (C0000001) · "),
    "event": ("event", "Investment lecture"),
    "complaint": ("complaint", "CP-2026-000001"),
    "tier": ("tier", "Gold"),
    "user": ("user", "Test staff"),
}
SECTIONS = {"client": "Clients", "visit": "Visits", "event": "Events",
            "complaint": "Complaints", "tier": "Tiers", "user": "Users"}
PAGES = [(view, page) for view in RECORDS for page in ("details", "edit")]


def title_of(html: str) -> str:
    return markup.unescape(re.search(r"<title>([^<]*)</title>", html).group(1))


def heading_of(html: str) -> str | None:
    found = re.search(r'<h1 class="[^"]*record-title">([^<]*)</h1>', html)
    return markup.unescape(found.group(1)) if found else None


def breadcrumb_of(html: str) -> tuple[str, str, str]:
    """(the list link's href, its text, the record's step)."""
    found = re.search(r'<ol class="[^"]*record-breadcrumb">\s*'
                      r'<li class="breadcrumb-item"><a href="([^"]*)">([^<]*)</a></li>\s*'
                      r'<li class="breadcrumb-item active" aria-current="page">([^<]*)</li>',
                      html)
    assert found, "no breadcrumb"
    return tuple(markup.unescape(part) for part in found.groups())


@pytest.mark.parametrize(("view", "page"), PAGES)
def test_the_title_heading_and_breadcrumb_name_the_record(as_role, sample, view, page):
    key, label = RECORDS[view]
    html = as_role("admin").get(f"/admin/{view}/{page}/?id={sample[key]}").text
    name = heading_of(html)
    assert name and name.startswith(label), name
    title = title_of(html)
    edit = " · Edit" if page == "edit" else ""
    assert title == f"{name}{edit} - {SECTIONS[view]} - ClientCare Admin"
    href, section, step = breadcrumb_of(html)
    assert (href, section, step) == (f"/admin/{view}/", SECTIONS[view], name)


@pytest.mark.parametrize("page", ["details", "edit"])
def test_the_breadcrumb_goes_back_to_the_list_as_the_user_left_it(as_role, sample, page):
    left = "/admin/client/?search=王&sort=2&desc=1&page=0&page_size=50&flt0_tier_equals=gold"
    admin = as_role("admin")
    html = admin.get(f"/admin/client/{page}/", query_string={"id": sample["client"],
                                                             "url": left}).text
    href, _section, _step = breadcrumb_of(html)
    assert href == left
    assert admin.get(href).status_code == 200


def test_an_audit_entry_is_named_by_what_was_done_to_which_record(as_role, sample):
    admin = as_role("admin")
    admin.get(f"/admin/client/edit/?id={sample['client']}")
    html = admin.get("/admin/audit/?lang=zh_Hans").text
    entry = re.search(r"/admin/audit/details/\?id=(\d+)", html).group(1)
    name = heading_of(admin.get(f"/admin/audit/details/?id={entry}&lang=zh_Hans").text)
    assert name and "AuditEntry" not in name and re.search(r" · \d{4}-\d\d-\d\d \d\d:\d\d$", name)


def test_from_another_records_page_the_breadcrumb_opens_the_list(as_role, sample):
    """The Cancel and List buttons go back to the page the user came from; the breadcrumb
    names this record's list, so it goes there."""
    came_from = f"/admin/client/details/?id={sample['client']}"
    html = as_role("admin").get("/admin/visit/edit/", query_string={"id": sample["visit"],
                                                                    "url": came_from}).text
    assert breadcrumb_of(html)[0] == "/admin/visit/"
    assert f'href="{markup.escape(came_from)}"' in html  # Cancel keeps it


@pytest.mark.parametrize("view", sorted(SECTIONS))
def test_lists_keep_the_sections_name(as_role, view):
    html = as_role("admin").get(f"/admin/{view}/").text
    assert title_of(html) == f"{SECTIONS[view]} - ClientCare Admin"
    assert heading_of(html) is None and "record-breadcrumb" not in html
