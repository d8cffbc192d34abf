"""Client events (客户活动) with their attendance inline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.validators import ValidationError

from ..enums import Resource
from ..extensions import db
from ..forms.validators import Money, NonNegative, NotBefore, Score
from ..labels import COLUMN_LABELS
from ..models import Event, EventAttendance
from ..services import audit, events
from .base import SecureModelView
from .formatting import money
from .lookups import client_lookup, user_lookup


class EventView(SecureModelView):
    resource = Resource.event

    record_model = Event
    export_spec = "events"

    column_list = ("title", "kind", "status", "starts_at", "location", "capacity", "budget",
                   "organizer")
    column_details_list = ("title", "kind", "status", "starts_at", "ends_at", "location",
                           "capacity", "budget", "organizer", "description", "attendances")
    column_searchable_list = ("title", "location")
    column_sortable_list = ("title", "kind", "status", "starts_at", "capacity", "budget")
    column_default_sort = ("starts_at", True)
    column_filters = ("kind", "status", "starts_at", "capacity", "budget")
    column_labels = COLUMN_LABELS
    column_formatters_detail = {
        "attendances": lambda v, c, m, n: ", ".join(
            f"{a.client.name} ({a.status.label})" for a in m.attendances
        ),
    }
    form_columns = ("title", "kind", "status", "starts_at", "ends_at", "location", "capacity",
                    "budget", "organizer", "description", "attendances")
    form_args = {
        "ends_at": {"validators": [NotBefore("starts_at")]},
        "capacity": {"validators": [NonNegative()]},
        "budget": {"validators": [Money()]},
    }
    form_ajax_refs = {"organizer": user_lookup("organizer")}
    details_template = "admin/event_details.html"  # the fields, the evaluation, the history

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["evaluation"] = events.evaluation(db.session, kwargs["model"].id)
            kwargs["money"] = money
        return super().render(template, **kwargs)

    def on_model_change(self, form: Any, model: Event, is_created: bool) -> None:
        """The attendance rows edited inline are audited each as a record of its own
        (added, changed, removed), in the same transaction as the event's save; they keep
        within the event's capacity, and a done or cancelled event takes no new one."""
        rows = self._attendance_changes(model)
        added = sum(1 for action, _row, _changes in rows if action == "create")
        if added and not is_created and model.status in events.CLOSED_EVENTS:
            raise ValidationError(str(events.EVENT_CLOSED))
        if model.capacity is not None and len(model.attendances) > model.capacity:
            raise ValidationError(_("This event has %(count)s people on its list, more than "
                                    "its %(capacity)s places.",
                                    count=format_number(len(model.attendances)),
                                    capacity=format_number(model.capacity)))
        super().on_model_change(form, model, is_created)
        for action, attendance, changes in rows:
            self._audit_row(action, attendance, changes)

    @staticmethod
    def _attendance_changes(model: Event) -> list[tuple[str, EventAttendance, dict[str, Any]]]:
        found = []
        for attendance in db.session.deleted:
            if isinstance(attendance, EventAttendance):
                found.append(("delete", attendance,
                              audit.object_changes(attendance, deleted=True)))
        for attendance in model.attendances:
            state: Any = sa.inspect(attendance)
            if state.pending or state.transient:
                found.append(("create", attendance,
                              audit.object_changes(attendance, created=True)))
            elif state.modified:
                changes = audit.object_changes(attendance)
                if changes:
                    found.append(("update", attendance, changes))
        return found

    def _audit_row(self, action: str, attendance: EventAttendance,
                   changes: dict[str, Any]) -> None:
        audit.record(db.session, action=action, entity="event_attendance",
                     entity_id=attendance.id, changes=changes,
                     actor=current_user._get_current_object(), ip=request.remote_addr)
    inline_models = [
        (
            EventAttendance,
            {
                "form_columns": ("id", "client", "status", "feedback_score", "feedback_text"),
                "form_ajax_refs": {"client": client_lookup()},
                "form_args": {"feedback_score": {"validators": [Score()]}},
                "column_labels": COLUMN_LABELS,
            },
        )
    ]
