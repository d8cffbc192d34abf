"""A record's history: the audit entries about it, the latest first, as every record page
shows them (who, when, what).

Read on the index ``(entity, entity_id, at)``: the latest few and their count cost the same
for a record with three entries as for one with thousands, in a log of any size."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from ..enums import AuditAction
from ..models import AuditEntry
from . import audit
from .client_overview import Latest, latest_of

LATEST = 20  # entries a record page shows


def about(record_type: str, record_id: Any) -> sa.ColumnElement[bool]:
    """The entries about one record (``record_type`` is its table's name) that change it:
    not the records of who read its personal data (``view_pii``), which the audit log
    keeps for the firm's confidentiality reviews."""
    return sa.and_(AuditEntry.entity == record_type, AuditEntry.entity_id == str(record_id),
                   AuditEntry.action != AuditAction.view_pii.value)


def record_pii_read(session: Session, record_type: str, record_id: Any, *, actor: Any,
                    ip: str | None) -> None:
    """Who saw the record's personal data unmasked (客户信息保密): an entry the caller
    commits with the page that showed it."""
    audit.record(session, action=AuditAction.view_pii.value, entity=record_type,
                 entity_id=record_id, actor=actor, ip=ip)


def latest(session: Session, record_type: str, record_id: Any, *,
           limit: int = LATEST) -> Latest[AuditEntry]:
    """The newest ``limit`` entries about the record, with who made each, and how many
    there are in all."""
    query = (sa.select(AuditEntry).options(joinedload(AuditEntry.user))
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    return latest_of(session, query, AuditEntry, about(record_type, record_id), limit)
