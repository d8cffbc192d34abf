"""Callbacks and visits (回访 / 拜访). Saving or deleting one moves its client's last callback
and next due date in the same transaction (``services.callbacks``)."""

from __future__ import annotations

from ..enums import Resource
from ..extensions import db
from ..forms.validators import Score
from ..labels import COLUMN_LABELS
from ..models import Visit
from ..services import callbacks
from .base import SecureModelView
from .lookups import CLIENT_LOOKUP, user_lookup


class VisitView(SecureModelView):
    resource = Resource.visit

    record_model = Visit
    export_spec = "visits"

    column_list = ("client", "channel", "purpose", "status", "scheduled_for", "completed_at",
                   "staff", "satisfaction")
    column_details_list = ("client", "staff", "channel", "purpose", "status", "scheduled_for",
                           "completed_at", "satisfaction", "summary")
    column_searchable_list = ("summary",)
    column_sortable_list = ("channel", "purpose", "status", "scheduled_for", "completed_at",
                            "satisfaction", ("client", "client.name"))
    column_default_sort = ("scheduled_for", True)
    column_filters = ("channel", "purpose", "status", "scheduled_for", "completed_at",
                      "satisfaction")
    column_labels = COLUMN_LABELS
    form_columns = ("client", "staff", "channel", "purpose", "status", "scheduled_for",
                    "completed_at", "satisfaction", "summary")
    form_args = {"satisfaction": {"validators": [Score()]}}
    form_ajax_refs = {"client": CLIENT_LOOKUP, "staff": user_lookup("staff")}

    def on_model_change(self, form, model, is_created):
        clients = callbacks.clients_of(model)  # before the audit's flush forgets the old one
        super().on_model_change(form, model, is_created)
        callbacks.reschedule_from_visits(db.session, clients)

    def on_model_delete(self, model):
        super().on_model_delete(model)
        callbacks.reschedule_from_visits(db.session, callbacks.clients_of(model),
                                         excluding_visit=model.id)
