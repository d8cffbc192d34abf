"""Security headers on every kind of response, and admin pages that a strict CSP can run:
every script same-origin and carrying the request's nonce, no inline handlers or styles."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

VIEWS = ("client", "visit", "event", "complaint", "tier", "user", "audit")

# (who, method, url, status); "{client}" etc. are filled from the ``sample`` ids.
PAGES = [
    (None, "GET", "/login", 200),
    (None, "GET", "/admin/client/", 302),
    ("admin", "GET", "/admin/", 200),
    *[("admin", "GET", f"/admin/{view}/", 200) for view in VIEWS],
    ("admin", "GET", "/admin/client/new/", 200),
    ("admin", "GET", "/admin/event/new/", 200),
    ("admin", "GET", "/admin/event/edit/?id={event}", 200),
    ("admin", "GET", "/admin/client/details/?id={client}", 200),
    ("admin", "GET", "/admin/no-such-screen/", 404),
    ("staff", "GET", "/admin/user/", 403),
    (None, "GET", "/logout", 405),
    (None, "POST", "/login", 400),  # no CSRF token
    (None, "GET", "/static/js/admin-csp.js", 200),
    (None, "GET", "/static/css/app.css", 200),
    (None, "GET", "/admin/static/vendor/jquery.min.js", 200),
]

# Rendered admin pages whose markup is checked tag by tag.
HTML_PAGES = [
    "/admin/",
    *[f"/admin/{view}/" for view in VIEWS],
    "/admin/client/new/",
    "/admin/event/new/",
    "/admin/event/edit/?id={event}",
    "/admin/visit/details/?id={visit}",
    "/admin/event/details/?id={event}",
]


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {response.request.path}"
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonce_of(response) -> str:
    (nonce,) = [s for s in csp_directives(response)["script-src"] if s.startswith("'nonce-")]
    return nonce.removeprefix("'nonce-").removesuffix("'")


def assert_secure_headers(response) -> None:
    csp = csp_directives(response)
    nonce = nonce_of(response)
    assert len(nonce) >= 16
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["font-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"


class Tags(HTMLParser):
    """Every start tag of a page, as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def client_for(app, as_role):
    def _client(who: str | None):
        return as_role(who).client if who else app.test_client()
    return _client


@pytest.mark.parametrize(("who", "method", "url", "status"), PAGES,
                         ids=[f"{w or 'anon'}-{m}-{u}" for w, m, u, _ in PAGES])
def test_every_kind_of_response_carries_the_headers(client_for, sample, who, method, url,
                                                   status):
    client = client_for(who)
    with client.open(url.format(**sample), method=method) as response:
        assert response.status_code == status, response.text[:300]
        assert_secure_headers(response)


def test_the_nonce_is_new_for_every_request(browser):
    first, second = browser.get("/login"), browser.get("/login")
    assert nonce_of(first) != nonce_of(second)


@pytest.mark.parametrize("url", HTML_PAGES)
def test_admin_markup_runs_under_the_policy(as_role, sample, url):
    response = as_role("admin").get(url.format(**sample))
    assert response.status_code == 200
    nonce = nonce_of(response)
    tags = tags_of(response.text)
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert any((s.get("src") or "").endswith("/static/js/admin-csp.js") for s in scripts)
    for script in scripts:
        assert script.get("nonce") == nonce, script
        src = script.get("src")
        if src is not None:
            assert src.startswith("/") and not src.startswith("//"), src
    for tag, attrs in tags:
        for name in ("src", "href", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        if tag == "style":
            assert attrs.get("nonce") == nonce, attrs


def test_inline_onclick_handlers_became_data_attributes(as_role, sample):
    """The overridden Flask-Admin templates are the ones rendered."""
    admin = as_role("admin")
    listing = admin.get("/admin/visit/").text
    assert "/admin/visit/delete/confirm/" in listing and "onclick" not in listing
    assert 'data-model-action="delete"' in listing
    assert 'class="dropdown-item filter">' in listing
    create = admin.get("/admin/event/new/").text
    assert 'data-add-inline-field="attendances"' in create and "onclick" not in create


def test_login_page_has_no_inline_styles(browser):
    tags = tags_of(browser.get("/login").text)
    assert not [attrs for _, attrs in tags if "style" in attrs]
    assert any(attrs.get("href") == "/static/css/app.css" for tag, attrs in tags if tag == "link")


# --- client data out of caches; HSTS over HTTPS ------------------------------------------


CLIENT_DATA = [
    "/admin/client/", "/admin/client/details/?id={client}", "/admin/client/edit/?id={client}",
    "/admin/visit/", "/admin/complaint/details/?id={complaint}", "/admin/",
    "/admin/client/export/csv/", "/admin/visit/ajax/lookup/?name=client&query=王",
]


@pytest.mark.parametrize("url", CLIENT_DATA)
def test_pages_lookups_and_exports_with_client_data_are_not_stored(as_role, sample, url):
    with as_role("supervisor").client.get(url.format(**sample)) as response:
        assert response.status_code == 200, (url, response.status_code)
        assert response.headers["Cache-Control"] == "no-store"


def test_errors_and_the_login_page_are_not_stored_either(as_role, browser):
    assert browser.get("/login").headers["Cache-Control"] == "no-store"
    assert as_role("staff").get("/admin/user/").headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(browser):
    for url in ("/static/css/app.css", "/admin/static/vendor/jquery.min.js"):
        with browser.client.get(url) as response:
            assert response.status_code == 200
            assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_only_over_https(app, browser):
    assert "Strict-Transport-Security" not in browser.get("/login").headers
    secure = app.test_client().get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    app.config["HSTS_MAX_AGE"] = 0
    off = app.test_client().get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in off.headers
