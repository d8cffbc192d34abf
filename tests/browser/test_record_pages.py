"""In Chromium: a record opened from a searched, sorted list names the record in the tab
and the heading, and its breadcrumb returns to that same list (search, sort, page size),
from the details page and from the edit page it leads to."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from admin_app.extensions import db

from .. import factories
from .test_e2e import log_in

LIST = "/admin/client/?search=周&sort=1&desc=1&page_size=50"


def test_breadcrumb_returns_to_the_list_as_it_was_left(app, page, users):
    with app.app_context():
        for number, name in ((42, "周慧敏"), (43, "周杰"), (44, "王芳")):
            factories.client(db.session, code=f"C00000{number}", name=name)
        db.session.commit()
    log_in(page, "staff")
    page.goto(LIST)
    left = page.url
    assert page.locator("table.model-list tbody tr").count() == 2

    page.locator("a[title='View Record']").first.click()
    page.wait_for_url(re.compile(r"/admin/client/details/"))
    name = page.locator("h1.record-title").inner_text()
    assert name.startswith("周") and re.search(r"\(C00000\d\d\)$", name)
    assert page.title() == f"{name} - Clients - ClientCare Admin"
    assert page.locator(".record-breadcrumb .active").inner_text() == name

    page.click("ul.nav-tabs >> text=Edit")
    page.wait_for_url(re.compile(r"/admin/client/edit/"))
    assert page.title() == f"{name} · Edit - Clients - ClientCare Admin"

    page.locator(".record-breadcrumb a").click()
    page.wait_for_url(re.compile(r"/admin/client/\?"))
    assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(left).query)
    assert page.locator("input[type=text][name=search]").input_value() == "周"
    assert page.locator("table.model-list tbody tr").count() == 2
    assert page.title() == "Clients - ClientCare Admin"
