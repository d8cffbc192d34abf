"""Tier thresholds and the recalculate-tier action through HTTP, for each role."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Tier, TierChange

from . import factories
from .conftest import assert_redirect, form_values

D = Decimal


@pytest.fixture
def clients(app, users):
    """Three clients that a recalculation would move, one locked, one in place."""
    with app.app_context():
        rows = [
            ("C1", "450000", "5000", 4, "standard", False),   # gold once threshold is 400k
            ("C2", "12000000", "200000", 30, "gold", False),  # should be diamond
            ("C3", "100", "0", 0, "gold", False),             # should be standard
            ("C4", "100", "0", 0, "diamond", True),           # locked
            ("C5", "600000", "6000", 5, "gold", False),       # right already
        ]
        for code, assets, contribution, trades, tier, locked in rows:
            factories.client(db.session, code=code, name=code, assets=D(assets),
                             annual_contribution=D(contribution), trades_12m=trades,
                             tier=factories.tier(db.session, tier), tier_locked=locked,
                             tier_lock_reason="VIP" if locked else None)
        db.session.commit()
        return {c.code: c.id for c in db.session.scalars(sa.select(Client))}


def tier_of(app, client_id):
    with app.app_context():
        return db.session.get(Client, client_id).tier.code


def post_action(browser, action, ids):
    return browser.post_form("/admin/client/action/", {"action": action, "rowid": ids},
                             token_url="/admin/client/", follow_redirects=True)


def test_staff_cannot_recalculate(app, as_role, clients):
    staff = as_role("staff")
    assert post_action(staff, "recalculate_tier", [clients["C2"]]).status_code == 403
    assert staff.post_form("/admin/client/recalculate/", {"scope": "filtered"},
                           token_url="/admin/client/").status_code == 403
    assert "recalculate-filtered" not in staff.get("/admin/client/").text
    assert tier_of(app, clients["C2"]) == "gold"


def test_supervisor_recalculates_a_narrowed_list_only(app, as_role, clients):
    """With no search and no filter, "the matching clients" are every client: that needs
    the recalculate-all capability, which supervisors don't have."""
    supervisor = as_role("supervisor")
    page = supervisor.get("/admin/client/").text
    assert "recalculate-filtered" not in page and "recalculate-needs-filter" in page
    assert "recalculate-filtered" in supervisor.get("/admin/client/?search=C").text
    assert supervisor.post_form("/admin/client/recalculate/", {"scope": "filtered"},
                                token_url="/admin/client/").status_code == 403
    assert tier_of(app, clients["C2"]) == "gold"
    admin_page = as_role("admin").get("/admin/client/").text
    assert "recalculate-filtered" not in admin_page and "recalculate-all" in admin_page


def test_supervisor_recalculates_selected(app, as_role, clients):
    response = post_action(as_role("supervisor"), "recalculate_tier",
                           [clients["C2"], clients["C3"], clients["C4"]])
    assert "1 upgraded, 1 downgraded, 0 unchanged, 1 locked skipped" in response.text
    assert tier_of(app, clients["C2"]) == "diamond"
    assert tier_of(app, clients["C3"]) == "standard"
    assert tier_of(app, clients["C4"]) == "diamond"


def test_supervisor_recalculates_a_filtered_list_not_only_its_page(app, as_role, clients):
    supervisor = as_role("supervisor")
    listing = supervisor.get("/admin/client/?flt0_0=gold&page_size=1")  # tier = gold
    assert "3 matching clients" in listing.text
    assert "recalculate-all" not in listing.text
    response = supervisor.post_form("/admin/client/recalculate/?flt0_0=gold&page_size=1",
                                    {"scope": "filtered"}, token_url="/admin/client/",
                                    follow_redirects=True)
    assert "1 upgraded, 1 downgraded, 1 unchanged, 0 locked skipped" in response.text
    assert tier_of(app, clients["C1"]) == "standard"  # not in the filtered list
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "recalculate_tiers"))
        assert entry.changes["scope"] == "filtered" and entry.user_id is not None


def test_only_admins_recalculate_everyone(app, as_role, clients):
    refused = as_role("supervisor").post_form("/admin/client/recalculate/", {"scope": "all"},
                                              token_url="/admin/client/")
    assert refused.status_code == 403
    assert tier_of(app, clients["C2"]) == "gold"
    admin = as_role("admin")
    dry = admin.post_form("/admin/client/recalculate/", {"scope": "all", "dry_run": "1"},
                          token_url="/admin/client/", follow_redirects=True)
    assert "(dry run: nothing was changed)" in dry.text
    assert tier_of(app, clients["C2"]) == "gold"
    done = admin.post_form("/admin/client/recalculate/", {"scope": "all"},
                           token_url="/admin/client/", follow_redirects=True)
    assert "1 upgraded, 1 downgraded, 2 unchanged, 1 locked skipped" in done.text


