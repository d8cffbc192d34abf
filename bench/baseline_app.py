"""The baseline for bench_export: Flask-Admin's own CSV export of the client table, as a
plain Flask-Admin app would offer it (no login, no masking: only the export is compared)."""

from __future__ import annotations

import os

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel

from admin_app.config import normalise_database_url
from admin_app.extensions import db
from admin_app.models import Client


class ClientExport(ModelView):
    can_export = True
    export_max_rows = 0  # every row, as ours does
    column_list = ("code", "name", "kind", "status", "tier", "gender", "birth_date", "phone",
                   "email", "id_number", "address", "occupation", "risk_profile", "assets",
                   "annual_contribution", "trades_12m", "advisor", "last_callback_at",
                   "next_callback_due", "created_at")


def create_baseline() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    app.config["SECRET_KEY"] = "baseline"
    db.init_app(app)
    Babel(app)
    admin = Admin(app)
    admin.add_view(ClientExport(Client, db, endpoint="client"))
    return app
