"""The History panel of every record page: who changed the record, when (in the user's
zone) and what, each field by its label with old → new values as the screens show them
(``audit_changes``), masked for roles that may not see a value.

Whoever may open the record sees its history; the link to all its entries in the audit log
is offered to the roles that may read the audit log."""

from __future__ import annotations

from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _

from ..enums import Capability, RecordType, Resource
from ..extensions import db
from ..models import AuditEntry
from ..permissions import can, masked_fields
from ..services import history
from .access import role_of_current_user
from .audit_changes import action_label, changes_html, describe
from .formatting import datetime_formatter
from .links import list_url
from .sections import Row, Section

KEY = "history"
RECORD_TYPES = frozenset(t.value for t in RecordType) - {RecordType.audit_entry.value,
                                                         RecordType.request.value}


def record_type_of(view: Any) -> str | None:
    """The audit log's name for the view's records (its table), or None when the log
    keeps no history of them (the audit log itself)."""
    table = getattr(view.model, "__tablename__", None)
    return table if table in RECORD_TYPES else None


def panel(view: Any, record: Any) -> Section | None:
    """The History panel of ``record`` on ``view``'s details page."""
    record_type = record_type_of(view)
    if record_type is None or getattr(record, "id", None) is None:
        return None
    role = role_of_current_user()
    masks = masked_fields(role, view.resource)
    latest = history.latest(db.session, record_type, record.id)

    def cells(entry: AuditEntry) -> list[Any]:
        changes = describe(entry.action, entry.entity, entry.changes, masks=masks)
        return [datetime_formatter(None, entry.at, "at"), entry.user or _("System"),
                action_label(entry.action), changes_html(changes)]

    readable = can(role, Resource.audit, Capability.view)
    return Section(
        KEY, _("History"), [_("When"), _("Who"), _("Action"), _("Changes")],
        [Row(None, cells(entry)) for entry in latest.rows], latest.total,
        all_url=list_url("audit", filters={"entity": record_type, "entity_id": str(record.id),
                                           "changes": "1"})
        if readable and latest.total else None,
        all_label=_("All audit entries (%(num)s)", num=format_number(latest.total)))
