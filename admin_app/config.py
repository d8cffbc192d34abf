"""Configuration layers: defaults here, then ``instance/config.py``, then the environment,
then the dict a caller (a test) passes to ``create_app``. Nothing is read at import time."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import pytz
from flask import Flask
from sqlalchemy.engine import make_url

LANGUAGES = {"en": "en", "zh_Hans": "zh_Hans_CN", "zh_Hant": "zh_Hant_TW"}

DEFAULTS: dict[str, Any] = {
    "APP_ENV": "development",
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    # A pooled connection is tested before use, so that the first request after the
    # database comes back (a restart, a network cut) gets a fresh one instead of an error.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "en",
    # The firm's time zone: times are stored in UTC and shown in this zone, unless a user
    # has a zone of their own (Users screen).
    "TIME_ZONE": "Asia/Shanghai",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
    # Sent as Strict-Transport-Security on responses to HTTPS requests (behind a proxy that
    # ends TLS, the proxy must say so: see docs/operations.md); 0 sends none.
    "HSTS_MAX_AGE": 31_536_000,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    # A signed-in session ends after this long without a request, and after this long in
    # any case (services/sessions.py); the signed cookie itself is refused after the latter.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_LIFETIME_HOURS": 12,
    # Behind reverse proxies, how many of them to trust for the client's address and scheme
    # (X-Forwarded-For, X-Forwarded-Proto; Werkzeug's ProxyFix). 0: not behind a proxy, the
    # headers are ignored (anyone could send them).
    "TRUSTED_PROXIES": 0,
    "PAGE_SIZE": 50,
    # How long a write waits for another's lock (a tier recalculation, say) before it is
    # refused with a message: SQLite's busy timeout, PostgreSQL's lock_timeout.
    "LOCK_TIMEOUT_MS": 5000,
    # Admins are warned this many days before the holiday calendar of the chinesecalendar
    # package (working-day deadlines) runs out, and after (services/workdays.py).
    "HOLIDAY_CALENDAR_WARNING_DAYS": 60,
    # An SQLite database file that isn't there stops the app at start-up instead of being
    # created empty; True lets the app create it (``flask db upgrade`` creates it anyway).
    "CREATE_DATABASE": False,
}

ENV_VARS = ("DATABASE_URL", "SECRET_KEY", "RATELIMIT_STORAGE_URI", "DEMO_PASSWORD", "APP_ENV",
            "LOCK_TIMEOUT_MS", "TIME_ZONE", "SESSION_IDLE_MINUTES", "SESSION_LIFETIME_HOURS",
            "TRUSTED_PROXIES", "CREATE_DATABASE")
# Settings that are whole numbers, whichever layer (the environment gives text) set them.
POSITIVE_INTEGERS = ("SESSION_IDLE_MINUTES", "SESSION_LIFETIME_HOURS")
NON_NEGATIVE_INTEGERS = ("TRUSTED_PROXIES",)


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for name in ENV_VARS:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if overrides:
        app.config.update(overrides)

    # A test's dict, then the environment, then instance/config.py: the later layer wins.
    url = ((overrides or {}).get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
           or app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL"))
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(Path(app.instance_path) / "clientcare.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)

    zone = app.config["TIME_ZONE"]
    try:
        pytz.timezone(zone)  # the time zone database flask-babel formats with
    except pytz.UnknownTimeZoneError:
        raise RuntimeError(f"TIME_ZONE {zone!r} is not a time zone name such as "
                           "'Asia/Shanghai'.") from None
    app.config["BABEL_DEFAULT_TIMEZONE"] = zone

    for name in POSITIVE_INTEGERS + NON_NEGATIVE_INTEGERS:
        app.config[name] = _whole_number(name, app.config[name],
                                         least=1 if name in POSITIVE_INTEGERS else 0)
    # Flask refuses a signed session cookie older than this (its default: 31 days).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        hours=app.config["SESSION_LIFETIME_HOURS"])

    if not app.config.get("SECRET_KEY"):
        if app.config["APP_ENV"] != "development" and not app.testing:
            raise RuntimeError("SECRET_KEY must be set outside development (APP_ENV).")
        app.config["SECRET_KEY"] = _development_secret(Path(app.instance_path))


def _whole_number(name: str, value: Any, *, least: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = least - 1
    if number < least:
        raise RuntimeError(f"{name} must be a whole number of at least {least}, not {value!r}.")
    return number
def missing_database_file(url: str) -> Path | None:
    """The SQLite database file of ``url`` when it isn't there but its folder is, so that
    connecting would silently create an empty database; None otherwise (another engine,
    an in-memory database, a file that exists, or a folder that is missing, which is an
    outage the error pages report until the folder is back)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database \
            or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    path = Path(parsed.database).resolve()
    return path if path.parent.is_dir() and not path.exists() else None


def missing_database_message(path: Path) -> str:
    return (f"The database file {path} does not exist, and the app does not create an "
            "empty one on its own. Create it with `flask --app admin_app db upgrade` (an "
            "empty database: then add an admin with `flask --app admin_app users create`), "
            "or with `make run`, which also fills it with demo data. If the database is "
            "somewhere else, set DATABASE_URL to it.")


class DatabaseMissing(click.ClickException):
    """The SQLite database file is missing: the app stops instead of creating it empty
    (a command line says the message and exits with status 1)."""


def as_flag(value: Any) -> bool:
    """A setting given as text (the environment) or as a Python value."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _development_secret(instance: Path) -> str:
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
