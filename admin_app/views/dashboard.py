"""The dashboard: today's figures, each linking to the list behind it."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_admin import AdminIndexView, expose

from ..enums import Capability, Resource
from ..extensions import db
from ..permissions import can
from ..services import workdays
from ..services.dashboard import summary
from .access import role_of_current_user
from .actions import requires
from .base import SecureMixin
from .links import list_url
from .queues import visible_queues


class DashboardView(SecureMixin, AdminIndexView):
    resource = Resource.dashboard

    @expose("/")
    @requires(Capability.view)
    def index(self) -> Any:
        links = {  # each figure opens the list behind it (the most overdue first)
            "clients": list_url("client"),
            "overdue_callbacks": list_url("client", sort="next_callback_due",
                                          filters={"overdue": "1"}),
            "open_complaints": list_url("complaint"),
            "overdue_complaints": list_url("complaint", filters={"overdue": "1"}),
        }
        return self.render("admin/dashboard.html", summary=summary(db.session), links=links,
                           queues=visible_queues(), calendar_warning=calendar_warning())


def calendar_warning() -> Any:
    """The holiday calendar's warning, for those who set service levels (admins)."""
    if not can(role_of_current_user(), Resource.service_level, Capability.edit):
        return None
    return workdays.coverage_status(
        workdays.today(), warn_within=int(current_app.config["HOLIDAY_CALENDAR_WARNING_DAYS"])
    ).message()
