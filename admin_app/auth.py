"""Log-in and log-out (username + password, CSRF-protected, logout by POST)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .errors import database_unavailable
from .extensions import db, limiter, login_manager
from .forms.auth import LoginForm
from .models import User
from .services import accounts

bp = Blueprint("auth", __name__)


class SecureWhenHttpsSession(SecureCookieSessionInterface):
    """Session cookie marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            has_request_context() and request.is_secure)


@login_manager.user_loader
def load_user(reference: str) -> User | None:
    if database_unavailable():  # the error page of this request draws without the user
        return None
    user_id, _, fingerprint = reference.partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.is_active or fingerprint != user.session_fingerprint():
        return None
    return user


def refused_message() -> str:
    return _("Invalid user name or password. After %(n)d failed attempts in a row an account "
             "is locked for %(minutes)d minutes.",
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               error_message=lambda: _("Too many log-in attempts from your address. "
                                       "Wait a minute and try again."))
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(
            db.session, form.username.data.strip(), form.password.data, ip=request.remote_addr,
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
        )
        db.session.commit()
        if user is not None:
            language = session.get("lang")  # chosen on the log-in page: it stays
            session.clear()  # a fresh session for the new user: no fixation
            if language:
                session["lang"] = language
                user.locale = language  # and becomes the user's preference
                db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("admin.index"))
        flash(refused_message(), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.record_logout(db.session, current_user._get_current_object(),
                               ip=request.remote_addr)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
