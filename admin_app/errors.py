"""Error pages in the user's language, and the one answer to a write that waited too long
for another's lock, whichever screen it came from.

Without these, Flask answers a refusal with Werkzeug's stock English page, and a lock
timeout outside Flask-Admin's own create/edit/delete views (a complaint step, say) with
a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, flash, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services import locking

PAGES: dict[int, tuple[Any, Any]] = {
    400: (_l("Bad request"), _l("The request could not be understood. Nothing was changed; "
                                "go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask an administrator if you "
                                "need it.")),
    404: (_l("Not found"), _l("There is no such page or record.")),
    405: (_l("Not allowed"), _l("This page can't be used that way.")),
    500: (_l("Something went wrong"), _l("The request could not be completed and nothing was "
                                         "saved. Try again; if it happens again, tell an "
                                         "administrator the time it happened.")),
}


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts, here = urlsplit(referrer), urlsplit(request.host_url)
    if (parts.scheme, parts.netloc) != (here.scheme, here.netloc):
        return None
    return referrer


def error_page(error: HTTPException) -> Any:
    status = error.code or 500
    title, message = PAGES.get(status, PAGES[500])
    if status == 400 and error.description and "CSRF" in str(error.description):
        message = _l("This form has expired. Nothing was changed; reload the page and send "
                     "it again.")
    return render_template("error.html", status=status, title=title, message=message,
                           back=_same_site_referrer()), status


def busy(error: Exception) -> Any:
    """A lock timeout anywhere: nothing was saved; say so where the user came from."""
    db.session.rollback()
    if not isinstance(error, locking.Busy) and not locking.is_lock_timeout(error):
        raise error
    back = _same_site_referrer()
    if request.method == "POST" and back:
        flash(str(locking.BUSY_MESSAGE), "error")
        return redirect(back)
    return render_template("error.html", status=503, title=_l("Busy"),
                           message=locking.BUSY_MESSAGE, back=back), 503


def init_app(app: Flask) -> None:
    for status in PAGES:
        app.register_error_handler(status, error_page)
    app.register_error_handler(locking.Busy, busy)
    app.register_error_handler(sa.exc.OperationalError, busy)  # lock timeouts; others re-raised
