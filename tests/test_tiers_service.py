"""The tier rule as a pure function and as set-based SQL, and the two agreeing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin_app.models import AuditEntry, Client, Tier, TierChange
from admin_app.services import tiers as svc

from . import factories

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
D = Decimal


def ladder(session):
    return svc.load_thresholds(session)


def code_of(session, tier_id):
    return session.get(Tier, tier_id).code


@pytest.mark.parametrize(("assets", "contribution", "trades", "expected"), [
    (D("10000000"), D("100000"), 24, "diamond"),        # exactly on every threshold
    (D("9999999.99"), D("100000"), 24, "platinum"),     # just below on one measure
    (D("10000000"), D("99999.99"), 24, "platinum"),     # assets met, contribution not
    (D("10000000"), D("100000"), 23, "platinum"),
    (D("3000000"), D("30000"), 12, "platinum"),
    (D("500000"), D("5000"), 4, "gold"),
    (D("499999.99"), D("5000"), 4, "standard"),
    (D("0"), D("0"), 0, "standard"),                    # zero catches everyone
    (D("50000000"), D("0"), 100, "standard"),           # rich but no contribution
])
def test_rule_boundaries(session, assets, contribution, trades, expected):
    tier = svc.evaluate(assets, contribution, trades, ladder(session))
    assert code_of(session, tier.id) == expected


def add_client(session, code, assets, contribution, trades, tier_code=None, locked=False,
               last_callback=None):
    """A client with these figures, in ``tier_code`` (however the rule would place it)."""
    return factories.client(
        session, code=code, name=code, assets=D(assets), annual_contribution=D(contribution),
        trades_12m=trades, tier=factories.tier(session, tier_code) if tier_code else None,
        tier_locked=locked, tier_lock_reason="special client" if locked else None,
        last_callback_at=last_callback, cadence_anchor=last_callback,
        created_at=NOW - timedelta(days=400))


def test_recalculate_moves_only_changed_unlocked_clients(session):
    up = add_client(session, "UP", "12000000", "150000", 30, "gold",
                    last_callback=NOW - timedelta(days=10))
    down = add_client(session, "DOWN", "100", "0", 0, "platinum")
    same = add_client(session, "SAME", "600000", "6000", 5, "gold")
    locked = add_client(session, "LOCK", "0", "0", 0, "diamond", locked=True)
    new = add_client(session, "NEW", "600000", "6000", 5, None)
    session.commit()
    before_version = same.version_id

    result = svc.recalculate(session, now=NOW)
    session.commit()

    assert (result.upgraded, result.downgraded, result.unchanged, result.locked_skipped) == \
        (2, 1, 1, 1)
    codes = {c.code: c.tier.code for c in session.scalars(sa.select(Client))}
    assert codes == {"UP": "diamond", "DOWN": "standard", "SAME": "gold", "LOCK": "diamond",
                     "NEW": "gold"}
    history = session.execute(sa.select(TierChange.client_id, TierChange.reason)).all()
    assert sorted(h.client_id for h in history) == sorted([up.id, down.id, new.id])
    assert {h.reason for h in history} == {"recalculation"}
    up = session.get(Client, up.id)
    assert up.tier_changed_at == NOW
    assert up.next_callback_due == NOW - timedelta(days=10) + timedelta(days=30)  # diamond's
    assert session.get(Client, same.id).version_id == before_version
    assert session.get(Client, up.id).version_id == 2
    assert session.get(Client, locked.id).tier_changed_at is None
    entry = session.scalar(sa.select(AuditEntry).where(  # the run's entry
        AuditEntry.action == "recalculate_tiers", AuditEntry.entity_id.is_(None)))
    assert entry.changes["upgraded"] == 2 and entry.changes["scope"] == "all"


def test_dry_run_reports_and_changes_nothing(session):
    add_client(session, "UP", "12000000", "150000", 30, "gold")
    session.commit()
    result = svc.recalculate(session, now=NOW, dry_run=True)
    session.commit()
    assert result.upgraded == 1 and result.dry_run
    assert session.scalar(sa.select(Client.tier_id)) == \
        session.scalar(sa.select(Tier.id).where(Tier.code == "gold"))
    assert session.scalar(sa.select(sa.func.count()).select_from(TierChange)) == 0


def test_scope_limits_the_recalculation(session):
    a = add_client(session, "A", "12000000", "150000", 30, "gold")
    b = add_client(session, "B", "12000000", "150000", 30, "gold")
    session.commit()
    result = svc.recalculate(session, now=NOW, scope=sa.select(Client.id).where(Client.id == a.id))
    session.commit()
    assert result.upgraded == 1 and result.unchanged == 0
    assert session.get(Client, a.id).tier.code == "diamond"
    assert session.get(Client, b.id).tier.code == "gold"


def test_failure_rolls_everything_back(session, monkeypatch):
    add_client(session, "UP", "12000000", "150000", 30, "gold")
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc.audit, "record", broken)
    with pytest.raises(RuntimeError):
        svc.recalculate(session, now=NOW)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(TierChange)) == 0
    assert session.scalar(sa.select(Client)).tier.code == "gold"


money = st.decimals(min_value=0, max_value=20_000_000, places=2, allow_nan=False,
                    allow_infinity=False)
figures = st.tuples(money, st.decimals(min_value=0, max_value=200_000, places=2,
                                       allow_nan=False, allow_infinity=False),
                    st.integers(min_value=0, max_value=40))
EDGES = [(D("10000000"), D("100000"), 24), (D("3000000"), D("30000"), 12),
         (D("500000"), D("5000"), 4), (D("499999.99"), D("4999.99"), 3), (D(0), D(0), 0)]


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(figures, st.sampled_from(EDGES)), min_size=200, max_size=600))
def test_sql_and_pure_function_agree(session, rows):
    session.execute(sa.delete(TierChange))
    session.execute(sa.delete(Client))
    tiers = ladder(session)
    session.execute(sa.insert(Client), [
        {"code": f"H{i}", "name": "h", "assets": a, "annual_contribution": c, "trades_12m": t}
        for i, (a, c, t) in enumerate(rows)])
    svc.recalculate(session, now=NOW)
    stored = session.execute(sa.select(Client.assets, Client.annual_contribution,
                                       Client.trades_12m, Client.tier_id)).all()
    for assets, contribution, trades, tier_id in stored:
        assert svc.evaluate(assets, contribution, trades, tiers).id == tier_id
    session.rollback()


@pytest.mark.parametrize(("change", "field"), [
    ({"gold": {"min_assets": D(-1)}}, "min_assets"),
    ({"gold": {"min_assets": D(4_000_000)}}, "min_assets"),          # above platinum
    ({"standard": {"min_trades_12m": 1}}, "min_trades_12m"),         # lowest must be zero
    ({"diamond": {"callback_interval_days": 0}}, "callback_interval_days"),
    ({"diamond": {"callback_interval_days": 367}}, "callback_interval_days"),
])
def test_threshold_validation(session, change, field):
    from dataclasses import replace

    codes = {t.id: t.code for t in session.scalars(sa.select(Tier))}
    proposed = [replace(t, **change.get(codes[t.id], {})) for t in ladder(session)]
    with pytest.raises(svc.TierError) as refused:
        svc.validate_thresholds(proposed)
    assert refused.value.field == field
    svc.validate_thresholds(ladder(session))  # the defaults are consistent


def test_impact_preview(session):
    from dataclasses import replace

    add_client(session, "G1", "400000", "5000", 4, "standard")
    add_client(session, "G2", "450000", "5000", 4, "standard")
    add_client(session, "P1", "600000", "6000", 5, "gold")
    session.commit()
    codes = {t.id: t.code for t in session.scalars(sa.select(Tier))}
    proposed = [replace(t, min_assets=D(400000)) if codes[t.id] == "gold" else t
                for t in ladder(session)]
    rows = {codes[r["tier_id"]]: r for r in svc.impact(session, proposed)}
    assert rows["gold"]["up"] == 2 and rows["gold"]["stay"] == 1
    assert rows["standard"]["out"] == 2


def test_each_moved_client_has_an_audit_entry_of_its_own(session):
    from admin_app.models import AuditEntry

    up = add_client(session, "UP", "12000000", "150000", 30, "gold")
    same = add_client(session, "SAME", "600000", "6000", 5, "gold")
    session.commit()
    ids = {c.code: c.tier_id for c in session.scalars(sa.select(Client))}
    result = svc.recalculate(session, now=NOW, scope_label="selected")
    session.commit()
    entries = session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "recalculate_tiers", AuditEntry.entity_id.is_not(None))).all()
    assert result.upgraded == 1 and len(entries) == 1
    (entry,) = entries
    diamond = session.scalar(sa.select(Client.tier_id).where(Client.code == "UP"))
    assert entry.entity == "client" and entry.entity_id == str(up.id)
    assert entry.changes == {"tier_id": [ids["UP"], diamond], "scope": "selected"}
    assert entry.at == NOW and str(same.id) not in {e.entity_id for e in entries}
