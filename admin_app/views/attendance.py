"""Event attendance (客户活动参加情况), one invitation per row: who was invited to which
event, whether they registered and came, and their feedback. The event's own form edits
the same rows inline; this screen is where a client's page sends *Invite to event* and
"all of this client's events"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l

from ..enums import Resource
from ..extensions import db
from ..forms.validators import Score
from ..labels import COLUMN_LABELS
from ..models import EventAttendance
from ..services import events
from .base import SecureModelView
from .filters import client_id_filter
from .lookups import client_lookup, event_lookup

ALREADY_INVITED = _l("This client is already on this event's list.")


class AttendanceView(SecureModelView):
    resource = Resource.attendance
    record_model = EventAttendance

    column_list = ("event", "event.starts_at", "client", "status", "feedback_score",
                   "feedback_text")
    column_details_list = column_list
    column_searchable_list = ("event.title",)
    column_sortable_list = (("event", "event.title"), ("event.starts_at", "event.starts_at"),
                            ("client", "client.name"), "status", "feedback_score")
    column_default_sort = ("event.starts_at", True)
    column_filters = (client_id_filter(EventAttendance.client_id), "status", "feedback_score")
    column_labels = {**COLUMN_LABELS, "event": _l("Event"), "event.title": _l("Event"),
                     "event.starts_at": _l("Starts at")}
    form_columns = ("event", "client", "status", "feedback_score", "feedback_text")
    form_args = {"feedback_score": {"validators": [Score()]}}
    form_ajax_refs = {"event": event_lookup("event"), "client": client_lookup()}
    prefill_fields = ("client_id", "event_id", "status")

    def record_label(self, model: Any) -> str:
        """"Investment lecture · 王小明 (C0000001)"."""
        return " · ".join(str(part) for part in (model.event, model.client) if part)

    def validate_form(self, form: Any) -> bool:
        """One invitation per client and event (the table's unique constraint), said next
        to the event rather than as the database's refusal."""
        valid = bool(super().validate_form(form))
        event, client = getattr(form, "event", None), getattr(form, "client", None)
        if not valid or event is None or client is None or not (event.data and client.data):
            return valid
        editing = self.pk_values([request.args.get("id")]) \
            if (request.endpoint or "").endswith(".edit_view") else []
        taken = db.session.scalar(sa.select(EventAttendance.id).where(
            EventAttendance.event_id == event.data.id,
            EventAttendance.client_id == client.data.id,
            EventAttendance.id.not_in(editing)))
        if taken is not None:
            event.errors = [*event.errors, str(ALREADY_INVITED)]
            return False
        moving = not editing or getattr(event, "object_data", None) is None or \
            event.object_data.id != event.data.id
        if moving:  # a new place taken on this event: within its capacity and lifecycle
            try:
                events.check_room(db.session, event.data.id)
            except events.EventError as refused:
                event.errors = [*event.errors, str(refused)]
                return False
        return True