def test_admin_lowers_gold_threshold_previews_saves_and_recalculates(app, as_role, clients):
    admin = as_role("admin")
    with app.app_context():
        gold = db.session.scalar(sa.select(Tier).where(Tier.code == "gold")).id
    url = f"/admin/tier/edit/?id={gold}"
    data = {**form_values(admin.get(url).text), "min_assets": "400000"}
    preview = admin.post_form(url, {**data, "_preview": "1"})
    assert preview.status_code == 200
    assert 'id="tier-impact"' in preview.text
    impact = preview.text[preview.text.index('id="tier-impact"'):]
    assert "Gold" in impact
    with app.app_context():  # the preview saved nothing
        assert db.session.get(Tier, gold).min_assets == D(500000)
    refused = admin.post_form(url, data)  # a threshold moved: a reason is asked for
    assert refused.status_code == 200 and "Give a reason for this change" in refused.text
    with app.app_context():
        assert db.session.get(Tier, gold).min_assets == D(500000)
    reason = "Gold opened to younger savers (board minutes 2026-11)"
    assert_redirect(admin.post_form(url, {**data, "reason": reason}), to="/admin/tier/")
    with app.app_context():
        assert db.session.get(Tier, gold).min_assets == D(400000)
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "tier"))
        assert entry.changes["reason"] == reason
        assert entry.changes["min_assets"] == ["500000.00", "400000"]
    assert reason in admin.get(f"/admin/tier/details/?id={gold}").text  # in its History
    done = admin.post_form("/admin/client/recalculate/", {"scope": "all"},
                           token_url="/admin/client/", follow_redirects=True)
    assert "2 upgraded, 1 downgraded, 1 unchanged, 1 locked skipped" in done.text
    assert tier_of(app, clients["C1"]) == "gold"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("min_assets", "4000000", "higher than the same threshold of the tier ranked above"),
    ("min_assets", "-1", "cannot be negative"),
    ("callback_interval_days", "0", "between 1 and 366"),
    ("callback_interval_days", "400", "between 1 and 366"),
])
def test_threshold_refusals_next_to_the_field(app, as_role, field, value, message):
    admin = as_role("admin")
    with app.app_context():
        gold = db.session.scalar(sa.select(Tier).where(Tier.code == "gold")).id
    url = f"/admin/tier/edit/?id={gold}"
    data = {**form_values(admin.get(url).text), field: value}
    response = admin.post_form(url, data)
    assert response.status_code == 200
    assert message in response.text
    preview = admin.post_form(url, {**data, "_preview": "1"})
    assert message in preview.text and 'id="tier-impact"' not in preview.text
    assert "Failed to save record" not in preview.text  # a preview saves nothing
    with app.app_context():
        assert db.session.get(Tier, gold).version_id == 1


def test_lowest_tier_must_stay_zero(app, as_role):
    admin = as_role("admin")
    with app.app_context():
        standard = db.session.scalar(sa.select(Tier).where(Tier.code == "standard")).id
    url = f"/admin/tier/edit/?id={standard}"
    response = admin.post_form(url, {**form_values(admin.get(url).text), "min_trades_12m": "1"})
    assert "lowest tier must have zero thresholds" in response.text


@pytest.mark.parametrize("role", ["staff", "supervisor"])
def test_only_admins_edit_thresholds(app, as_role, role):
    browser = as_role(role)
    assert browser.get("/admin/tier/edit/?id=1").status_code == 403
    assert browser.post_form("/admin/tier/edit/?id=1", {"min_assets": "1"},
                             token_url="/admin/tier/").status_code == 403


def test_manual_tier_change_is_history_and_shown_on_details(app, as_role, clients):
    admin = as_role("admin")
    url = f"/admin/client/edit/?id={clients['C5']}"
    with app.app_context():
        platinum = db.session.scalar(sa.select(Tier).where(Tier.code == "platinum")).id
    data = {**form_values(admin.get(url).text), "tier": str(platinum), "tier_locked": "y",
            "tier_lock_reason": "Family office referral"}
    refused = admin.post_form(url, data)  # a tier chosen by hand: a reason is asked for
    assert refused.status_code == 200 and "Give a reason for this change" in refused.text
    assert_redirect(admin.post_form(url, {**data, "reason": "Referral terms"}),
                    to="/admin/client/")
    with app.app_context():
        change = db.session.scalar(sa.select(TierChange))
        assert change.reason == "manual" and change.to_tier_id == platinum
    details = admin.get(f"/admin/client/details/?id={clients['C5']}").text
    assert "Tier history" in details and "Manual" in details and "Test admin" in details


def test_new_client_without_tier_gets_the_earned_one(app, as_role, users):
    admin = as_role("admin")
    admin.post_form("/admin/client/new/", {"code": "N1", "name": "新客户", "kind": "individual",
                                           "status": "active", "assets": "3500000",
                                           "annual_contribution": "40000", "trades_12m": "12"})
    with app.app_context():
        assert db.session.scalar(sa.select(Client).where(Client.code == "N1")).tier.code == \
            "platinum"


def test_cli_recalc(app, clients):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["tiers", "recalc", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 upgraded, 1 downgraded, 2 unchanged, 1 locked skipped (dry run" in dry.output
    assert tier_of(app, clients["C2"]) == "gold"
    done = runner.invoke(args=["tiers", "recalc"])
    assert "1 upgraded, 1 downgraded, 2 unchanged, 1 locked skipped" in done.output
    assert tier_of(app, clients["C2"]) == "diamond"
