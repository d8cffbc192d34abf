"""Links to filtered, sorted lists are built from column and filter names, so a column
or filter added before the target doesn't silently point them elsewhere."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from admin_app import create_app, views
from admin_app.views.filters import OverdueFilter
from admin_app.views.links import list_url, registered_view


def resolve(app, url: str) -> tuple[str, list[object]]:
    """The sort column's name and the filters a list URL selects on its view."""
    parts = urlsplit(url)
    view = registered_view(parts.path.strip("/").split("/")[1])
    args = {k: v[0] for k, v in parse_qs(parts.query).items()}
    sort = view._list_columns[int(args["sort"])][0] if "sort" in args else None
    filters = [view._filters[int(k.partition("_")[2])] for k in args if k.startswith("flt")]
    return sort, filters


def dashboard_link(html: str, label: str) -> str:
    card = html[html.index(label, html.index('class="card-body"')):]  # not the menu's
    start = card.index('href="') + len('href="')
    return card[start:card.index('"', start)].replace("&amp;", "&")


def test_dashboard_links_point_at_the_named_column_and_filter(app, as_role, sample):
    html = as_role("staff").get("/admin/").text
    with app.test_request_context():
        sort, filters = resolve(app, dashboard_link(html, "Overdue callbacks"))
        assert sort == "next_callback_due"
        assert [type(f) for f in filters] == [OverdueFilter]
        sort, filters = resolve(app, dashboard_link(html, "Complaints past deadline"))
        assert [type(f) for f in filters] == [OverdueFilter]


def test_a_column_inserted_before_the_target_moves_the_link_with_it(monkeypatch):
    class Wider(views.ClientView):
        column_list = ("created_at", *views.ClientView.column_list)
        column_filters = ("created_at", *views.ClientView.column_filters)

    monkeypatch.setattr(views, "ClientView", Wider)
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        url = list_url("client", sort="next_callback_due", filters={"overdue": "1"})
        sort, filters = resolve(app, url)
    assert sort == "next_callback_due"
    assert [type(f) for f in filters] == [OverdueFilter]
    assert "sort=9" in url  # it was 8 before the column was added


def test_a_name_the_view_lacks_is_an_error(app):
    with app.test_request_context():
        with pytest.raises(LookupError):
            list_url("client", sort="no_such_column")
        with pytest.raises(LookupError):
            list_url("client", filters={"no_such_filter": "1"})
        with pytest.raises(LookupError):
            list_url("client", sort="advisor")  # listed, not sortable
