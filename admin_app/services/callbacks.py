"""Callbacks (回访): when a client's next callback falls due, and when it is overdue.

The cadence (docs/domain.md, "The callback cycle"), stated once here and kept by every
write that moves it, in the same transaction as that write:

1. Prospects and closed clients are not due.
2. Any other client is due its tier's ``callback_interval_days`` after its last completed
   callback (``last_callback_at``: the latest *done* visit, of whatever purpose). A client
   never called is due for its new-client callback (新开户客户回访) ``NEW_CLIENT_DAYS``
   after it was created, whatever its tier. A client called but without a tier has no
   cadence (not due).
3. A client made active again (from prospect, dormant or closed) is due at once, and stays
   due on that date until its next callback; a change of its tier or of the tier's
   interval meanwhile doesn't move it.

What is stored is what the date follows, never the date (``Client.next_callback_due`` is
computed): ``cadence_anchor``, the last callback, for a client due by rule 2's interval;
``due_fixed``, a date that follows nothing (the new-client callback, rule 3's date). At
most one is set (a CHECK); neither: not due. So a change of a tier's interval, or of a
client's tier, writes no client at all, and the questions lists ask ("due before X",
"soonest due first") are asked per tier, where due dates are the anchors shifted by one
interval: ``tier_id = T AND cadence_anchor < X - interval(T)`` on the index
``(tier_id, cadence_anchor)``, plus ``due_fixed < X`` on its own index. A first page
sorted by due date merges one short, ordered range per tier (``due_page``).

Who applies it, each in one statement:

- a visit saved, changed or deleted: ``reschedule_from_visits`` re-reads the last callback
  of the visit's clients from their done visits and, where it moved, their schedule;
- a client saved on a form (new, status): ``apply_client_change`` sets the schedule on the
  client's own row as it is saved.

The rule has two forms that agree: SQL expressions for set-based writes
(``schedule_expressions``) and a function of one client's values (``schedule``); tests
hold them to each other.

For reports and operators who query the table, the date is also kept as the column
``client.next_callback_due`` (``Client.due_copy``), which the application never reads:
written with every change above, and after a change of a tier's interval refreshed in
batches once the change is saved (``refresh_due_copies``; ``flask refresh-callback-dates``
refreshes every client).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import sql
from ..enums import ClientStatus, VisitStatus
from ..models import Client, Tier, UTCDateTime, Visit, utcnow

NEW_CLIENT_DAYS = 7
NOT_DUE = (ClientStatus.prospect, ClientStatus.closed)
SCHEDULE = ("last_callback_at", "cadence_anchor", "due_fixed", "due_copy")


# --- the rule, for one client -------------------------------------------------------------


def schedule(status: ClientStatus | str, last_callback_at: datetime | None,
             created_at: datetime) -> tuple[datetime | None, datetime | None]:
    """Rules 1 and 2: ``(cadence_anchor, due_fixed)`` of a client with these values."""
    if ClientStatus(status) in NOT_DUE:
        return None, None
    if last_callback_at is None:
        return None, created_at + timedelta(days=NEW_CLIENT_DAYS)
    return last_callback_at, None


def due_date(anchor: datetime | None, fixed: datetime | None,
             interval_days: int | None) -> datetime | None:
    """The due date a schedule gives under an interval (``Client.next_callback_due``)."""
    if fixed is not None:
        return fixed
    if anchor is None or interval_days is None:
        return None
    return anchor + timedelta(days=interval_days)


def cadence_due(status: ClientStatus | str, last_callback_at: datetime | None,
                created_at: datetime, interval_days: int | None) -> datetime | None:
    """Rules 1 and 2 as a date: when a client with these values falls due."""
    return due_date(*schedule(status, last_callback_at, created_at), interval_days)


def is_overdue(client: Client, now: datetime) -> bool:
    """Is this client (loaded) past its due date?"""
    due = client.next_callback_due
    return due is not None and due < now


# --- the rule, in SQL ---------------------------------------------------------------------


def schedule_expressions(last_callback_at: Any) -> dict[str, sa.ColumnElement[Any]]:
    """``schedule`` over the client table, for a last callback given as an SQL expression:
    the values of ``cadence_anchor`` and ``due_fixed`` for an UPDATE, and of the report
    copy of the date they give (``due_copy``)."""
    not_due = Client.status.in_(NOT_DUE)
    first_call = sql.add_days(Client.created_at, sa.literal(NEW_CLIENT_DAYS))
    return {
        "cadence_anchor": sa.case((not_due, sa.null()), else_=last_callback_at),
        "due_fixed": sa.case((not_due, sa.null()), (last_callback_at.is_(None), first_call),
                             else_=sa.null()),
        "due_copy": sa.case(
            (not_due, sa.null()), (last_callback_at.is_(None), first_call),
            else_=sql.add_days(last_callback_at, interval_of_tier(Client.tier_id))),
    }


def interval_of_tier(tier_id: Any) -> sa.ScalarSelect[Any]:
    """The callback interval of the tier ``tier_id`` (an expression) as a subquery."""
    return (sa.select(Tier.callback_interval_days).where(Tier.id == tier_id)
            .correlate_except(Tier).scalar_subquery())


def due_copy_expression(interval_days: Any) -> sa.ColumnElement[Any]:
    """The report copy of the due date of each client, under the interval
    ``interval_days`` (an SQL expression) for the clients on a cadence."""
    return sa.case((Client.due_fixed.is_not(None), Client.due_fixed),
                   else_=sql.add_days(Client.cadence_anchor, interval_days))


# --- questions about due dates, per tier --------------------------------------------------


def tier_intervals(session: Session) -> dict[int, int]:
    """Each tier's callback interval in days, by tier id (a handful of rows)."""
    return {tier_id: days for tier_id, days in session.execute(
        sa.select(Tier.id, Tier.callback_interval_days)).all()}


