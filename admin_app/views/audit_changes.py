"""How an audit entry reads on the screens: its action and record type by their translated
labels, and its stored changes (JSON: column codes, enum codes, UTC ISO times) as a list of
field label, old value → new value, each value shown as the screens show that field.

The JSON keeps two shapes: ``{column: [old, new]}`` for records created, edited and deleted
through the screens, and ``{detail: value}`` for the other actions (a complaint step, a
tier recalculation, an export, a failed log-in). Anything not known here -- an action,
record type or field of older data -- is shown as it is stored, never refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..enums import AuditAction, ComplaintStatus, RecordType
from ..extensions import db
from ..i18n import LANGUAGE_NAMES, zone_label
from ..labels import COLUMN_LABELS
from ..permissions import Mask
from ..services.complaints import BY_NAME as COMPLAINT_STEPS
from .formatting import display, stored_value

EMPTY = "—"
Render = Callable[[Any], str]


@dataclass(frozen=True)
class Change:
    """One line of an entry's changes, as text (escaped when rendered). ``old is None``:
    one value, no before (a creation, or a detail of an action)."""

    field: str
    new: str
    old: str | None = None


def action_label(code: str | None) -> str:
    return AuditAction.label_for(code)


def record_type_label(code: str | None) -> str:
    return RecordType.label_for(code)


# --- details of the actions that are not a record's columns ---------------------------

def _text(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return display(value)


def _labelled(labels: Mapping[str, Any]) -> Render:
    return lambda value: str(labels.get(value, _text(value)))


SCOPES = {
    "selected": _l("Selected rows"),
    "filtered": _l("The list as searched and filtered"),
    "list": _l("The list as searched and filtered"),
    "all": _l("All clients"),
    "cli": _l("Command line"),
}
# How far an export went (services/exports: started, then finished or cut off).
EXPORT_STATUSES = {
    "started": _l("Started, not yet completed"),
    "finished": _l("Finished"),
    "cut off": _l("Cut off before the end"),
}
# An export names its list by the screen's endpoint, or (command line) by the export's name.
EXPORTED_LISTS = {
    "client": RecordType.client, "clients": RecordType.client,
    "visit": RecordType.visit, "visits": RecordType.visit,
    "event": RecordType.event, "events": RecordType.event,
    "complaint": RecordType.complaint, "complaints": RecordType.complaint,
    "audit": RecordType.audit_entry,
}


def _exported_list(value: Any) -> str:
    return record_type_label(EXPORTED_LISTS.get(value, value))


def _filters(value: Any) -> str:
    """An export's filters as the list showed them: "名称 包含 王; …"."""
    if not isinstance(value, list) or not all(isinstance(f, list) for f in value):
        return _text(value)
    return "; ".join(" ".join(_text(part) for part in f) for f in value) or EMPTY


def _step(value: Any) -> str:
    step = COMPLAINT_STEPS.get(value) if isinstance(value, str) else None
    return str(step.label) if step is not None else _text(value)


def _column_names(value: Any) -> str:
    """Column keys as the screens name them: "Phone, ID number"."""
    if not isinstance(value, list):
        return _text(value)
    return _(", ").join(column_label(str(key)) for key in value)


def _format(value: Any) -> str:
    return value.upper() if isinstance(value, str) else _text(value)


def _password(value: Any) -> str:
    return _("changed") if value == "changed" else _text(value)


# action -> {key: (label, how its value reads)}; looked up before the record's columns.
DETAILS: dict[str, dict[str, tuple[Any, Render]]] = {
    AuditAction.transition: {
        "step": (_l("Step"), _step),
        "note": (_l("Note"), _text),
        "open_hours": (_l("Hours open"), _text),
        "breached": (_l("Past deadline"), _text),
    },
    AuditAction.recalculate_tiers: {
        "scope": (_l("Scope"), _labelled(SCOPES)),
        "upgraded": (_l("Upgraded"), _text),
        "downgraded": (_l("Downgraded"), _text),
        "unchanged": (_l("Unchanged"), _text),
        "locked_skipped": (_l("Locked, skipped"), _text),
        "dry_run": (_l("Dry run"), _text),
    },
    AuditAction.export: {
        "list": (_l("List"), _exported_list),
        "format": (_l("Format"), _format),
        "scope": (_l("Scope"), _labelled(SCOPES)),
        "search": (_l("Search"), _text),
        "filters": (_l("Filters"), _filters),
        "sort": (_l("Sorted by"), _text),
        "descending": (_l("Descending"), _text),
        "expected_rows": (_l("Rows expected"), _text),
        "rows": (_l("Rows"), _text),
        "status": (_l("Export status"), _labelled(EXPORT_STATUSES)),
        "started_entry": (_l("Started in audit entry"), _text),
        "personal_data": (_l("Personal data, unmasked"), _column_names),
    },
    AuditAction.login_failed: {
        "locked": (_l("Account locked"), _text),
    },
    AuditAction.refused: {
        "method": (_l("Method"), _text),
        "url": (_l("Address"), _text),
    },
    AuditAction.login_throttled: {
        "attempts": (_l("Refused attempts so far"), _text),
    },
    AuditAction.seed: {
        "clients": (_l("Clients"), _text),
        "visits": (_l("Visits"), _text),
        "events": (_l("Events"), _text),
        "attendances": (_l("Attendance"), _text),
        "complaints": (_l("Complaints"), _text),
        "tier_changes": (_l("Tier changes"), _text),
    },
}
ANY_ACTION: dict[str, tuple[Any, Render]] = {
    "password": (COLUMN_LABELS["password"], _password),
    "reason": (_l("Reason for the change"), _text),  # a sensitive change's (forms.reasons)
}
# Fields shown by a rule of their own on the screens too.
SPECIAL_COLUMNS: dict[tuple[str, str], Render] = {
    ("user", "locale"): lambda value: LANGUAGE_NAMES.get(value, _text(value)),
    ("user", "timezone"): lambda value: zone_label(value) if value else EMPTY,
}


