"""Numbers as the locale writes them: money as ``¥1,234,567.89`` in every language,
right-aligned in its table cell (list, details), the list header above it too; counts
grouped (2,000) on the dashboard, in the list's count and in the messages that report
bulk work."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from admin_app.extensions import db
from admin_app.models import Client, Money
from admin_app.services import messages
from admin_app.services.tiers import RecalcResult
from admin_app.views.formatting import money

from . import factories

LANGS = ("en", "zh_Hans", "zh_Hant")
APP_CSS = Path(__file__).parents[1] / "admin_app" / "static" / "css" / "app.css"


def money_cell(html: str, column: str) -> str | None:
    """The text of the list cell of ``column``, when it holds a .money span (else None)."""
    match = re.search(rf'<td class="col-{column}">\s*<span class="money">([^<]*)</span>',
                      html)
    return match.group(1) if match else None


@pytest.fixture
def rich(app, users) -> dict[str, int]:
    with app.app_context():
        client = factories.client(db.session, name="钱多多", assets=Decimal("1234567.89"),
                                  annual_contribution=Decimal("0.5"))
        event = factories.event(db.session, title="Gala", budget=Decimal("1000"))
        db.session.commit()
        return {"client": client.id, "event": event.id}


@pytest.mark.parametrize("lang", LANGS)
def test_money_on_the_list_in_every_language(as_role, rich, lang):
    html = as_role("staff").get(f"/admin/client/?lang={lang}").text
    assert money_cell(html, "assets") == "¥1,234,567.89"
    events = as_role("staff").get(f"/admin/event/?lang={lang}").text
    assert money_cell(events, "budget") == "¥1,000.00"


@pytest.mark.parametrize("lang", LANGS)
def test_money_on_the_details_page(as_role, rich, lang):
    html = as_role("staff").get(f"/admin/client/details/?id={rich['client']}&lang={lang}").text
    assert '<span class="money">¥1,234,567.89</span>' in html
    assert '<span class="money">¥0.50</span>' in html


def test_tier_thresholds_are_money_too(as_role):
    html = as_role("staff").get("/admin/tier/?lang=zh_Hans").text
    assert re.search(r'<td class="col-min_assets">\s*<span class="money">¥[\d,]+\.\d\d<', html)


def test_no_money_no_span(as_role, app, users):
    """An event without a budget shows an empty cell, not ¥0.00."""
    with app.app_context():
        factories.event(db.session, title="Free walk", budget=None)
        db.session.commit()
    html = as_role("staff").get("/admin/event/").text
    assert 'class="money"' not in html


def test_money_formatting_follows_the_locale_but_keeps_the_yuan_sign(app):
    with app.test_request_context():
        for locale in ("en", "zh_Hans_CN", "zh_Hant_TW"):
            with force_locale(locale):
                assert money(Decimal("1234567.89")) == "¥1,234,567.89"
                assert money(Decimal("0")) == "¥0.00"
                assert money(Decimal("-0.5")) == "-¥0.50"
        with force_locale("de_DE"):  # what the pattern leaves to the locale
            assert money(Decimal("1234567.89")) == "¥1.234.567,89"


def money_columns() -> set[str]:
    return {column.key for table in db.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, sa.Numeric)
            and (column.type.precision, column.type.scale) == (Money.precision, Money.scale)}


def test_every_money_column_has_its_header_right_aligned():
    css = APP_CSS.read_text()
    assert money_columns() >= {"assets", "annual_contribution", "budget", "min_assets",
                               "min_annual_contribution"}
    header_rule = re.search(r"((?:th\.col-\w+,?\s*)+)\{\s*text-align: right;", css)
    assert header_rule, "no rule right-aligns money headers"
    aligned = set(re.findall(r"th\.col-(\w+)", header_rule.group(1)))
    assert money_columns() - aligned == set()
    assert re.search(r"\.money \{[^}]*text-align: right;", css)


def test_the_list_page_loads_the_stylesheet_and_classes_the_header(as_role, rich):
    html = as_role("staff").get("/admin/client/").text
    assert "/static/css/app.css" in html
    assert re.search(r'<th class="column-header col-assets">', html)


@pytest.fixture
def many_clients(app, users) -> int:
    """1,234 clients, inserted in one statement; 1,000 of them in the gold tier."""
    with app.app_context():
        gold = factories.tier(db.session, "gold")
        db.session.execute(sa.insert(Client), [
            {"code": f"B{n:07d}", "name": f"客户{n}", "kind": "individual", "status": "active",
             "tier_id": gold.id if n < 1000 else None}
            for n in range(1234)
        ])
        db.session.commit()
    return 1234


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_counts_are_grouped(as_role, many_clients, lang):
    html = as_role("staff").get(f"/admin/?lang={lang}").text
    cards = re.findall(r'<div class="h3 mb-0">(?:<a [^>]*>)?([^<]*)<', html)
    assert "1,234" in cards and "1234" not in cards
    assert re.search(r'<td class="text-right">1,000</td>', html)  # clients per tier


def test_the_list_count_is_grouped(as_role, many_clients):
    html = as_role("supervisor").get("/admin/client/?search=客户").text
    assert "(1,234)" in html  # the List tab
    assert "Recalculate tiers of 1,234 matching clients" in html


def test_the_list_count_of_an_empty_list_is_not_shown(as_role):
    html = as_role("staff").get("/admin/event/").text
    assert re.search(r'class="nav-link active">List</a>', html)


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "1,200 upgraded, 0 downgraded, 10,000 unchanged, 3 locked skipped"),
    ("zh_Hans_CN", "升级 1,200 位，降级 0 位，不变 10,000 位，已锁定跳过 3 位"),
])
def test_the_recalculation_summary_groups_its_counts(app, locale, expected):
    result = RecalcResult(upgraded=1200, downgraded=0, unchanged=10000, locked_skipped=3)
    with app.test_request_context(), force_locale(locale):
        assert messages.recalculation_summary(result) == expected
