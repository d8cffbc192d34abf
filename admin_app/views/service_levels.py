"""Complaint service levels: days allowed per severity, counted as calendar or working days;
admins change them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..enums import Resource
from ..labels import COLUMN_LABELS
from ..models import ServiceLevel
from .base import SecureModelView


class ServiceLevelView(SecureModelView):
    resource = Resource.service_level
    record_model = ServiceLevel

    column_list = ("severity", "days", "counted_in", "updated_at")
    column_default_sort = ("days", False)
    column_labels = {**COLUMN_LABELS, "counted_in": _l("Counted in")}
    form_columns = ("days", "counted_in")
    form_args = {
        "days": {"description": _l("Between 1 and 365 days.")},
        "counted_in": {"description": _l(
            "Working days skip weekends and public holidays of the mainland calendar and "
            "count make-up working days. A change applies to deadlines set from now on.")},
    }
