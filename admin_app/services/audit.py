"""The audit trail: one function that records who did what, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import MANYTOONE, Session

from ..models import AuditEntry, User, utcnow

SECRET_COLUMNS = frozenset({"password_hash"})


def record(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: Any = None,
    changes: dict[str, Any] | None = None,
    actor: User | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to ``session``; it is written when the caller commits.

    ``actor=None`` means the system itself (CLI commands, seeding)."""
    entry = AuditEntry(
        at=now or utcnow(),
        user_id=actor.id if actor is not None else None,
        action=str(action),
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        changes=changes,
        ip=ip,
    )
    session.add(entry)
    return entry


def record_each(session: Session, *, action: str, entity: str, ids: Any, changes: Any,
                source: Any, actor: User | None = None, ip: str | None = None,
                now: datetime | None = None) -> None:
    """An audit entry for each row of ``source`` (a table or SELECT), in one INSERT …
    SELECT: the record's id is ``ids`` and its changes ``changes`` (SQL expressions over
    ``source``; ``sql.json_object_of`` builds the JSON), for a set-based change that
    touches many records at once (a tier recalculation, planned callbacks)."""
    rows = sa.select(
        sa.literal(now or utcnow(), AuditEntry.__table__.c.at.type),
        sa.literal(actor.id if actor is not None else None, sa.Integer),
        sa.literal(str(action)), sa.literal(entity), sa.cast(ids, sa.String), changes,
        sa.literal(ip, sa.String)).select_from(source)
    session.execute(sa.insert(AuditEntry).from_select(
        ["at", "user_id", "action", "entity", "entity_id", "changes", "ip"], rows))


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # stored times are UTC: naive and aware compare
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def object_changes(obj: Any, *, created: bool = False, deleted: bool = False) -> dict[str, Any]:
    """Column changes of a mapped object as ``{column: [old, new]}`` (JSON-ready).

    Call before the flush that writes the object. Secrets are never copied into the log."""
    state = sa.inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SECRET_COLUMNS or key == "version_id" or \
                attr.columns[0].info.get("derived"):
            continue
        history = state.attrs[key].history
        if deleted:
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [jsonable(value), None]
        elif created:
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, jsonable(value)]
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if jsonable(old) != jsonable(new):
                changes[key] = [jsonable(old), jsonable(new)]
    changes.update(_reference_changes(state, changes, created=created, deleted=deleted))
    if any(key in SECRET_COLUMNS and state.attrs[key].history.has_changes()
           for key in state.mapper.column_attrs.keys()):
        changes["password"] = "changed"
    return changes


def _reference_changes(state: Any, found: dict[str, Any], *, created: bool,
                       deleted: bool) -> dict[str, Any]:
    """A reference changed through its relationship (``client.tier = gold``, as the
    forms do) reaches its column (``tier_id``) only at the flush: read it from the
    relationship, as ``{column: [old id, new id]}``."""
    changes: dict[str, Any] = {}
    if deleted:
        return changes
    for relationship in state.mapper.relationships:
        if relationship.direction is not MANYTOONE or len(relationship.local_columns) != 1:
            continue
        (column,) = relationship.local_columns
        key = state.mapper.get_property_by_column(column).key
        history = state.attrs[relationship.key].history
        if key in found or not history.added:
            continue
        new = _identity(history.added[0])
        old = None if created else state.attrs[key].value  # the column, not yet flushed
        if new != old:
            changes[key] = [old, new]
    return changes


def _identity(obj: Any) -> Any:
    if obj is None:
        return None
    identity = sa.inspect(obj).identity
    return identity[0] if identity else None
