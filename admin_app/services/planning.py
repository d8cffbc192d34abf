"""Planning callbacks (计划回访) for many clients at once: one planned callback visit per
client, on the client's due date, for the client's advisor to make.

A client is skipped, and counted by why, when it has no due date (prospects, closed
accounts), when it has no active advisor to make the call (nobody is assigned work
they did not ask for: give the client an advisor, then plan again), or when a callback
is already planned for it (a scheduled or new-client callback still planned, whatever
its date), so that planning twice plans nothing new. A client already overdue is
planned for now, not for the past.

Set-based: one aggregate query counts the reasons, one INSERT … SELECT writes an audit
entry for each client planned for (its History says so) and one the visits, so a million
clients are planned without loading one into Python.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy.orm import Session, aliased

from .. import sql
from ..enums import AuditAction, VisitChannel, VisitPurpose, VisitStatus
from ..models import Client, User, UTCDateTime, Visit, utcnow
from . import audit, callbacks

CHANNEL = VisitChannel.phone
PURPOSE = VisitPurpose.scheduled_callback
# A callback still planned with one of these purposes is the one planning would add.
SAME_CALL = (VisitPurpose.scheduled_callback, VisitPurpose.new_client_callback)
LOCK_KEY = 0x636C_6270  # "clbp": plans made one at a time (sql.hold_named_lock)


@dataclass
class PlanResult:
    planned: int = 0
    already_planned: int = 0
    no_due_date: int = 0
    no_advisor: int = 0

    @property
    def skipped(self) -> int:
        return self.already_planned + self.no_due_date + self.no_advisor


def already_planned() -> sa.Exists:
    """The client has a callback still planned."""
    return sa.exists().where(Visit.client_id == Client.id,
                             Visit.status == VisitStatus.planned, Visit.purpose.in_(SAME_CALL))


def plan_callbacks(session: Session, *, scope: sa.Select[Any] | None = None,
                   actor: User | None = None, now: datetime | None = None,
                   scope_label: str = "all") -> PlanResult:
    """Plan a callback for each client in ``scope`` (a SELECT of client ids; None for
    every client) that is due, has an active advisor and has none planned. Flushes; the
    caller commits."""
    now = now or utcnow()
    session.flush()
    sql.hold_named_lock(session, LOCK_KEY)
    advisor = aliased(User)
    due = callbacks.is_due()
    advised = advisor.is_active.is_(True)  # false where there is no advisor to join
    planned = already_planned()
    in_scope: Any = sa.true() if scope is None else Client.id.in_(scope)
    clients = (sa.select(sa.func.count().filter(~due),
                         sa.func.count().filter(due, ~advised),
                         sa.func.count().filter(due, advised, planned),
                         sa.func.count().filter(due, advised, ~planned))
               .select_from(Client).outerjoin(advisor, advisor.id == Client.advisor_id)
               .where(in_scope))
    result = PlanResult()
    (result.no_due_date, result.no_advisor, result.already_planned,
     result.planned) = session.execute(clients).one()
    moment = sa.literal(now, UTCDateTime)
    when = sa.case((Client.next_callback_due < moment, moment), else_=Client.next_callback_due)
    rows = (sa.select(Client.id, Client.advisor_id, sa.literal(CHANNEL.value),
                      sa.literal(PURPOSE.value), sa.literal(VisitStatus.planned.value), when)
            .join(advisor, advisor.id == Client.advisor_id)
            .where(in_scope, due, advised, ~planned))
    # Each client planned for has an entry in its History (written before the visits: the
    # same clients as ``rows``).
    planned_for = rows.with_only_columns(Client.id.label("client_id")).subquery()
    audit.record_each(session, action=AuditAction.plan_callbacks.value, entity="client",
                      ids=planned_for.c.client_id, actor=actor, now=now,
                      changes=sql.json_object_of("scope", sa.literal(scope_label)),
                      source=planned_for)
    # The same clients as the last count (planning runs one at a time): the driver's row
    # count of an INSERT … SELECT is not reliable on every engine (-1 on psycopg).
    session.execute(sa.insert(Visit).from_select(
        ["client_id", "staff_id", "channel", "purpose", "status", "scheduled_for"], rows))
    audit.record(session, action=AuditAction.plan_callbacks, entity="visit", actor=actor,
                 now=now, changes={"scope": scope_label, **asdict(result)})
    session.flush()
    return result


def summary(result: PlanResult) -> str:
    """"Callbacks planned: 12; 5 skipped: 3 already planned, 1 without a due date, 1
    without an active advisor", translated, the counts grouped as the locale writes them."""
    text: str = _("Callbacks planned: %(count)s", count=format_number(result.planned))
    if not result.skipped:
        return text
    reasons = [
        _("%(n)s already planned", n=format_number(result.already_planned))
        if result.already_planned else None,
        _("%(n)s without a due date", n=format_number(result.no_due_date))
        if result.no_due_date else None,
        _("%(n)s without an active advisor", n=format_number(result.no_advisor))
        if result.no_advisor else None,
    ]
    return str(_("%(planned)s; %(skipped)s skipped: %(reasons)s", planned=text,
             skipped=format_number(result.skipped),
             reasons=_(", ").join(reason for reason in reasons if reason)))
