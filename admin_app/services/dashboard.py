"""Dashboard figures, each one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import Client, Complaint, Tier, utcnow
from . import callbacks, complaints


@dataclass
class Summary:
    cards: list[tuple[str, Any, int]] = field(default_factory=list)  # key, label, value
    tiers: list[tuple[str, int]] = field(default_factory=list)


def summary(session: Session, *, now: datetime | None = None) -> Summary:
    now = now or utcnow()
    clients = session.scalar(sa.select(sa.func.count()).select_from(Client)) or 0
    overdue_callbacks = callbacks.count_due_between(session, None, now)
    open_complaints = session.scalar(
        sa.select(sa.func.count()).select_from(Complaint).where(complaints.open_criterion())
    ) or 0
    overdue_complaints = session.scalar(
        sa.select(sa.func.count()).select_from(Complaint)
        .where(complaints.overdue_criterion(now))
    ) or 0
    per_tier = session.execute(
        sa.select(Tier, sa.func.count(Client.id))
        .outerjoin(Client, Client.tier_id == Tier.id)
        .group_by(Tier.id)
        .order_by(Tier.rank)
    ).all()
    return Summary(
        cards=[
            ("clients", _l("Clients"), clients),
            ("overdue_callbacks", _l("Overdue callbacks"), overdue_callbacks),
            ("open_complaints", _l("Open complaints"), open_complaints),
            ("overdue_complaints", _l("Complaints past deadline"), overdue_complaints),
        ],
        tiers=[(str(tier), count) for tier, count in per_tier],
    )
