"""Property-based fuzz (Hypothesis) of what an outsider can send: every list's query
string (filters, sort, search, page, page size; exports too), every form (create and
edit, posted with a valid CSRF token) and every look-up, on the engine under test.

Whatever arrives: never a 5xx, never a stack trace or a driver's words in the body, and a
request that was refused writes no row. The runs are bounded so that ``make test`` stays
fast; ``make fuzz`` sets CLIENTCARE_FUZZ_EXAMPLES for a long run (and a random seed).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from admin_app.extensions import db
from admin_app.views import adapter

from .conftest import Browser, csrf_token, form_values

LONG_RUN = "CLIENTCARE_FUZZ_EXAMPLES" in os.environ


def examples(default: int) -> Any:
    """``default`` examples (a fixed seed) unless ``make fuzz`` asks for more."""
    return settings(
        max_examples=int(os.environ.get("CLIENTCARE_FUZZ_EXAMPLES", default)),
        deadline=None, database=None, derandomize=not LONG_RUN, print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large])


HUGE = "99999999999999999999"
AWKWARD = ["pirate", "", " ", "0", "-1", "1", "2147483648", "-2147483649", HUGE, "1e400",
           "nan", "inf", "-0", "1.5", "abc", "__None", "2026-13-45", "2026-01-01",
           "2026-01-01 10:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "%", "_",
           "\x00", "a\x00b", "\x1b[31m", "\u202e", "王小明", "' OR 1=1 --", " :abc",
           "<script>alert(1)</script>", "1,2", "x" * 300, "y", "n", "on", "true"]
text = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=30),
                 st.integers(min_value=-(2**70), max_value=2**70).map(str))
LEAKS = ("Traceback", "psycopg", "sqlite3", "OverflowError", "KeyError", "IntegrityError",
         "DataError", "sqlalchemy")
TABLES = ["client", "visit", "event", "event_attendance", "complaint", "tier",
          "service_level", "user", "audit_entry", "tier_change", "reference_counter"]


# Audit entries a request writes by design whatever it asked: that it was refused (403),
# that it read a client's personal data, that it exported. Nothing else may be written.
RECORDS_OF_READING = "('refused', 'view_pii', 'export')"


def row_counts(app) -> dict[str, int]:
    def where(table: str) -> str:
        return f" WHERE action NOT IN {RECORDS_OF_READING}" if table == "audit_entry" else ""

    with app.app_context():
        return {t: db.session.scalar(sa.text(f'SELECT count(*) FROM "{t}"{where(t)}'))
                for t in TABLES}


def answered(response) -> None:
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code < 500, body[:3000]
    for leak in LEAKS:
        assert leak not in body, f"{leak} in the answer: {body[:3000]}"


def views(app) -> dict[str, Any]:
    return {v.endpoint: v for v in adapter.views_of(app.extensions["admin"][0])
            if hasattr(v, "model")}


@pytest.fixture
def logged_in(app, users, sample) -> dict[str, Browser]:
    found = {}
    for role in ("staff", "supervisor", "admin"):
        browser = Browser(app.test_client())
        browser.login(role)
        found[role] = browser
    return found


# --- lists and exports ---------------------------------------------------------------


@st.composite
def list_requests(draw, filter_keys: dict[str, list[str]], exported: set[str]):
    endpoint = draw(st.sampled_from(sorted(filter_keys)))
    args: list[tuple[str, str]] = []
    keys = filter_keys[endpoint]
    if keys:
        for _ in range(draw(st.integers(0, 3))):
            position = draw(st.sampled_from(["0", "1", "2", "x", ""]))
            args.append((f"flt{position}_{draw(st.sampled_from(keys))}", draw(text)))
    for name in ("sort", "desc", "search", "page", "page_size"):
        if draw(st.booleans()):
            args.append((name, draw(text)))
    where = draw(st.sampled_from(["list", "csv", "xlsx"]) if endpoint in exported
                 else st.just("list"))
    role = draw(st.sampled_from(["staff", "supervisor", "admin"]))
    return endpoint, where, args, role


def test_no_list_query_string_fails_or_writes(app, logged_in):
    found = views(app)
    filter_keys = {name: sorted(adapter.filter_args(view)) for name, view in found.items()}
    exported = {name for name, view in found.items() if view.export_spec}

    @examples(40)
    @given(list_requests(filter_keys, exported))
    def check(request):
        endpoint, where, args, role = request
        path = f"/admin/{endpoint}/" + ("" if where == "list" else f"export/{where}/")
        before = row_counts(app)
        response = logged_in[role].client.get(path, query_string=args)
        answered(response)
        after = row_counts(app)
        if where != "list" and response.status_code == 200:  # an export: its audit entry
            after["audit_entry"] = before["audit_entry"]
        assert after == before

    check()


# --- forms ---------------------------------------------------------------------------

FORMS = [("client", "new"), ("client", "edit"), ("visit", "new"), ("visit", "edit"),
         ("event", "new"), ("event", "edit"), ("complaint", "new"), ("complaint", "edit"),
         ("attendance", "edit"), ("user", "new"), ("user", "edit"), ("tier", "edit"),
         ("service_level", "edit")]


def test_no_form_post_fails_and_a_refused_one_writes_nothing(app, logged_in, sample):
    admin = logged_in["admin"]
    token = csrf_token(admin.get("/admin/client/new/").text)
    with app.app_context():
        ids = {**sample, "attendance": db.session.scalar(sa.text(
                   "SELECT min(id) FROM event_attendance")),
               "service_level": db.session.scalar(sa.text("SELECT min(id) FROM service_level"))}
    urls, defaults = {}, {}
    for endpoint, kind in FORMS:
        if kind == "edit" and ids.get(endpoint) is None:
            continue
        url = f"/admin/{endpoint}/new/" if kind == "new" else \
            f"/admin/{endpoint}/edit/?id={ids[endpoint]}"
        values = form_values(admin.get(url).text)
        values.pop("version_id", None)  # no stale-version refusal hiding what the form does
        urls[(endpoint, kind)], defaults[(endpoint, kind)] = url, values

    @st.composite
    def posts(draw):
        which = draw(st.sampled_from(sorted(urls)))
        values = dict(defaults[which])
        names = sorted(values)
        for _ in range(draw(st.integers(1, 4))):
            values[draw(st.sampled_from(names))] = draw(text)
        return which, values

    @examples(40)
    @given(posts())
    def check(post):
        which, values = post
        before = row_counts(app)
        response = admin.client.post(urls[which], data={**values, "csrf_token": token})
        answered(response)
        if response.status_code == 200:  # the form came back: refused, nothing written
            assert row_counts(app) == before, values

    check()


# --- look-ups ------------------------------------------------------------------------


def test_no_lookup_fails_and_each_answers_a_page(app, logged_in):
    lookups = sorted((endpoint, name) for endpoint, view in views(app).items()
                     for name in view._form_ajax_refs)
    assert len(lookups) >= 7

    @examples(30)
    @given(st.sampled_from(lookups), st.dictionaries(
        st.sampled_from(["query", "offset", "limit"]), text, max_size=3),
        st.sampled_from(["staff", "supervisor", "admin"]))
    def check(lookup, args, role):
        endpoint, name = lookup
        response = logged_in[role].client.get(f"/admin/{endpoint}/ajax/lookup/",
                                              query_string={"name": name, **args})
        answered(response)
        if response.status_code == 200:
            assert len(response.json) <= 20

    check()


# --- every other endpoint ------------------------------------------------------------

ARGUMENTS = ["id", "url", "client_id", "staff_id", "event_id", "status", "completed_at",
             "channel", "purpose", "scope", "step", "note", "satisfaction", "action", "rowid",
             "dry_run", "flt0_0", "flt1_6", "search", "sort", "name", "query", "page"]


def test_no_endpoint_fails_on_odd_arguments(app, logged_in, sample):
    """Every URL of every screen (details, edit, new with its prefilled fields, the
    workflow steps, bulk actions, recalculation, planning …), GET and POST, with awkward
    values in the arguments they read; a refused request (4xx) writes nothing."""
    rules = sorted({(rule.rule, method) for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/admin/") and not rule.arguments
                    for method in sorted(rule.methods & {"GET", "POST"})})
    tokens = {role: csrf_token(browser.get("/admin/client/new/").text)
              for role, browser in logged_in.items()}
    keys = st.sampled_from(ARGUMENTS)
    values = st.one_of(text, st.sampled_from([
        str(sample["client"]), str(sample["complaint"]), str(sample["visit"]), "assess",
        "investigate", "resolve", "close", "reopen", "all", "filtered", "recalculate_tier",
        "plan_callbacks", "export_selected", "delete", "done", "phone", "birthday_greeting"]))

    @examples(50)
    @given(st.sampled_from(rules), st.sampled_from(sorted(logged_in)),
           st.lists(st.tuples(keys, values), max_size=4),
           st.lists(st.tuples(keys, values), max_size=4))
    def check(rule, role, args, form):
        path, method = rule
        before = row_counts(app)
        client = logged_in[role].client
        if method == "GET":
            response = client.get(path, query_string=args)
        else:
            response = client.post(path, query_string=args,
                                   data=MultiDict([*form, ("csrf_token", tokens[role])]))
        answered(response)
        if response.status_code >= 400:
            assert row_counts(app) == before

    check()
