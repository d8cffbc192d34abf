"""ClientCare Admin: the app factory, the only place that wires everything together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, i18n, security, sql
from .config import load_config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = errors.Flask(__name__, instance_relative_config=True)
    load_config(app, config)

    db.init_app(app)
    with app.app_context():
        sql.configure_engine(db.engine, int(app.config["LOCK_TIMEOUT_MS"]))
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

    return app


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, the client's address and scheme are the
    ones they forwarded, so that the log-in limits, lock-outs and audit see the real
    client, and a cookie sent over HTTPS to the proxy is marked Secure."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def warn_of_holiday_calendar(app: Flask) -> None:
    """Log at start-up when the holiday calendar behind working-day deadlines ends soon or
    has ended (admins also see it on the dashboard)."""
    from .services import workdays

    with app.app_context():
        status = workdays.coverage_status(
            workdays.today(), warn_within=int(app.config["HOLIDAY_CALENDAR_WARNING_DAYS"]))
        if status.warn:
            app.logger.warning("%s", status.message())