# --- a record's columns -----------------------------------------------------------------

def _mapped_class(table: sa.Table) -> Any:
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def reference_name(table: sa.Table, key: Any) -> str:
    """The display name of the referenced record, as the screens name it; ``#id`` when it
    is gone."""
    cls = _mapped_class(table)
    record = db.session.get(cls, key) if cls is not None else None
    return str(record) if record is not None else f"#{key}"


def column_label(key: str) -> str:
    """The form's label of a column: a reference (``tier_id``) by its relation (``tier``)."""
    label = COLUMN_LABELS.get(key)
    if label is None and key.endswith("_id"):
        label = COLUMN_LABELS.get(key[:-3])
    return str(label) if label is not None else key


def _column_render(entity: str, column: sa.Column[Any], masks: Mapping[str, Mask],
                   lookup: Callable[[sa.Table, Any], str]) -> Render:
    special = SPECIAL_COLUMNS.get((entity, column.key))
    foreign = next(iter(column.foreign_keys), None)
    try:
        python_type: type | None = column.type.python_type
    except NotImplementedError:
        python_type = None

    def render(value: Any) -> str:
        if value is None or value == "" or isinstance(value, list | dict):
            return _text(value)
        if column.key in masks and isinstance(value, str):
            return masks[column.key](value)
        if special is not None:
            return special(value)
        if foreign is not None and isinstance(value, int | str):
            return lookup(foreign.column.table, value)
        return stored_value(python_type, value)

    return render


def _field(action: str, entity: str, key: str, masks: Mapping[str, Mask],
           lookup: Callable[[sa.Table, Any], str]) -> tuple[str, Render]:
    detail = DETAILS.get(action, {}).get(key) or ANY_ACTION.get(key)
    if detail is not None:
        return str(detail[0]), detail[1]
    table = db.metadata.tables.get(entity)
    column = table.c.get(key) if table is not None else None
    if column is not None:
        return column_label(key), _column_render(entity, column, masks, lookup)
    return column_label(key), _text


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and \
        not any(isinstance(side, list | dict) for side in value)


def describe(action: str, entity: str, stored: Any, *, masks: Mapping[str, Mask] | None = None,
             lookup: Callable[[sa.Table, Any], str] = reference_name) -> list[Change]:
    """The changes of an entry, in the interface language and the user's time zone.

    ``masks``: the record type's confidential columns, for a role that may not see them."""
    if stored in (None, {}, []):
        return []
    if not isinstance(stored, dict):
        return [Change(str(COLUMN_LABELS["changes"]), _text(stored))]
    masks = masks or {}
    changes = []
    if action == AuditAction.transition and {"from", "to"} <= stored.keys():
        changes.append(Change(str(COLUMN_LABELS["status"]),
                              ComplaintStatus.label_for(stored["to"]),
                              ComplaintStatus.label_for(stored["from"])))
        stored = {k: v for k, v in stored.items() if k not in ("from", "to")}
    for key, value in stored.items():
        label, render = _field(action, entity, str(key), masks, lookup)
        if not _is_pair(value):
            changes.append(Change(label, render(value)))
        elif action == AuditAction.create:
            changes.append(Change(label, render(value[1])))
        elif action == AuditAction.delete:
            changes.append(Change(label, render(value[0])))
        else:
            changes.append(Change(label, render(value[1]), render(value[0])))
    return changes


# --- HTML -------------------------------------------------------------------------------

def changes_html(changes: list[Change], limit: int | None = None) -> Markup:
    """The changes as a list, every value escaped; after ``limit`` lines, how many more."""
    shown = changes if limit is None else changes[:limit]
    lines = []
    for change in shown:
        if change.old is None:
            value = Markup('<span class="audit-new">{}</span>').format(change.new)
        else:
            value = Markup('<span class="audit-old">{}</span> → '
                           '<span class="audit-new">{}</span>').format(change.old, change.new)
        field = Markup('<span class="audit-field">{}</span>').format(change.field)
        lines.append(Markup("<li>{}</li>").format(
            Markup(_("%(field)s: %(value)s", field=field, value=value))))
    hidden = len(changes) - len(shown)
    if hidden:
        lines.append(Markup('<li class="text-muted">{}</li>').format(
            _("… and %(num)d more", num=hidden)))
    if not lines:
        return Markup("")
    return Markup('<ul class="list-unstyled mb-0 audit-changes">{}</ul>').format(
        Markup("").join(lines))


def raw_html(stored: Any) -> Markup:
    """The stored JSON itself, folded away (for those who may see every value in it)."""
    return Markup('<details class="mt-2 audit-raw"><summary>{}</summary>'
                  '<pre class="mb-0">{}</pre></details>').format(
        _("Data as stored"), json.dumps(stored, ensure_ascii=False, indent=2))
