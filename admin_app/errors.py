"""Error pages: inside the app's layout (menu, language, a way back) and in the user's
language, never Werkzeug's bare English page and never a stack trace.

A 500 or 503 page shows the request's id, which is also on the ``X-Request-ID`` header
and in the log line that holds the traceback: what the user reads off the page finds the
failure in the log. A database that can't be reached answers 503 (the engine pre-pings
its pooled connections, so the first request after it comes back works); a write that
waited too long for another's lock says so where the user came from.

An error page must not fail in turn: the layout needs the signed-in user and the menu,
which need the database, so when it can't be drawn a minimal page stands in, and when
even that fails, a line of plain text.
"""

from __future__ import annotations

import copy
import logging
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import flask
import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from . import sql
from .enums import AuditAction, RecordType
from .extensions import db
from .services import audit, locking

log = logging.getLogger(__name__)
MAX_AUDITED_URL = 500  # characters of a refused request's address kept in the audit log

PAGES: dict[int, tuple[Any, Any]] = {
    400: (_l("Bad request"), _l("The request could not be understood. Nothing was changed; "
                                "go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask an administrator if you "
                                "need it.")),
    404: (_l("Not found"), _l("There is no such page or record.")),
    405: (_l("Not allowed"), _l("This page can't be used that way.")),
    500: (_l("Something went wrong"), _l("The request could not be completed and nothing was "
                                         "saved. Try again; if it happens again, tell an "
                                         "administrator the reference below.")),
}
CSRF_MESSAGE = _l("This form has expired. Nothing was changed; reload the page and send it "
                  "again.")
UNAVAILABLE = (_l("Service unavailable"),
               _l("The database can't be reached just now, so nothing was saved. Try again in "
                  "a few minutes; if it goes on, tell an administrator the reference below."))
BUSY_TITLE = _l("Busy")

# An id a proxy in front of us gave the request is kept when it looks like one.
REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


# --- the request id --------------------------------------------------------------------


