"""Callbacks and visits (回访 / 拜访)."""

from __future__ import annotations

from ..enums import Resource
from ..forms.validators import Score
from ..labels import COLUMN_LABELS
from ..models import Visit
from .base import SecureModelView
from .lookups import CLIENT_LOOKUP, user_lookup
from .queues import my_week_filter


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
                      "satisfaction", my_week_filter())
    column_labels = COLUMN_LABELS
    form_columns = ("client", "staff", "channel", "purpose", "status", "scheduled_for",
                    "completed_at", "satisfaction", "summary")
    form_args = {"satisfaction": {"validators": [Score()]}}
    form_ajax_refs = {"client": CLIENT_LOOKUP, "staff": user_lookup("staff")}
