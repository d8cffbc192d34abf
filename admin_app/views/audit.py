"""The audit log: read-only, for supervisors and admins. Actions and record types show by
their translated labels, the changes as a readable list (``audit_changes``). Filtered by
user, action, record type, record id and period (the time filters), each on an index that
starts with its column and ends with the time, so a filtered page reads only its rows."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.filters import (
    FilterEqual,
    FilterLike,
    FilterNotEqual,
    FilterNotLike,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..enums import AuditAction, RecordType, Resource
from ..labels import COLUMN_LABELS
from ..models import AuditEntry
from ..permissions import masked_fields
from .access import role_of_current_user
from .audit_changes import action_label, changes_html, describe, raw_html, record_type_label
from .base import SecureModelView
from .filters import QueueFilter, UserFilter
from .formatting import datetime_formatter

LIST_LINES = 4  # changes shown per row of the list; the details page shows them all


def _changes(model: AuditEntry) -> Any:
    masks = masked_fields(role_of_current_user(), model.entity)
    return describe(model.action, model.entity, model.changes, masks=masks), masks


def changes_formatter(view: Any, context: Any, model: AuditEntry, name: str) -> Markup:
    changes, _masks = _changes(model)
    return changes_html(changes, limit=LIST_LINES)


def changes_detail_formatter(view: Any, context: Any, model: AuditEntry, name: str) -> Markup:
    """Every change; the JSON as stored too, folded, for those who may see all of it."""
    changes, masks = _changes(model)
    shown = changes_html(changes)
    if model.changes and not masks:
        shown += raw_html(model.changes)
    return shown


def _code_filters(column: Any, name: Any, options: Any) -> list[Any]:
    return [FilterEqual(column, name, options=options),
            FilterNotEqual(column, name, options=options)]


class AuditView(SecureModelView):
    resource = Resource.audit

    record_model = AuditEntry
    export_spec = "audit"

    column_list = ("at", "user", "action", "entity", "entity_id", "ip", "changes")
    # No search box: the filters (user, action, record type, record id, period) find
    # entries on the indexes; a text search would read all ten million of them.
    count_cap = 10_000
    column_sortable_list = ("at", "action", "entity")
    column_default_sort = ("at", True)
    column_filters = (
        "at",
        UserFilter(AuditEntry.user_id, COLUMN_LABELS["user"], key="user"),
        # What a record's History panel shows: every entry but the reads of personal data.
        QueueFilter("changes", AuditEntry.action, _l("Changes only (no reads)"),
                    lambda value: AuditEntry.action != AuditAction.view_pii.value),
        *_code_filters(AuditEntry.action, COLUMN_LABELS["action"], AuditAction.choices()),
        *_code_filters(AuditEntry.entity, COLUMN_LABELS["entity"], RecordType.choices()),
        # "equals" first: the one links name ("this client's entries": a client's page).
        *(flt(AuditEntry.entity_id, COLUMN_LABELS["entity_id"])
          for flt in (FilterEqual, FilterNotEqual, FilterLike, FilterNotLike)),
    )
    column_labels = COLUMN_LABELS
    column_formatters = {
        "action": lambda v, c, model, n: action_label(model.action),
        "entity": lambda v, c, model, n: record_type_label(model.entity),
        "changes": changes_formatter,
    }
    column_formatters_detail = {**column_formatters, "changes": changes_detail_formatter}

    def record_label(self, model: AuditEntry) -> str:
        """"Updated · Client 12 · 2026-12-01 10:00" (the user's zone)."""
        parts = (str(action_label(model.action)),
                 f"{record_type_label(model.entity)} {model.entity_id or ''}".strip(),
                 datetime_formatter(self, model.at, "at") if model.at else "")
        return " · ".join(part for part in parts if part)
