"""Log-in and log-out (username + password, CSRF-protected, logout by POST), and the
signed-in session each request resumes (``services/sessions.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user

from . import sql
from .errors import database_unavailable
from .extensions import db, limiter, login_manager
from .forms.auth import LoginForm
from .models import User, utcnow
from .services import accounts, locking, sessions

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

# How long noting a session's activity waits for another writer before it is skipped.
TOUCH_WAIT_MS = 100


class SecureWhenHttpsSession(SecureCookieSessionInterface):
    """Session cookie marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            has_request_context() and request.is_secure)


def session_limits() -> sessions.Limits:
    return sessions.Limits(idle=timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
                           lifetime=timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"]))


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user of the server-side session whose token the cookie carries, while that
    session is valid (not logged out or revoked, not idle, not too old)."""
    if database_unavailable():  # the error page of this request draws without the user
        return None
    found = sessions.resume(db.session, token, limits=session_limits(), now=utcnow())
    if found.user is None:
        session.pop("_user_id", None)  # asked once: the next request is a visitor's
        flash(ENDED_MESSAGES[found.ended or sessions.Ended.unknown](), "info")
        if found.ended in (sessions.Ended.idle, sessions.Ended.expired):
            _write_aside(sessions.end, found.key)  # over for good, whatever the clock says
        return None
    g.session_key = found.key
    if found.needs_touch:
        _write_aside(sessions.touch, found.key, now=utcnow())
    return found.user


ENDED_MESSAGES = {
    sessions.Ended.unknown: lambda: _("Your session has ended. Log in again."),
    sessions.Ended.inactive: lambda: _("Your session has ended. Log in again."),
    sessions.Ended.idle: lambda: _(
        "Your session ended after %(minutes)d minutes without activity. Log in again.",
        minutes=current_app.config["SESSION_IDLE_MINUTES"]),
    sessions.Ended.expired: lambda: _(
        "Sessions last at most %(hours)d hours. Log in again.",
        hours=current_app.config["SESSION_LIFETIME_HOURS"]),
}


def _write_aside(write: Callable[..., None], key: str, **kw: Any) -> None:
    """Note a session's activity or its end, in a transaction of its own (a page that only
    reads commits nothing). While another writer holds the database it is skipped rather
    than waited for: the session is judged the same, and the next request tries again."""
    try:
        with sql.impatient_transaction(db.engine, TOUCH_WAIT_MS) as connection:
            write(connection, key, **kw)
    except sa.exc.OperationalError as error:
        if not locking.is_lock_timeout(error):
            raise
        log.info("A session's activity or end was not written: the database is busy")


def refused_message() -> str:
    return _("Invalid user name or password. After %(n)d failed attempts in a row from one "
             "address, an account is locked for %(minutes)d minutes from that address.",
             n=current_app.config["LOGIN_MAX_FAILURES"],
             minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after log-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _throttled(limit: RequestLimit) -> None:
    """An attempt the per-address limit refused: counted in the audit log. A failure to
    write it does not change the answer (429)."""
    try:
        attempts = limiter.storage.incr(f"clientcare/throttled/{request.remote_addr}",
                                        limit.limit.get_expiry())
    except Exception:  # the limiter's store (Redis) is away: count this one alone
        log.warning("The limiter's store could not count a throttled log-in", exc_info=True)
        attempts = 1
    try:
        accounts.record_throttled(db.session, ip=request.remote_addr,
                                  username=request.form.get("username"), attempts=attempts)
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.warning("A throttled log-in attempt could not be audited", exc_info=True)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               error_message=lambda: _("Too many log-in attempts from your address. "
                                       "Wait a minute and try again."),
               on_breach=_throttled)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        language = session.get("lang")  # chosen on the log-in page: it stays
        try:
            with locking.refusing_busy_writes():
                user, token = _log_in(form.username.data.strip(), form.password.data,
                                      language)
        except locking.Busy as busy:
            db.session.rollback()
            flash(str(busy), "error")
            return render_template("auth/login.html", form=form), 503
        if user is not None and token is not None:
            session.clear()  # a fresh session for the new user: no fixation
            if language:
                session["lang"] = language
            login_user(user)
            # Flask-Login's reference to the user is the server-side session's token.
            session["_user_id"] = token
            return redirect(safe_next(request.args.get("next")) or url_for("admin.index"))
        flash(refused_message(), "error")
    return render_template("auth/login.html", form=form)


def _log_in(username: str, password: str, language: str | None) -> tuple[User | None,
                                                                          str | None]:
    """Check the credentials and, when they hold, start a server-side session; one commit
    (the audit entry, the lock-out count, the session)."""
    now = utcnow()
    user = accounts.authenticate(
        db.session, username, password, ip=request.remote_addr, now=now,
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
    )
    token = None
    if user is not None:
        sessions.purge(db.session, limits=session_limits(), now=now)
        token = sessions.start(db.session, user, now=now, ip=request.remote_addr)
        if language:
            user.locale = language  # and becomes the user's preference
    db.session.commit()
    return user, token


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sessions.end(db.session, g.session_key)
        accounts.record_logout(db.session, current_user._get_current_object(),
                               ip=request.remote_addr)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
