"""The baselines: Flask-Admin's own CSV export of the client table (bench_export) and its
own list of the audit log (bench_audit), as a plain Flask-Admin app would offer them (no
login, no masking: only the export and the list are compared)."""

from __future__ import annotations

import os

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel

from admin_app.config import normalise_database_url
from admin_app.extensions import db
from admin_app.models import AuditEntry, Client


class ClientExport(ModelView):
    can_export = True
    export_max_rows = 0  # every row, as ours does
    column_list = ("code", "name", "kind", "status", "tier", "gender", "birth_date", "phone",
                   "email", "id_number", "address", "occupation", "risk_profile", "assets",
                   "annual_contribution", "trades_12m", "advisor", "last_callback_at",
                   "cadence_anchor", "due_fixed", "created_at")


class AuditList(ModelView):
    """The audit log as a plain Flask-Admin list: newest first, filtered by user (filter
    0), action, record type and id (not by time: it does not know our time column's type);
    every page counts every matching entry."""

    can_create = can_edit = can_delete = False
    column_list = ("at", "user", "action", "entity", "entity_id", "ip", "changes")
    column_default_sort = ("at", True)
    column_filters = ("user_id", "action", "entity", "entity_id")


def create_baseline() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    app.config["SECRET_KEY"] = "baseline"
    db.init_app(app)
    Babel(app)
    admin = Admin(app)
    admin.add_view(ClientExport(Client, db, endpoint="client"))
    admin.add_view(AuditList(AuditEntry, db, endpoint="audit"))
    return app
