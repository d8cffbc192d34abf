"""Callbacks and visits (回访 / 拜访). Saving or deleting one moves its client's last callback
and next due date in the same transaction (``services.callbacks``)."""

from __future__ import annotations

from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from ..enums import Resource
from ..extensions import db
from ..forms.validators import Score
from ..labels import COLUMN_LABELS
from ..models import VISIT_WORK_ORDER, Visit
from ..services import callbacks
from .base import SecureModelView
from .filters import AdvisorFilter, ClientFilter, UserFilter, client_id_filter
from .lookups import client_lookup, user_lookup
from .queues import my_week_filter


class VisitView(SecureModelView):
    resource = Resource.visit

    record_model = Visit
    export_spec = "visits"

    column_list = ("client", "channel", "purpose", "status", "scheduled_for", "completed_at",
                   "staff", "satisfaction")
    column_details_list = ("client", "staff", "channel", "purpose", "status", "scheduled_for",
                           "completed_at", "satisfaction", "summary")
    column_searchable_list = ("client.name", "client.code", "summary")
    column_sortable_list = ("channel", "purpose", "status", "scheduled_for", "completed_at",
                            "satisfaction", ("client", "client.name"))
    column_filters = (
        ClientFilter(Visit.client_id, _l("Client")),
        UserFilter(Visit.staff_id, _l("Staff"), key="staff"),
        AdvisorFilter(Visit.client_id, _l("Advisor"), key="advisor"),
        "channel", "purpose", "status", "scheduled_for", "completed_at", "satisfaction",
        client_id_filter(Visit.client_id), my_week_filter(),
    )
    column_labels = COLUMN_LABELS
    form_columns = ("client", "staff", "channel", "purpose", "status", "scheduled_for",
                    "completed_at", "satisfaction", "summary")
    form_args = {"satisfaction": {"validators": [Score()]}}
    form_ajax_refs = {"client": client_lookup(), "staff": user_lookup("staff")}
    prefill_fields = ("client_id", "staff_id", "channel", "purpose", "status", "completed_at")

    def record_label(self, model: Any) -> str:
        """"王小明 (C0000001) · Scheduled callback · 2026-12-01 10:00" (the user's zone)."""
        when = model.completed_at or model.scheduled_for
        parts = [str(model.client) if model.client else "", str(model.purpose.label)
                 if model.purpose else "", format_datetime(when, "yyyy-MM-dd HH:mm")
                 if when else ""]
        return " · ".join(part for part in parts if part)

    def _apply_sorting(self, query: Any, joins: Any, sort_column: Any, sort_desc: bool) -> Any:
        """Unless a column is chosen: what needs doing first (``VISIT_WORK_ORDER``: planned
        visits by when they are due, then the rest latest first), read from its index."""
        if sort_column is None:
            return query.order_by(*VISIT_WORK_ORDER), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def on_model_change(self, form, model, is_created):
        clients = callbacks.clients_of(model)  # before the audit's flush forgets the old one
        super().on_model_change(form, model, is_created)
        callbacks.reschedule_from_visits(db.session, clients)

    def on_model_delete(self, model):
        super().on_model_delete(model)
        callbacks.reschedule_from_visits(db.session, callbacks.clients_of(model),
                                         excluding_visit=model.id)
