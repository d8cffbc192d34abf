"""Client events (客户活动) with their attendance inline."""

from __future__ import annotations

from ..enums import Resource
from ..forms.validators import Money, NonNegative, NotBefore, Score
from ..labels import COLUMN_LABELS
from ..models import Event, EventAttendance
from .base import SecureModelView
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