def _branches(intervals: Mapping[int, int]) -> list[tuple[sa.ColumnElement[bool], Any,
                                                          timedelta]]:
    """The clients split by what their date follows: (criterion, stored column, shift from
    the column to the due date). Every due client is in exactly one."""
    found: list[tuple[sa.ColumnElement[bool], Any, timedelta]] = [
        (Client.due_fixed.is_not(None), Client.due_fixed, timedelta(0))]
    for tier_id, days in sorted(intervals.items()):
        found.append((sa.and_(Client.tier_id == tier_id, Client.cadence_anchor.is_not(None)),
                      Client.cadence_anchor, timedelta(days=days)))
    return found


def _range(column: Any, shift: timedelta, start: datetime | None,
           end: datetime | None) -> list[sa.ColumnElement[bool]]:
    bounds = []
    if start is not None:
        bounds.append(column >= sa.literal(start - shift, UTCDateTime))
    if end is not None:
        bounds.append(column < sa.literal(end - shift, UTCDateTime))
    return bounds


def due_between(session: Session, start: datetime | None,
                end: datetime | None) -> sa.ColumnElement[bool]:
    """Clients due from ``start`` (inclusive) to ``end`` (exclusive); None leaves that
    side open. One range of an index per tier, and one of the fixed dates."""
    intervals = tier_intervals(session)
    return sa.or_(*(sa.and_(criterion, *_range(column, shift, start, end))
                    for criterion, column, shift in _branches(intervals)))


def overdue_criterion(session: Session, now: datetime) -> sa.ColumnElement[bool]:
    """Clients whose next callback fell due before ``now`` (never those not due)."""
    return due_between(session, None, now)


def is_due() -> sa.ColumnElement[bool]:
    """Clients with a due date (a fixed one, or an anchor and a tier)."""
    return sa.or_(Client.due_fixed.is_not(None),
                  sa.and_(Client.cadence_anchor.is_not(None), Client.tier_id.is_not(None)))


def count_due_between(session: Session, start: datetime | None, end: datetime | None,
                      *where: sa.ColumnElement[bool]) -> int:
    """How many clients (meeting ``where``) are due from ``start`` to ``end``: the sum of
    one count per tier, each over one range of an index."""
    parts = [sa.select(sa.func.count()).select_from(Client)
             .where(criterion, *_range(column, shift, start, end), *where).scalar_subquery()
             for criterion, column, shift in _branches(tier_intervals(session))]
    return int(session.scalar(sa.select(sum(parts[1:], parts[0]))) or 0)


def count_query_by_tier(session: Session, count_query: Any, start: datetime | None,
                        end: datetime | None) -> Any:
    """``count_query`` (an ORM query counting clients) for those due from ``start`` to
    ``end``, as the sum of one count per tier (``count_due_between``'s way), a query
    whose ``scalar()`` is the number."""
    parts = [count_query.filter(criterion, *_range(column, shift, start, end))
             .scalar_subquery()
             for criterion, column, shift in _branches(tier_intervals(session))]
    return session.query(sum(parts[1:], parts[0]))


