"""Tier evaluation: one pure rule and a set-based recalculation.

The rule: a client belongs to the highest-ranked tier whose thresholds it meets on every
measure; the lowest tier has zero thresholds and catches everyone. ``evaluate`` states it
for one client; ``tier_expression`` states the same rule as a SQL CASE, so a million
clients are recalculated by the database without loading them. Only clients whose tier
actually changes are written, which is what makes the recalculation fast. A client that
moves, by recalculation or by hand, and the clients of a tier whose callback interval
changes, get their next callback date by the cadence rule of ``callbacks`` in the same
statement that moves them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .. import sql
from ..enums import TierChangeReason
from ..models import Client, Tier, TierChange, User, UTCDateTime, utcnow
from . import audit, callbacks


class TierError(ValueError):
    """A refused threshold change; ``field`` names the form field it belongs to."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Thresholds:
    id: int
    rank: int
    min_assets: Decimal
    min_annual_contribution: Decimal
    min_trades_12m: int
    callback_interval_days: int


@dataclass
class RecalcResult:
    upgraded: int = 0
    downgraded: int = 0
    unchanged: int = 0
    locked_skipped: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> int:
        return self.upgraded + self.downgraded


def load_thresholds(session: Session) -> list[Thresholds]:
    rows = session.scalars(sa.select(Tier).order_by(Tier.rank)).all()
    return [thresholds_of(t) for t in rows]


def thresholds_of(tier: Tier) -> Thresholds:
    return Thresholds(tier.id, tier.rank, Decimal(tier.min_assets),
                      Decimal(tier.min_annual_contribution), int(tier.min_trades_12m),
                      int(tier.callback_interval_days))


def evaluate(assets: Decimal, contribution: Decimal, trades: int,
             tiers: Sequence[Thresholds]) -> Thresholds:
    """The tier for these figures: the highest-ranked one whose thresholds are all met."""
    ordered = sorted(tiers, key=lambda t: t.rank)
    for tier in ordered:
        if (assets >= tier.min_assets and contribution >= tier.min_annual_contribution
                and trades >= tier.min_trades_12m):
            return tier
    return ordered[-1]


def validate_thresholds(tiers: Sequence[Thresholds]) -> None:
    """Raise TierError unless the ladder is consistent (checked before any save)."""
    ordered = sorted(tiers, key=lambda t: t.rank)
    fields = ("min_assets", "min_annual_contribution", "min_trades_12m")
    for tier in ordered:
        for name in fields:
            if getattr(tier, name) < 0:
                raise TierError(_l("Thresholds cannot be negative."), name)
        if not 1 <= tier.callback_interval_days <= 366:
            raise TierError(_l("The callback interval must be between 1 and 366 days."),
                            "callback_interval_days")
    for higher, lower in zip(ordered, ordered[1:], strict=False):
        for name in fields:
            if getattr(lower, name) > getattr(higher, name):
                raise TierError(_l("A threshold cannot be higher than the same threshold of "
                                   "the tier ranked above it."), name)
    lowest = ordered[-1]
    if any(getattr(lowest, name) != 0 for name in fields):
        raise TierError(_l("The lowest tier must have zero thresholds so that it catches "
                           "every client."), next(n for n in fields if getattr(lowest, n)))


def tier_expression(tiers: Sequence[Thresholds], client: Any = Client) -> sa.ColumnElement[Any]:
    """``evaluate`` as a SQL CASE over the client table, giving the new tier id."""
    ordered = sorted(tiers, key=lambda t: t.rank)
    whens = [
        (sa.and_(client.assets >= t.min_assets,
                 client.annual_contribution >= t.min_annual_contribution,
                 client.trades_12m >= t.min_trades_12m), t.id)
        for t in ordered[:-1]
    ]
    if not whens:
        return sa.literal(ordered[-1].id)
    return sa.case(*whens, else_=ordered[-1].id)


def _rank_expression(tiers: Sequence[Thresholds], tier_id: Any) -> sa.ColumnElement[Any]:
    return sa.case({t.id: t.rank for t in tiers}, value=tier_id, else_=len(tiers) + 1)


