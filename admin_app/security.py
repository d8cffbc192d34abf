"""HTTP security headers (Content-Security-Policy and friends) on every response.

Client data stays out of caches: every response but a static file (the pages, lookups and
exports that carry client data, and the rest) is sent with ``Cache-Control: no-store``, so
neither the browser nor a proxy keeps a copy after logout. Over HTTPS, HSTS tells the
browser to come back only over HTTPS (``HSTS_MAX_AGE``).

The policy allows nothing but our own origin and, for inline ``<script>``/``<style>``
elements, a nonce that is new for every request. Flask-Admin puts the nonce on its tags
through ``Admin(csp_nonce_generator=csp_nonce)``; our own templates use the ``csp_nonce()``
Jinja global. Inline event handlers (``onclick=``) and ``javascript:`` URLs are therefore
refused by the browser: the admin templates that had them are overridden in
``templates/admin/`` and ``static/js/admin-csp.js`` binds the same behaviour.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

# Directive -> sources; "{nonce}" is replaced by the request's nonce.
CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-{nonce}'",
    "style-src": "'self' 'nonce-{nonce}'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def csp_nonce() -> str:
    """This request's CSP nonce: made on first use, the same for the rest of the request."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        f"{name} {sources.format(nonce=nonce)}" for name, sources in CSP_DIRECTIVES.items()
    )


def is_static(endpoint: str | None) -> bool:
    """Our static files and Flask-Admin's (``static``, ``admin.static``, ...), and the
    favicon the browser asks for at ``/favicon.ico``."""
    return endpoint is not None and endpoint.rpartition(".")[2] in ("static", "favicon")


def add_security_headers(response: Response) -> Response:
    """Set the headers unless a view already chose its own."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not is_static(request.endpoint):
        response.headers["Cache-Control"] = "no-store"
    max_age = int(current_app.config.get("HSTS_MAX_AGE") or 0)
    if request.is_secure and max_age > 0:
        response.headers.setdefault("Strict-Transport-Security",
                                    f"max-age={max_age}; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Attach the security headers to every response and offer ``csp_nonce()`` to templates."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
