"""Complaints (投诉处理)."""

from __future__ import annotations

from ..extensions import db
from ..forms.validators import Score
from ..models import Complaint
from ..services import complaints
from .base import SecureModelView
from .labels import COLUMN_LABELS
from .lookups import CLIENT_LOOKUP, USER_LOOKUP


class ComplaintView(SecureModelView):
    resource = "complaint"

    record_model = Complaint

    column_list = ("reference", "client", "channel", "category", "severity", "status",
                   "received_at", "due_at", "assignee")
    column_details_list = (
        "reference", "client", "channel", "received_at", "category", "severity", "department",
        "assignee", "due_at", "status", "description", "findings", "resolution", "root_cause",
        "satisfaction", "closed_at", "closed_by", "reopened_count",
    )
    column_searchable_list = ("reference", "description")
    column_sortable_list = ("reference", "channel", "category", "severity", "status",
                            "received_at", "due_at", ("client", "client.name"))
    column_default_sort = ("received_at", True)
    column_filters = ("channel", "category", "severity", "status", "department", "received_at",
                      "due_at", "closed_at")
    column_labels = COLUMN_LABELS
    form_columns = (
        "client", "channel", "received_at", "category", "severity", "department",
        "assignee", "due_at", "description", "findings", "resolution", "root_cause",
        "satisfaction",
    )
    form_args = {"satisfaction": {"validators": [Score()]}}
    form_ajax_refs = {"client": CLIENT_LOOKUP, "assignee": USER_LOOKUP}

    def on_model_change(self, form, model, is_created):
        if is_created and not model.reference:
            model.reference = complaints.next_reference(db.session, now=model.received_at)
        super().on_model_change(form, model, is_created)
