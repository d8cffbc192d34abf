"""The audit log: read-only, for supervisors and admins."""

from __future__ import annotations

import json

from markupsafe import Markup

from ..enums import Resource
from ..labels import COLUMN_LABELS
from ..models import AuditEntry
from .base import SecureModelView


def changes_formatter(view, context, model, name):
    if not model.changes:
        return ""
    return Markup("<code>{}</code>").format(json.dumps(model.changes, ensure_ascii=False))


class AuditView(SecureModelView):
    resource = Resource.audit

    record_model = AuditEntry
    export_spec = "audit"

    column_list = ("at", "user", "action", "entity", "entity_id", "ip", "changes")
    column_searchable_list = ("entity", "entity_id", "action")
    column_sortable_list = ("at", "action", "entity")
    column_default_sort = ("at", True)
    column_filters = ("at", "action", "entity", "entity_id")
    column_labels = COLUMN_LABELS
    column_formatters = {"changes": changes_formatter}
    column_formatters_detail = {"changes": changes_formatter}
