"""Dashboard figures, each one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..enums import ComplaintStatus
from ..models import Client, Complaint, Tier, utcnow


@dataclass
class Summary:
    cards: list[tuple[Any, int, str | None]] = field(default_factory=list)
    tiers: list[tuple[str, int]] = field(default_factory=list)


def summary(session: Session, *, now: datetime | None = None) -> Summary:
    now = now or utcnow()
    clients = session.scalar(sa.select(sa.func.count()).select_from(Client)) or 0
    overdue_callbacks = session.scalar(
        sa.select(sa.func.count()).select_from(Client).where(Client.next_callback_due < now)
    ) or 0
    open_complaints = session.scalar(
        sa.select(sa.func.count()).select_from(Complaint)
        .where(Complaint.status != ComplaintStatus.closed)
    ) or 0
    overdue_complaints = session.scalar(
        sa.select(sa.func.count()).select_from(Complaint)
        .where(Complaint.status != ComplaintStatus.closed, Complaint.due_at < now)
    ) or 0
    per_tier = session.execute(
        sa.select(Tier, sa.func.count(Client.id))
        .outerjoin(Client, Client.tier_id == Tier.id)
        .group_by(Tier.id)
        .order_by(Tier.rank)
    ).all()
    return Summary(
        cards=[
            (_l("Clients"), clients, None),
            (_l("Overdue callbacks"), overdue_callbacks, None),
            (_l("Open complaints"), open_complaints, None),
            (_l("Complaints past deadline"), overdue_complaints, None),
        ],
        tiers=[(str(tier), count) for tier, count in per_tier],
    )
