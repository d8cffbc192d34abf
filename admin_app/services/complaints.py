"""Complaint handling rules."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Complaint, utcnow

REFERENCE_FORMAT = "CP-{year}-{number:06d}"


def next_reference(session: Session, *, now: datetime | None = None) -> str:
    """The next free ``CP-YYYY-NNNNNN`` for the year of ``now``."""
    year = (now or utcnow()).year
    prefix = f"CP-{year}-"
    with session.no_autoflush:  # the caller's new complaint has no reference yet
        last = session.scalar(
            sa.select(sa.func.max(Complaint.reference))
            .where(Complaint.reference.like(prefix + "%"))
        )
    number = int(last[len(prefix):]) + 1 if last else 1
    return REFERENCE_FORMAT.format(year=year, number=number)