def due_page(session: Session, query: Any, *, offset: int, limit: int | None,
             descending: bool = False, start: datetime | None = None,
             end: datetime | None = None) -> list[Client]:
    """The clients of ``query`` (an ORM query of clients, filtered) from ``offset``,
    sorted by due date (then id), those not due last. ``start`` and ``end`` say what due
    dates the query's filters keep, when they say (a queue of due dates): each tier's
    range is then read from there, not from its first client.

    Read per tier: the first ``offset + limit`` clients of each tier in the order of their
    anchor (the order of their due date) and as many of the fixed dates, merged; then the
    clients not due, if the page reaches them. The cost grows with the page, not with the
    table."""
    base = query.order_by(None)
    wanted = None if limit is None else offset + limit
    keys: list[tuple[datetime, int]] = []
    for criterion, column, shift in _branches(tier_intervals(session)):
        order = (column.desc(), Client.id.desc()) if descending else (column, Client.id)
        rows = (base.filter(criterion, *_range(column, shift, start, end))
                .with_entities(Client.id, column).order_by(*order))
        if wanted is not None:
            rows = rows.limit(wanted)
        keys.extend((value + shift, client_id) for client_id, value in rows)
    keys.sort(reverse=descending)
    ids = [client_id for _due, client_id in keys[offset:wanted]]
    if wanted is None or len(keys) < wanted:  # every due client is in ``keys``
        rest = base.filter(sa.not_(is_due())).with_entities(Client.id).order_by(Client.id)
        rest = rest.offset(max(offset - len(keys), 0))
        if wanted is not None:
            rest = rest.limit(wanted - max(offset, len(keys)))
        ids.extend(client_id for (client_id,) in rest)
    return _in_order(base, ids)


def _in_order(query: Any, ids: Sequence[int]) -> list[Client]:
    if not ids:
        return []
    found = {client.id: client for client in query.filter(Client.id.in_(ids))}
    return [found[i] for i in ids if i in found]


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
    (leaving out ``excluding_visit``, one about to be deleted) and, where it moved, its
    schedule by rules 1-2 (a date brought forward gives way to the new callback).
    ``clients`` is ids or a SELECT of them (None: every client). One UPDATE; returns how
    many clients it changed."""
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
        statement.values(last_callback_at=latest, **schedule_expressions(latest))
        .execution_options(synchronize_session=False))
    _forget_schedules(session)
    return int(getattr(result, "rowcount", 0) or 0)


def apply_client_change(session: Session, client: Client, *,
                        now: datetime | None = None) -> None:
    """Before a screen saves ``client``: its schedule as the save moves it. A new client
    gets its first (rules 1-2); one made prospect or closed none; one made active again is
    due at once (rule 3); one leaving prospect or closed for dormant goes back to its
    cadence (active to dormant keeps its date). A change of tier needs nothing: the date
    follows the tier the client is in."""
    with session.no_autoflush:  # the history of the save must still be there to read
        _apply_client_change(client, now or utcnow())


def _apply_client_change(client: Client, now: datetime) -> None:
    _apply_status(client, now)
    interval = client.tier.callback_interval_days if client.tier is not None else None
    due = due_date(client.cadence_anchor, client.due_fixed, interval)
    if due != client.due_copy:
        client.due_copy = due


def _apply_status(client: Client, now: datetime) -> None:
    state: Any = sa.inspect(client)
    if state.transient or state.pending:
        if client.created_at is None:
            client.created_at = now
        client.cadence_anchor, client.due_fixed = schedule(
            client.status, client.last_callback_at, client.created_at)
        return
    status = ClientStatus(client.status)
    changed = state.attrs.status.history.deleted
    before = ClientStatus(changed[0]) if changed and changed[0] is not None else status
    if before == status:
        return
    if status is ClientStatus.active:
        client.cadence_anchor, client.due_fixed = None, now
    elif status in NOT_DUE or before in NOT_DUE:
        client.cadence_anchor, client.due_fixed = schedule(
            status, client.last_callback_at, client.created_at)


COPY_BATCH = 20_000  # client ids per statement of a refresh of the report copy


def refresh_due_copies(session: Session, *, tier_id: int | None = None,
                       batch: int = COPY_BATCH) -> int:
    """The report copy of the due date (``due_copy``) of the clients on a cadence of
    ``tier_id`` (None: of every client) written again, in batches of ids, each its own
    transaction, so that other writers wait for one batch at most. Only copies that differ
    are written. Returns how many changed."""
    scope: list[sa.ColumnElement[bool]] = []
    if tier_id is not None:
        scope = [Client.tier_id == tier_id, Client.cadence_anchor.is_not(None)]
    low, high = session.execute(sa.select(sa.func.min(Client.id), sa.func.max(Client.id))
                                .where(*scope)).one()
    session.commit()
    if low is None:
        return 0
    due = sa.type_coerce(due_copy_expression(interval_of_tier(Client.tier_id)), UTCDateTime())
    changed = 0
    for start in range(low, high + 1, batch):
        result = session.execute(
            sa.update(Client)
            .where(Client.id >= start, Client.id < start + batch, *scope,
                   sql.moments_differ(Client.due_copy, due))
            .values(due_copy=due)
            .execution_options(synchronize_session=False))
        session.commit()
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def _forget_schedules(session: Session) -> None:
    """The clients the session holds read their schedule again after a set-based write."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Client):
            session.expire(instance, list(SCHEDULE))