def request_id() -> str:
    """This request's id: the one a proxy sent in ``X-Request-ID``, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        rid = g.request_id = sent if SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
    return rid


def add_request_id_header(response: flask.Response) -> flask.Response:
    response.headers.setdefault(REQUEST_ID_HEADER, request_id())
    return response


class Flask(flask.Flask):
    """Flask, logging an unhandled exception with the request id its error page shows."""

    def log_exception(self, exc_info: Any) -> None:
        self.logger.error("Exception on %s [%s], request %s", request.path, request.method,
                          request_id(), exc_info=exc_info)


# --- rendering -------------------------------------------------------------------------


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts, here = urlsplit(referrer), urlsplit(request.host_url)
    if (parts.scheme, parts.netloc) != (here.scheme, here.netloc):
        return None
    if request.method == "GET" and referrer == request.url:
        return None  # not "back" to the page that failed; a form posted to itself is
    return referrer


def database_unavailable() -> bool:
    """Has this request found the database unusable? Then nothing more is read from it:
    the signed-in user counts as unknown (``auth.load_user``), and their language and time
    zone give way to the browser's and the firm's (``i18n``)."""
    return bool(g.get("database_unavailable"))


def _forget_the_database() -> None:
    """Give up the failed transaction and read nothing more from the database."""
    g.database_unavailable = True
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: the pool replaces it on the next checkout
        pass


def _render_in_layout(context: dict[str, Any]) -> str | None:
    """The page inside the admin layout, for a signed-in user; None for anyone else."""
    try:
        db.session.rollback()  # a failed transaction would refuse to load the user or menu
        if not current_user.is_authenticated:
            return None
        # Drawn by a copy of the dashboard's view: the menu marks the page's own view as
        # the current one, and no entry is the current one on an error page.
        layout = copy.copy(current_app.extensions["admin"][0].index_view)
        return layout.render("admin/error.html", home=url_for("admin.index"), **context)
    except Exception:
        log.warning("The error page of request %s could not be drawn in the layout",
                    request_id(), exc_info=True)
        _forget_the_database()
        return None


def render_error(status: int, title: Any, message: Any, *, reference: bool = False,
                 retry: bool = False, layout: bool = True) -> tuple[str, int]:
    """The page for ``status``: in the layout when it can be drawn, else the minimal one.

    ``reference`` shows the request id (500, 503); ``retry`` offers to load the page again."""
    context = {
        "status": status, "title": title, "message": message,
        "request_id": request_id() if reference else None,
        "back": _same_site_referrer(),
        "retry": request.url if retry and request.method == "GET" else None,
    }
    try:
        page = _render_in_layout(context) if layout else None
        if page is None:  # the minimal page: the dashboard, or the log-in for a visitor
            visitor = not database_unavailable() and not current_user.is_authenticated
            page = render_template("error.html", **context,
                                   home=None if visitor else url_for("admin.index"),
                                   login=url_for("auth.login") if visitor else None)
        return page, status
    except Exception:
        log.exception("The error page of request %s could not be drawn", request_id())
        text = f"Error {status}" + (f" (request {request_id()})" if reference else "")
        return f"<!DOCTYPE html><title>{status}</title><p>{escape(text)}</p>", status


# --- the handlers ----------------------------------------------------------------------


def _audit_refusal() -> None:
    """A refused request (403) is kept in the audit log: who, what, which address. In a
    transaction of its own; a log that can't be written (the database busy or away)
    leaves the answer as it is."""
    if database_unavailable():
        return
    try:
        db.session.rollback()
        actor = current_user._get_current_object() if current_user.is_authenticated else None
        audit.record(db.session, action=AuditAction.refused.value,
                     entity=RecordType.request.value, actor=actor, ip=request.remote_addr,
                     changes={"method": request.method,
                              "url": request.full_path.rstrip("?")[:MAX_AUDITED_URL]})
        db.session.commit()
    except Exception:
        log.warning("The refusal of request %s could not be audited", request_id(),
                    exc_info=True)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone: the error page reads nothing more
            g.database_unavailable = True


def error_page(error: HTTPException) -> Any:
    status = error.code or 500
    if status == 403:
        _audit_refusal()
    title, message = PAGES.get(status, PAGES[500])
    if status == 400 and error.description and "CSRF" in str(error.description):
        message = CSRF_MESSAGE
    # An unhandled exception was logged with the request id by ``Flask.log_exception``.
    return render_error(status, title, message, reference=status >= 500)


def busy(error: Exception) -> Any:
    """A lock timeout anywhere: nothing was saved; say so where the user came from."""
    db.session.rollback()
    log.warning("A write of request %s (%s %s) waited too long for a lock", request_id(),
                request.method, request.path)
    back = _same_site_referrer()
    if request.method == "POST" and back:
        flash(str(locking.BUSY_MESSAGE), "error")
        return redirect(back)
    return render_error(503, BUSY_TITLE, locking.BUSY_MESSAGE, reference=True, retry=True)


REFUSED_WRITE = _l("Nothing was saved: the data conflicts with another record or breaks "
                   "a rule of the database.")


def refused_write(error: Exception) -> Any:
    """The database refused a write no screen foresaw (outside the forms, which say it
    beside the field): rolled back, logged with the request id, and said where the user
    came from; nothing was saved. A read that fails this way is a fault: the 500 page."""
    db.session.rollback()
    if request.method != "POST":
        raise error
    log.error("The database refused a write of request %s (%s %s)", request_id(),
              request.method, request.path, exc_info=error)
    back = _same_site_referrer()
    if back:
        flash(str(REFUSED_WRITE), "error")
        return redirect(back)
    return render_error(409, PAGES[400][0], REFUSED_WRITE, reference=True)


def database_error(error: Exception) -> Any:
    """A lock timeout is ``busy``; an unreachable database is 503; anything else a 500."""
    if locking.is_lock_timeout(error):
        return busy(error)
    if not sql.is_unreachable(error):
        raise error
    log.error("The database could not be reached on %s [%s], request %s", request.path,
              request.method, request_id(), exc_info=error)
    _forget_the_database()
    return render_error(503, *UNAVAILABLE, reference=True, retry=True, layout=False)


def init_app(app: flask.Flask) -> None:
    for status in PAGES:
        app.register_error_handler(status, error_page)
    app.register_error_handler(locking.Busy, busy)
    app.register_error_handler(sa.exc.OperationalError, database_error)
    app.register_error_handler(sa.exc.InterfaceError, database_error)
    app.register_error_handler(sa.exc.DBAPIError, refused_write)
    app.after_request(add_request_id_header)
