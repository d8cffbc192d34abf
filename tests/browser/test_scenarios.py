"""The issues' "done when" scenarios, tried in Chromium as a new user would: clicking
through the screens of a live server, not posting forms by hand."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import AuditEntry, Client, Tier, TierChange

from .. import factories
from .test_e2e import log_in

D = Decimal


@pytest.fixture
def ladder(app, users):
    """Clients around the gold threshold (500,000 in assets by default) and in every risk
    profile; names in Chinese, as the firm's clients are."""
    with app.app_context():
        risks = ("balanced", "conservative", "aggressive")
        for i in range(12):
            # Gold clients C00-C05, and standard ones of whom C06-C08 have 450,000:
            # they become gold when the threshold comes down to 400,000.
            gold = i < 6
            assets = D(600000 + i) if gold else D(450000 + i) if i < 9 else D(1000)
            factories.client(
                db.session, code=f"C{i:02d}", name=f"客户{'甲乙丙丁戊己庚辛壬癸子丑'[i]}",
                risk_profile=risks[i % 3], assets=assets, annual_contribution=D(6000),
                trades_12m=5, tier=factories.tier(db.session, "gold" if gold else "standard"))
        db.session.commit()


def choose_filter(page, name: str, option: str) -> None:
    """Add a filter the way a user does: "Add Filter", its name, then the option picked in
    the value's drop-down (a select2 widget)."""
    page.click("a.dropdown-toggle:has-text('Add Filter')")
    page.click(f".field-filters a.filter:text-is('{name}')")
    page.locator("table.filters tr").last.locator(".select2-container.filter-val").click()
    page.click(f".select2-drop-active .select2-result-label:text-is('{option}')")


def apply_filters(page) -> None:
    with page.expect_navigation():
        page.click("#filter_form button[type=submit]")


def listed_count(page) -> int:
    text = page.locator(".nav-tabs .nav-link.active").inner_text()  # "List (N)"
    return int(text.split("(")[1].split(")")[0])


def test_admin_lowers_gold_previews_saves_and_recalculates_all(app, page, ladder):
    log_in(page, "admin")
    page.goto("/admin/tier/")
    page.locator("tr", has_text="Gold").locator("a[title='Edit Record']").click()
    page.fill("#min_assets", "400000")
    page.click("#preview-impact")
    impact = page.locator("#tier-impact")
    gold_row = impact.locator("tr", has_text="Gold").locator("td")
    assert gold_row.nth(1).inner_text() == "3"  # three clients would move up into gold
    assert page.locator("#min_assets").input_value() == "400000"  # kept for the save
    with app.app_context():
        assert db.session.scalar(sa.select(Tier.min_assets).where(Tier.code == "gold")) == \
            D(500000)

    with page.expect_navigation():  # a threshold moved: the form asks for a reason
        page.click("input[type=submit][value=Save]")
    assert "/edit/" in page.url and "Give a reason for this change" in page.content()
    page.fill("#reason", "Gold opened to younger savers")
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")
    assert "/admin/tier/" in page.url and "/edit/" not in page.url
    with app.app_context():
        assert db.session.scalar(sa.select(Tier.min_assets).where(Tier.code == "gold")) == \
            D(400000)

    page.goto("/admin/client/")
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.click("#recalculate-all")
    assert messages == ["Recalculate the tiers of every client?"]
    flash = page.locator(".alert").first.inner_text()
    assert "3 upgraded, 0 downgraded, 9 unchanged, 0 locked skipped" in flash
    with app.app_context():
        moved = db.session.scalars(sa.select(TierChange.client_id)).all()
        gold = db.session.scalars(sa.select(Client.code).join(Client.tier)
                                  .where(Tier.code == "gold")).all()
    assert len(moved) == 3
    assert sorted(gold) == [f"C{i:02d}" for i in range(9)]


def test_supervisor_recalculates_the_clients_of_one_filtered_list(app, page, ladder):
    with app.app_context():  # two gold clients whose figures have fallen
        db.session.execute(sa.update(Client).where(Client.code.in_(["C00", "C03"]))
                           .values(assets=D(100)))
        db.session.commit()
    log_in(page, "supervisor")
    choose_filter(page, "Risk profile", "Balanced")
    apply_filters(page)
    assert listed_count(page) == 4  # C00, C03, C06, C09
    assert page.locator("#recalculate-all").count() == 0  # everyone: admins only
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#recalculate-filtered")
    flash = page.locator(".alert").first.inner_text()
    assert "0 upgraded, 2 downgraded, 2 unchanged, 0 locked skipped" in flash
    with app.app_context():
        assert sorted(db.session.scalars(
            sa.select(Client.code).join(TierChange, TierChange.client_id == Client.id))) == \
            ["C00", "C03"]
        entry = db.session.scalar(sa.select(AuditEntry).where(  # the run's entry
            AuditEntry.action == "recalculate_tiers", AuditEntry.entity_id.is_(None)))
        assert entry.changes["scope"] == "filtered" and entry.changes["downgraded"] == 2


def test_supervisor_filters_gold_and_balanced_and_exports_csv(app, page, ladder, tmp_path):
    log_in(page, "supervisor")
    choose_filter(page, "Tier", "Gold")
    choose_filter(page, "Risk profile", "Balanced")
    apply_filters(page)
    listed = listed_count(page)
    assert listed == 2  # C00 and C03

    page.click("a.dropdown-toggle:has-text('Export')")
    with page.expect_download() as download:
        page.click(".dropdown-menu a:has-text('Export CSV')")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("clients-") and saved.suffix == ".csv"
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == listed
    named = {r[header.index("Code")]: r[header.index("Name")] for r in body}
    assert named == {"C00": "客户甲", "C03": "客户丁"}
    assert {r[header.index("Tier")] for r in body} == {"Gold"}
    assert {r[header.index("Risk profile")] for r in body} == {"Balanced"}
    with app.app_context():
        started, ended = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "export").order_by(AuditEntry.id)).all()
        assert started.changes["expected_rows"] == 2 and len(started.changes["filters"]) == 2
        assert (ended.changes["status"], ended.changes["rows"]) == ("finished", 2)
