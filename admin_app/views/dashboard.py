"""The dashboard: today's figures, each linking to the list behind it."""

from __future__ import annotations

from typing import Any

from flask_admin import AdminIndexView, expose

from ..enums import Capability, Resource
from ..extensions import db
from ..services.dashboard import summary
from .actions import requires
from .base import SecureMixin
from .links import list_url


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
        return self.render("admin/dashboard.html", summary=summary(db.session), links=links)
