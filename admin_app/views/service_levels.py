"""Complaint service levels: days allowed per severity; admins change them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..enums import Resource
from ..labels import COLUMN_LABELS
from ..models import ServiceLevel
from .base import SecureModelView


class ServiceLevelView(SecureModelView):
    resource = Resource.service_level
    record_model = ServiceLevel

    column_list = ("severity", "days", "updated_at")
    column_default_sort = ("days", False)
    column_labels = COLUMN_LABELS
    form_columns = ("days",)
    form_args = {"days": {"description": _l("Between 1 and 365 days.")}}
