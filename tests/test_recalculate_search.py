"""Recalculating the clients matching a search: the search reaches the database as a bound
value, whatever it holds (issue 14: a search containing " :abc" was a 500, because the
statement was rendered into SQL text and parsed again)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Client, Tier

# Every client earns gold and is filed as standard: a recalculation moves each one it reaches.
NAMES = {
    "KA": "Ann :abc", "KB": "O'Brien", "KC": 'say "hi"', "KD": "100% sure",
    "KE": "under_score", "KF": "back\\slash", "KG": "王小明", "KH": "plain",
    "KI": "Ann abc",
}


@pytest.fixture
def awkward(app, users):
    with app.app_context():
        tiers = {t.code: t.id for t in db.session.scalars(sa.select(Tier))}
        db.session.execute(sa.insert(Client), [
            {"code": code, "name": name, "kind": "individual", "status": "active",
             "assets": Decimal("800000"), "annual_contribution": Decimal("6000"),
             "trades_12m": 5, "tier_id": tiers["standard"], "tier_locked": False,
             "version_id": 1} for code, name in NAMES.items()])
        db.session.commit()


def gold(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Client.code).join(Client.tier)
                                      .where(Tier.code == "gold")))


def listed(browser, search: str) -> set[str]:
    """The codes the list shows for ``search`` (all pages): its export reads the list's
    own query."""
    body = browser.get("/admin/client/export/csv/", query_string={"search": search}).get_data()
    return {row[0] for row in list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]}


@pytest.mark.parametrize(("search", "expected"), [
    (" :abc", {"KA"}),
    (":abc", {"KA"}),
    ("O'Brien", {"KB"}),
    ('"hi"', {"KC"}),
    ("% sure", {"KD"}),
    ("r_s", {"KE"}),
    ("王小", {"KG"}),
    ("k\\s", None),  # a backslash: LIKE's escape on PostgreSQL, a plain character on SQLite
    ("'; DROP TABLE client; --", set()),
])
def test_recalculating_the_matching_clients_moves_exactly_those(app, as_role, awkward,
                                                                 search, expected):
    supervisor = as_role("supervisor")
    shown = listed(supervisor, search)
    if expected is not None:
        assert shown == expected
    response = supervisor.post_form("/admin/client/recalculate/", {"scope": "filtered"},
                                    token_url="/admin/client/",
                                    query_string={"search": search})
    assert response.status_code in (302, 303), response.text[:300]
    assert gold(app) == shown
    assert supervisor.get(response.headers["Location"]).status_code == 200


def test_a_dry_run_over_an_awkward_search_changes_nothing(app, as_role, awkward):
    admin = as_role("admin")
    page = admin.post_form("/admin/client/recalculate/", {"scope": "filtered", "dry_run": "1"},
                           token_url="/admin/client/", query_string={"search": " :abc"},
                           follow_redirects=True)
    assert page.status_code == 200
    assert "1 upgraded, 0 downgraded, 0 unchanged, 0 locked skipped (dry run" in page.text
    assert gold(app) == set()
