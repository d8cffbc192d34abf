"""Callbacks (回访): when a client's next callback falls due, and when it is overdue.

The cadence (docs/domain.md, "The callback cycle"), stated once here and kept by every
write that moves it, in the same transaction as that write:

1. Prospects and closed clients are not due: ``next_callback_due`` is NULL.
2. Any other client is due its tier's ``callback_interval_days`` after its last completed
   callback (``last_callback_at``: the latest *done* visit, of whatever purpose). A client
   never called is due for its new-client callback (新开户客户回访) ``NEW_CLIENT_DAYS``
   after it was created, whatever its tier. A client called but without a tier has no
   cadence (NULL). This is the client's *cadence date*.
3. A due date brought forward stays while it is earlier than the cadence date: a client
   made active again (from prospect, dormant or closed) is due at once, and a later change
   of its tier or of the tier's interval moves that date only to an earlier cadence date.
   A due date counts as brought forward when it is earlier than the cadence date it had
   before the change. The next change of the client's last callback replaces it.

Who applies it, each in one statement:

- a visit saved, changed or deleted: ``reschedule_from_visits`` re-reads the last callback
  of the visit's clients from their done visits and, where it moved, puts rule 1-2's date;
- a client saved on a form (new, status, tier chosen by hand): ``apply_client_change``
  sets the date on the client's own row as it is saved;
- a tier recalculation: ``rescheduled_expression`` inside its one UPDATE of the movers;
- a change of a tier's interval: ``reschedule_tier``, one UPDATE of the tier's clients.

The rule has two forms that agree, as the overdue criterion does: SQL expressions for
set-based writes (``due_expression``, ``rescheduled_expression``) and functions of one
client's values (``cadence_due``, ``rescheduled_due``); tests hold them to each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import sql
from ..enums import ClientStatus, VisitStatus
from ..models import Client, Tier, Visit, utcnow

NEW_CLIENT_DAYS = 7
NOT_DUE = (ClientStatus.prospect, ClientStatus.closed)
SCHEDULE = ("last_callback_at", "next_callback_due")


# --- overdue ----------------------------------------------------------------------------


def overdue_criterion(now: datetime) -> sa.ColumnElement[bool]:
    """Clients whose next callback fell due before ``now`` (never those not due: NULL)."""
    return Client.next_callback_due < now


def is_overdue(client: Client, now: datetime) -> bool:
    """``overdue_criterion`` for one client already loaded."""
    return client.next_callback_due is not None and client.next_callback_due < now


# --- the rule, for one client -------------------------------------------------------------


def cadence_due(status: ClientStatus | str, last_callback_at: datetime | None,
                created_at: datetime, interval_days: int | None) -> datetime | None:
    """Rules 1 and 2: the cadence date of a client with these values."""
    if ClientStatus(status) in NOT_DUE:
        return None
    if last_callback_at is None:
        return created_at + timedelta(days=NEW_CLIENT_DAYS)
    if interval_days is None:
        return None
    return last_callback_at + timedelta(days=interval_days)


def rescheduled_due(current: datetime | None, before: datetime | None,
                    after: datetime | None) -> datetime | None:
    """Rule 3: the due date after a change that moves the cadence date from ``before`` to
    ``after``: ``after``, unless ``current`` was brought forward and is earlier still.

    ``before`` is compared in whole seconds: SQLite writes dates computed in SQL without
    their fraction of a second, and such a date is the cadence date, not an earlier one."""
    if current is None or before is None or after is None:
        return after
    if current < before.replace(microsecond=0) and current < after:
        return current
    return after


# --- the rule, in SQL ---------------------------------------------------------------------


def due_expression(interval_days: Any, *, last_callback_at: Any = None) -> sa.ColumnElement[Any]:
    """``cadence_due`` over the client table: ``interval_days`` and ``last_callback_at``
    are SQL expressions (by default the client's own last callback)."""
    last = Client.last_callback_at if last_callback_at is None else last_callback_at
    return sa.case(
        (Client.status.in_(NOT_DUE), sa.null()),
        (last.is_(None), sql.add_days(Client.created_at, sa.literal(NEW_CLIENT_DAYS))),
        else_=sql.add_days(last, interval_days),
    )


def rescheduled_expression(before_days: Any, after_days: Any) -> sa.ColumnElement[Any]:
    """``rescheduled_due`` over the client table, for a change of the interval that applies
    to each client from ``before_days`` to ``after_days`` (SQL expressions)."""
    current = Client.next_callback_due
    after = due_expression(after_days)
    return sa.case(
        (sa.and_(current < due_expression(before_days), current < after), current),
        else_=after,
    )


def interval_of_tier(tier_id: Any) -> sa.ScalarSelect[Any]:
    """The callback interval of the tier ``tier_id`` (an expression) as a subquery."""
    return (sa.select(Tier.callback_interval_days).where(Tier.id == tier_id)
            .scalar_subquery())


# --- writes -------------------------------------------------------------------------------


def clients_of(visit: Visit) -> set[int]:
    """The clients whose schedule a save of ``visit`` may move: its client and, when the
    save moves the visit to another client, the one it leaves. Read before the flush."""
    state: Any = sa.inspect(visit)
    ids = {visit.client_id} if visit.client_id is not None else set()
    if visit.client is not None and visit.client.id is not None:
        ids.add(visit.client.id)
    ids.update(c.id for c in state.attrs.client.history.deleted if c is not None)
    ids.update(i for i in state.attrs.client_id.history.deleted if i is not None)
    return ids


def reschedule_from_visits(session: Session, clients: Iterable[int] | sa.Select[Any] | None,
                           *, excluding_visit: int | None = None) -> int:
    """After visits changed: each client's last callback re-read from its done visits
    (leaving out ``excluding_visit``, one about to be deleted) and, where it moved, the due
    date by rules 1-2. ``clients`` is ids or a SELECT of them (None: every client). One
    UPDATE; returns how many clients it changed."""
    session.flush()
    done = [Visit.client_id == Client.id, Visit.status == VisitStatus.done]
    if excluding_visit is not None:
        done.append(Visit.id != excluding_visit)
    latest = sa.select(sa.func.max(Visit.completed_at)).where(*done).scalar_subquery()
    statement = sa.update(Client).where(Client.last_callback_at.is_distinct_from(latest))
    if clients is not None:
        scope = clients if isinstance(clients, sa.Select) else list(clients)
        if isinstance(scope, list) and not scope:
            return 0
        statement = statement.where(Client.id.in_(scope))
    result = session.execute(
        statement.values(
            last_callback_at=latest,
            next_callback_due=due_expression(interval_of_tier(Client.tier_id),
                                             last_callback_at=latest))
        .execution_options(synchronize_session=False))
    _forget_schedules(session)
    return int(getattr(result, "rowcount", 0) or 0)


def reschedule_tier(session: Session, tier_id: int, *, before_days: int,
                    after_days: int) -> int:
    """After tier ``tier_id``'s callback interval changed from ``before_days`` to
    ``after_days``: the due date of each of its clients that depends on the interval (due,
    and called at least once) by rules 2-3, in one UPDATE. Returns how many.

    Every such client's row is written, and the index on the due date with it: at a
    million clients this takes seconds (see bench/bench_callbacks.py). On SQLite the page
    cache is enlarged meanwhile, which halves it for a large tier."""
    if before_days == after_days:
        return 0
    with sql.roomy_cache(session):
        result = session.execute(
            sa.update(Client)
            .where(Client.tier_id == tier_id, Client.status.not_in(NOT_DUE),
                   Client.last_callback_at.is_not(None))
            .values(next_callback_due=rescheduled_expression(
                sa.literal(before_days, sa.Integer), sa.literal(after_days, sa.Integer)))
            .execution_options(synchronize_session=False))
    _forget_schedules(session)
    return int(getattr(result, "rowcount", 0) or 0)


def apply_client_change(session: Session, client: Client, *,
                        now: datetime | None = None) -> None:
    """Before a screen saves ``client``, once its tier is settled: its due date as the
    save moves it. A new client gets its first date (rules 1-2); one made prospect or
    closed none; one made active again is due at once; one leaving prospect or closed for
    dormant goes back to its cadence; a new tier moves the date by rule 3."""
    with session.no_autoflush:  # the history of the save must still be there to read
        _apply_client_change(client, now or utcnow())


def _apply_client_change(client: Client, now: datetime) -> None:
    state: Any = sa.inspect(client)
    interval = client.tier.callback_interval_days if client.tier is not None else None
    if state.transient or state.pending:
        if client.created_at is None:
            client.created_at = now
        client.next_callback_due = cadence_due(client.status, client.last_callback_at,
                                               client.created_at, interval)
        return
    status = ClientStatus(client.status)
    changed = state.attrs.status.history.deleted
    before = ClientStatus(changed[0]) if changed and changed[0] is not None else status
    cadence = cadence_due(status, client.last_callback_at, client.created_at, interval)
    if status in NOT_DUE:
        due = None
    elif before != status and status is ClientStatus.active:
        due = now
    elif before in NOT_DUE:
        due = cadence
    elif state.attrs.tier.history.has_changes():
        old_tiers = state.attrs.tier.history.deleted
        old = old_tiers[0] if old_tiers else None
        previous = cadence_due(status, client.last_callback_at, client.created_at,
                               old.callback_interval_days if old is not None else None)
        due = rescheduled_due(client.next_callback_due, previous, cadence)
    else:
        return
    client.next_callback_due = due


def _forget_schedules(session: Session) -> None:
    """The clients the session holds read their schedule again after a set-based write."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Client):
            session.expire(instance, list(SCHEDULE))