def _interval_expression(tiers: Sequence[Thresholds], tier_id: Any) -> sa.ColumnElement[Any]:
    """The callback interval of the tier ``tier_id`` (an expression; NULL for no tier)."""
    return sa.case({t.id: t.callback_interval_days for t in tiers}, value=tier_id)


def _in_scope(statement: Any, scope: sa.Select[Any] | None) -> Any:
    return statement if scope is None else statement.where(Client.id.in_(scope))


def hold_tiers(session: Session) -> None:
    """Take the lock that makes tier recalculations (and threshold changes) one at a time,
    until the transaction ends. The movers are then decided with no other writer between
    the decision and the write, so that two recalculations started together can't both
    move the same clients and write their history twice. Creating and editing clients
    goes on meanwhile (on PostgreSQL; SQLite has one writer at a time anyway)."""
    sql.lock_against_writers(session, Tier)


MOVES = sa.table("tier_moves", sa.column("client_id", sa.Integer),
                 sa.column("old_tier", sa.Integer), sa.column("new_tier", sa.Integer))


def recalculate(
    session: Session,
    *,
    scope: sa.Select[Any] | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
    tiers: Sequence[Thresholds] | None = None,
    scope_label: str = "all",
    progress: Callable[[int], None] | None = None,
) -> RecalcResult:
    """Recalculate the tiers of the clients in ``scope`` (a SELECT of client ids; None for
    every client). Locked clients are counted, never moved. Writes a ``tier_change`` row
    for exactly the clients that move, an audit entry for each of them (its tier, old and
    new) and one for the run (scope and counts). Flushes only: the caller commits, so any
    error leaves nothing changed.

    One pass over the clients decides the tier in SQL and keeps only the movers in a
    temporary table; history, audit and the client update then touch just those rows.
    Their next callback dates follow the new tier by themselves (``callbacks``); the
    update writes the copy kept for reports."""
    now = now or utcnow()
    session.flush()
    if not dry_run:
        hold_tiers(session)
    tiers = list(tiers) if tiers is not None else load_thresholds(session)
    result = RecalcResult(dry_run=dry_run)
    if not tiers:
        return result
    new_tier = tier_expression(tiers)
    moving = sa.and_(Client.tier_locked.is_(False),
                     sa.or_(Client.tier_id.is_(None), Client.tier_id != new_tier))
    total, locked = session.execute(_in_scope(sa.select(
        sa.func.count(), sa.func.count().filter(Client.tier_locked.is_(True))), scope)).one()
    result.locked_skipped = locked
    if progress:
        progress(1)
    movers = _in_scope(sa.select(Client.id.label("client_id"), Client.tier_id.label("old_tier"),
                                 new_tier.label("new_tier")).where(moving), scope)
    if dry_run:
        moves: Any = movers.subquery("tier_moves")
    else:
        moves = MOVES
        sql.create_temp_table(session, "tier_moves", movers)
    old_rank = _rank_expression(tiers, moves.c.old_tier)
    new_rank = _rank_expression(tiers, moves.c.new_tier)
    result.upgraded, result.downgraded = session.execute(sa.select(
        sa.func.count().filter(new_rank < old_rank),
        sa.func.count().filter(new_rank > old_rank)).select_from(moves)).one()
    result.unchanged = total - locked - result.changed
    if progress:
        progress(1)
    if not dry_run:
        if result.changed:
            session.execute(sa.insert(TierChange).from_select(
                ["client_id", "from_tier_id", "to_tier_id", "reason", "changed_at",
                 "changed_by_id"],
                sa.select(moves.c.client_id, moves.c.old_tier, moves.c.new_tier,
                          sa.literal(TierChangeReason.recalculation.value),
                          sa.literal(now, UTCDateTime),
                          sa.literal(actor.id if actor is not None else None, sa.Integer))))
            audit.record_each(session, action="recalculate_tiers", entity="client",
                              ids=moves.c.client_id, actor=actor, now=now,
                              changes=sql.json_object_of(
                                  "tier_id", sql.json_array_of(moves.c.old_tier,
                                                               moves.c.new_tier),
                                  "scope", sa.literal(scope_label)),
                              source=moves)
            session.execute(
                sa.update(Client).where(Client.id == moves.c.client_id)
                .values(tier_id=moves.c.new_tier, tier_changed_at=now,
                        due_copy=callbacks.due_copy_expression(
                            _interval_expression(tiers, moves.c.new_tier)),
                        updated_at=now, version_id=Client.version_id + 1)
                .execution_options(synchronize_session=False))
        session.execute(sa.text("DROP TABLE tier_moves"))
    if progress:
        progress(1)
    audit.record(session, action="recalculate_tiers", entity="client", actor=actor, now=now,
                 changes={"scope": scope_label, **asdict(result)})
    session.flush()
    session.expire_all()
    return result


