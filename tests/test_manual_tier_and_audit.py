"""Hand changes of a reference (a client's tier, a complaint's assignee) are written to
the audit log like any other field, and a tier cleared on the form becomes the tier the
client's figures earn, with its history."""

from __future__ import annotations

import sqlalchemy as sa

from admin_app.enums import TierChangeReason
from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Tier, TierChange

from .conftest import form_values


def edit(browser, view: str, record_id: int, changes: dict[str, str]):
    url = f"/admin/{view}/edit/?id={record_id}"
    return browser.post_form(url, {**form_values(browser.get(url).text),
                                   "reason": "Agreed with the branch", **changes})


def tier_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Tier.id).where(Tier.code == code))


def last_update(app, entity: str, record_id: int) -> dict:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry.changes).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == str(record_id),
            AuditEntry.action == "update").order_by(AuditEntry.id.desc())).first()


def test_a_hand_tier_change_is_audited(app, as_role, sample):
    platinum = tier_id(app, "platinum")
    response = edit(as_role("supervisor"), "client", sample["client"],
                    {"tier": str(platinum), "tier_locked": "y", "tier_lock_reason": "VIP"})
    assert response.status_code == 302
    assert last_update(app, "client", sample["client"])["tier_id"] == [sample["tier"], platinum]


def test_a_reassignment_is_audited(app, as_role, sample, users):
    response = edit(as_role("supervisor"), "complaint", sample["complaint"],
                    {"assignee": str(users["supervisor"])})
    assert response.status_code == 302
    assert last_update(app, "complaint", sample["complaint"])["assignee_id"] == \
        [None, users["supervisor"]]


def test_a_new_clients_tier_is_in_its_create_entry(app, as_role, users):
    as_role("staff").post_form("/admin/client/new/", {
        "code": "N9", "name": "新客户", "kind": "individual", "status": "active",
        "assets": "100", "annual_contribution": "0", "trades_12m": "0"},
        token_url="/admin/client/new/")
    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.code == "N9"))
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.entity == "client", AuditEntry.action == "create"))
        assert entry.changes["tier_id"] == [None, client.tier_id]


def test_a_cleared_tier_becomes_the_earned_one(app, as_role, sample):
    supervisor = as_role("supervisor")
    edit(supervisor, "client", sample["client"], {"tier": str(tier_id(app, "diamond"))})
    response = edit(supervisor, "client", sample["client"], {"tier": "__None"})
    assert response.status_code == 302
    with app.app_context():
        client = db.session.get(Client, sample["client"])
        assert client.tier.code == "gold"  # what 800,000 CNY, 6,000 and 5 trades earn
        last = db.session.scalars(sa.select(TierChange).where(
            TierChange.client_id == client.id).order_by(TierChange.id.desc())).first()
        assert (last.from_tier_id, last.to_tier_id, last.reason) == (
            tier_id(app, "diamond"), client.tier_id, TierChangeReason.recalculation)
