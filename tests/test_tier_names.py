"""Tiers are named, never shown by their code: the four codes are the app's own keys, each
with a translated label, shown while the tier keeps its standard name; a name an admin gave
a tier is shown as typed, on every screen, filter and export."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Tier

from .test_audit_display import filter_options, shown_text

ZH = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW"}


@pytest.mark.parametrize(("name", "lang", "shown"), [
    ("Gold", "zh_Hans", "黄金级"), ("Gold", "zh_Hant", "黃金級"), ("Gold", "en", "Gold"),
    ("", "zh_Hans", "黄金级"),
    ("金卡客户", "en", "金卡客户"), ("金卡客户", "zh_Hant", "金卡客户"),
])
def test_a_tier_keeps_its_translated_name_until_an_admin_renames_it(app, name, lang, shown):
    with app.test_request_context("/", headers={"Accept-Language": ZH.get(lang, "en")}):
        gold = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
        gold.name = name
        assert str(gold) == shown
        db.session.rollback()


def test_a_tier_of_a_code_the_app_does_not_define_shows_its_name():
    assert Tier(code="bronze", name="青铜级").display_name() == "青铜级"


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_the_tier_screens_show_no_tier_code(as_role, sample, lang):
    admin = as_role("admin")
    for url in ("/admin/tier/", f"/admin/tier/details/?id={sample['tier']}", "/admin/",
                "/admin/client/"):
        page = admin.get(f"{url}{'&' if '?' in url else '?'}lang={lang}").text
        text = shown_text(page)
        for code in ("diamond", "platinum", "gold", "standard", "Gold", "Diamond"):
            assert code not in text, (url, code)


def test_a_renamed_tier_is_shown_by_its_new_name_everywhere(app, as_role, sample):
    with app.app_context():
        db.session.get(Tier, sample["tier"]).name = "金卡客户"
        db.session.commit()
    admin = as_role("admin")
    admin.get("/admin/?lang=zh_Hans")
    for url in ("/admin/tier/", "/admin/", "/admin/client/",
                f"/admin/client/details/?id={sample['client']}"):
        assert "金卡客户" in admin.get(url).text, url
    assert "金卡客户" in filter_options(admin.get("/admin/client/").text)["等级"]
    assert "金卡客户" in admin.get("/admin/client/export/csv/").get_data(as_text=True)


def test_the_tier_form_explains_the_name(as_role, sample):
    page = as_role("admin").get(f"/admin/tier/edit/?id={sample['tier']}&lang=zh_Hans").text
    assert "等级保留标准名称时" in page
