"""ClientCare Admin: the app factory, the only place that wires everything together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, i18n, security, sql
from .config import (
    DatabaseMissing,
    as_flag,
    load_config,
    missing_database_file,
    missing_database_message,
)
from .extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = errors.Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    missing = refuse_missing_database(app)

    db.init_app(app)
    with app.app_context():
        sql.configure_engine(db.engine, int(app.config["LOCK_TIMEOUT_MS"]))
        if missing is not None:  # a command line: only the migrations may create it
            sql.refuse_to_create(db.engine, missing, allowed=running_migrations,
                                 refusal=lambda: DatabaseMissing(missing_database_message(missing)))
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   timezone_selector=i18n.select_timezone)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    from . import auth, cli
    from .views import build_admin

    app.register_blueprint(auth.bp)
    app.session_interface = auth.SecureWhenHttpsSession()
    trust_proxies(app)
    build_admin(app)
    cli.init_app(app)
    warn_of_holiday_calendar(app)

    @app.route("/")
    def home():
        return redirect(url_for("admin.index"))

    icon = (Path(app.static_folder or "") / "favicon.ico").read_bytes()

    @app.route("/favicon.ico")
    def favicon():
        """Where browsers look for the icon on any response (a CSV, a JSON look-up) when no
        page linked one; the pages link the same mark (templates/admin/master.html). Sent
        from memory (1 KB): no file is held open by a request the browser drops."""
        response = Response(icon, mimetype="image/vnd.microsoft.icon")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response

    return app


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, the client's address and scheme are the
    ones they forwarded, so that the log-in limits, lock-outs and audit see the real
    client, and a cookie sent over HTTPS to the proxy is marked Secure."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def refuse_missing_database(app: Flask) -> Path | None:
    """Stop here, with a message in the log and an exception, when the SQLite database
    file is missing: connecting would create an empty one, and every page would fail on
    its missing tables. ``CREATE_DATABASE`` lets it be created. Under the ``flask``
    command line the file is returned instead, for ``sql.refuse_to_create``: there the
    migrations (``flask db upgrade``, as the first ``make run`` runs them) create it on
    purpose, and any other command is refused when it first connects."""
    path = missing_database_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if path is None or as_flag(app.config["CREATE_DATABASE"]):
        return None
    command = click.get_current_context(silent=True)
    if command is not None and command.command.name != "run":
        return path
    app.logger.error("%s", missing_database_message(path))
    raise DatabaseMissing(missing_database_message(path))


def running_migrations() -> bool:
    """True inside one of Flask-Migrate's commands (``flask db upgrade`` …)."""
    from flask_migrate.cli import db as migrations

    command = click.get_current_context(silent=True)
    while command is not None:
        if command.command is migrations:
            return True
        command = command.parent
    return False


def warn_of_holiday_calendar(app: Flask) -> None:
    """Log at start-up when the holiday calendar behind working-day deadlines ends soon or
    has ended (admins also see it on the dashboard)."""
    from .services import workdays

    with app.app_context():
        status = workdays.coverage_status(
            workdays.today(), warn_within=int(app.config["HOLIDAY_CALENDAR_WARNING_DAYS"]))
        if status.warn:
            app.logger.warning("%s", status.message())