def impact(session: Session, proposed: Sequence[Thresholds]) -> list[dict[str, Any]]:
    """Per tier: how many unlocked clients would move into it up and down, and out of it,
    under ``proposed`` thresholds; computed by one aggregate query."""
    new_tier = tier_expression(proposed)
    rows = session.execute(
        sa.select(Client.tier_id, new_tier.label("new"), sa.func.count())
        .where(Client.tier_locked.is_(False))
        .group_by(Client.tier_id, new_tier)
    ).all()
    rank = {t.id: t.rank for t in proposed}
    table = {t.id: {"tier_id": t.id, "up": 0, "down": 0, "out": 0, "stay": 0}
             for t in proposed}
    for old, new, count in rows:
        if old == new:
            table[new]["stay"] += count
            continue
        old_rank = rank.get(old, len(rank) + 1)
        table[new]["up" if rank[new] < old_rank else "down"] += count
        if old in table:
            table[old]["out"] += count
    return [table[t.id] for t in sorted(proposed, key=lambda t: t.rank)]


def apply_manual_change(session: Session, client: Client, *, actor: User | None = None,
                        now: datetime | None = None) -> None:
    """Before a screen saves ``client``: a client without a tier (a new one, or one whose
    tier was cleared on the form) gets the one its figures earn; a tier picked by hand is
    kept as ``manual`` history. Nothing is flushed meanwhile: the caller saves the client
    once, as it then stands, and what else its save changes is still there to be seen."""
    with session.no_autoflush:
        _settle_tier(session, client, actor=actor, now=now or utcnow())


def _settle_tier(session: Session, client: Client, *, actor: User | None,
                 now: datetime) -> None:
    state: Any = sa.inspect(client)
    removed = state.attrs.tier.history.deleted
    cleared = bool(removed) and client.tier is None
    if cleared or (client.tier_id is None and client.tier is None):
        old_id = removed[0].id if cleared and removed[0] is not None else client.tier_id
        tiers = load_thresholds(session)
        if tiers:
            chosen = evaluate(Decimal(client.assets or 0), Decimal(client.annual_contribution or 0),
                              int(client.trades_12m or 0), tiers)
            client.tier = session.get(Tier, chosen.id)
            if old_id != chosen.id:
                client.tier_changed_at = now
                if old_id is not None:
                    session.add(TierChange(
                        client=client, from_tier_id=old_id, to_tier_id=chosen.id,
                        reason=TierChangeReason.recalculation, changed_at=now,
                        changed_by_id=actor.id if actor else None))
        return
    history = state.attrs.tier.history
    if not history.has_changes():
        return
    old = history.deleted[0] if history.deleted else None
    new = client.tier
    if new is None or (old is not None and old.id == new.id):
        return
    client.tier_changed_at = now
    session.add(TierChange(client=client, from_tier_id=old.id if old else None,
                           to_tier_id=new.id, reason=TierChangeReason.manual, changed_at=now,
                           changed_by_id=actor.id if actor else None))


def apply_interval_change(session: Session, tier: Tier) -> int:
    """Before a screen saves ``tier``: when its callback interval changes, how many of its
    clients' due dates move with it (those that follow the cadence). Nothing is written
    to them: their dates are computed from the interval (``services.callbacks``), so the
    tier's own save moves them all at once; the report copy of their dates is refreshed
    after it (``callbacks.refresh_due_copies``)."""
    changed = sa.inspect(tier).attrs.callback_interval_days.history.deleted
    if tier.id is None or not changed or changed[0] is None:
        return 0
    if int(changed[0]) == int(tier.callback_interval_days):
        return 0
    with session.no_autoflush:
        return int(session.scalar(
            sa.select(sa.func.count()).select_from(Client)
            .where(Client.tier_id == tier.id, Client.cadence_anchor.is_not(None))) or 0)
