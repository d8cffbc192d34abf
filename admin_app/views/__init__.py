"""Flask-Admin screens, one module per record type, all on ``base.SecureModelView``."""

from __future__ import annotations

from pathlib import Path

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..security import csp_nonce
from . import adapter
from .attendance import AttendanceView
from .audit import AuditView
from .checks import check_admin
from .clients import ClientView
from .complaints import ComplaintView
from .dashboard import DashboardView
from .events import EventView
from .queues import CATEGORY, QUEUES, QueueLink
from .service_levels import ServiceLevelView
from .tiers import TierView
from .users import UserView
from .visits import VisitView

# Our corrections to Flask-Admin's catalogues (``<locale>/LC_MESSAGES/admin.mo``).
ADMIN_TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")


def build_admin(app) -> Admin:
    """A new Admin with new view instances for every app (tests build many apps); its
    declarations are checked before the app may start."""
    adapter.translate_admin_over(ADMIN_TRANSLATIONS)
    admin = Admin(
        app,
        name=_l("ClientCare Admin"),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
        theme=Bootstrap4Theme(swatch="cerulean", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    for queue in QUEUES:  # the day's work first, after the dashboard
        admin.add_menu_item(QueueLink(queue), target_category=CATEGORY)
    admin.add_view(ClientView(db, name=_l("Clients"), endpoint="client"))
    admin.add_view(VisitView(db, name=_l("Visits"), endpoint="visit"))
    admin.add_view(EventView(db, name=_l("Events"), endpoint="event"))
    admin.add_view(AttendanceView(db, name=_l("Event attendance"), endpoint="attendance"))
    admin.add_view(ComplaintView(db, name=_l("Complaints"), endpoint="complaint"))
    admin.add_view(TierView(db, name=_l("Tiers"), endpoint="tier"))
    admin.add_view(ServiceLevelView(db, name=_l("Service levels"), endpoint="service_level"))
    admin.add_view(UserView(db, name=_l("Users"), endpoint="user"))
    admin.add_view(AuditView(db, name=_l("Audit log"), endpoint="audit"))
    check_admin(admin)
    return admin
