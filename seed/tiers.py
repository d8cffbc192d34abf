"""The default tiers and complaint service levels, created when missing."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from admin_app.enums import DEFAULT_TIER_NAMES, TierCode
from admin_app.models import ServiceLevel, Tier
from admin_app.services.complaints import DEFAULT_SERVICE_LEVELS

DEFAULT_TIERS = (
    # code, rank, min assets, min annual contribution, min trades, callback days
    (TierCode.diamond, 1, Decimal("10000000"), Decimal("100000"), 24, 30),
    (TierCode.platinum, 2, Decimal("3000000"), Decimal("30000"), 12, 90),
    (TierCode.gold, 3, Decimal("500000"), Decimal("5000"), 4, 182),
    (TierCode.standard, 4, Decimal("0"), Decimal("0"), 0, 365),
)


def ensure_default_service_levels(session: Session) -> int:
    """Complaint deadlines per severity (critical 1 day, high 3, medium 7, low 15)."""
    existing = set(session.scalars(sa.select(ServiceLevel.severity)))
    missing = [s for s in DEFAULT_SERVICE_LEVELS if s not in existing]
    session.add_all(ServiceLevel(severity=s, days=DEFAULT_SERVICE_LEVELS[s]) for s in missing)
    session.flush()
    return len(missing)


def ensure_default_tiers(session: Session) -> int:
    """Create the default tiers that do not exist yet; returns how many were created."""
    existing = set(session.scalars(sa.select(Tier.code)))
    created = 0
    for code, rank, assets, contribution, trades, days in DEFAULT_TIERS:
        if code in existing:
            continue
        # The default name shows as the code's translated label until an admin renames it.
        session.add(Tier(code=code.value, name=DEFAULT_TIER_NAMES[code], rank=rank,
                         min_assets=assets, min_annual_contribution=contribution,
                         min_trades_12m=trades, callback_interval_days=days))
        created += 1
    session.flush()
    ensure_default_service_levels(session)
    return created
