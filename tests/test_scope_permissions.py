"""Every row, however it is asked for, needs the capability over every row (issue 14).

The enforcement point decides the scope of a request over a list (the selection, the rows
the search and filters hold, or every row) from the request itself, not from the button
that sent it. Generated from the declarations: for every endpoint that needs more over
every row (``Requirement.unfiltered``), each role × each way of reaching every row -- no
search and no filter, a search of spaces, a search every row matches, a filter every row
meets -- is allowed for the roles holding both capabilities and 403 with nothing changed
for every other role.
"""

from __future__ import annotations

import pytest

from admin_app.permissions import can
from admin_app.views import adapter
from admin_app.views.base import SecureModelView

from .test_permissions import ROLES, _bare_app, _snapshot, _url, _views


def _every_row_cases() -> list[tuple[str, str, str]]:
    """(endpoint, capability, capability over every row) for each endpoint declaring one."""
    app = _bare_app()
    return sorted((f"{view.endpoint}.{name}", str(requirement.capability),
                   str(requirement.unfiltered))
                  for view in _views(app).values() if isinstance(view, SecureModelView)
                  for name in dir(type(view))
                  if (requirement := view.endpoint_requirement(name)) is not None
                  and requirement.unfiltered is not None)


EVERY_ROW_CASES = _every_row_cases()


def _every_row_queries(app, resource: str) -> dict[str, dict[str, str]]:
    """Ways of asking for every row of ``resource``'s list (the sample's one record)."""
    view = _views(app)[resource]
    greater = next(i for i, f in enumerate(adapter.filters(view))
                   if type(f).__name__.endswith("GreaterFilter"))
    return {"no search, no filter": {}, "a search of spaces": {"search": "   "},
            "a search every row matches": {"search": "%"},
            "a filter every row meets": {f"flt0_{greater}": "-1"}}


WAYS = ("no search, no filter", "a search of spaces", "a search every row matches",
        "a filter every row meets")


def test_the_scoped_endpoints_are_found():
    assert ("client.recalculate_view", "recalculate_tier", "recalculate_all") in \
        EVERY_ROW_CASES
    assert ("client.plan_callbacks_view", "plan_callbacks", "plan_callbacks_all") in \
        EVERY_ROW_CASES


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "capability", "every_row"), EVERY_ROW_CASES)
def test_every_row_needs_its_capability(app, as_role, sample, endpoint, capability, every_row,
                                        role, way):
    resource = endpoint.partition(".")[0]
    query = _every_row_queries(app, resource)[way]
    browser = as_role(role)
    before = _snapshot(app)
    response = browser.post_form(_url(app, endpoint), {}, token_url="/admin/",
                                 query_string=query)
    if can(role, resource, capability) and can(role, resource, every_row):
        assert response.status_code != 403, response.text[:300]
        assert response.status_code < 500, response.text[:300]
    else:
        assert response.status_code == 403, (way, response.status_code)
        assert _snapshot(app) == before


def test_a_supervisor_recalculating_a_search_of_spaces_moves_nobody(app, as_role, sample):
    """The reproduction: "matching clients" with a search of only spaces was every client,
    recalculated by a supervisor."""
    from admin_app.extensions import db
    from admin_app.models import Client, Tier

    with app.app_context():
        client = db.session.get(Client, sample["client"])
        client.tier = db.session.query(Tier).filter_by(code="standard").one()
        db.session.commit()
    response = as_role("supervisor").post_form(
        "/admin/client/recalculate/", {"scope": "filtered"}, token_url="/admin/client/",
        query_string={"search": " "})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Client, sample["client"]).tier.code == "standard"
