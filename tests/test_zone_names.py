"""Time zones by their names in the interface language ("中国（上海）时间 (UTC+08:00)"),
wherever a zone is shown: the Users screen's choices and a user's details."""

from __future__ import annotations

import re

import pytest

from admin_app.extensions import db
from admin_app.i18n import USER_TIME_ZONES, time_zone_choices, zone_label, zone_name
from admin_app.models import User

from .test_i18n import visible_text

ZH = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW"}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_every_zone_offered_is_named_in_chinese(app, lang):
    with app.test_request_context("/", headers={"Accept-Language": ZH[lang]}):
        choices = dict(time_zone_choices())
    assert list(choices) == list(USER_TIME_ZONES)
    for zone, label in choices.items():
        name, offset = label.rsplit(" (", 1)
        assert re.fullmatch(r"UTC[+-]\d\d:\d\d\)", offset), label
        assert not re.search(r"[A-Za-z]", name), (zone, label)
    assert choices["Asia/Shanghai"].startswith("中国（上海）时间" if lang == "zh_Hans"
                                               else "中國（上海）時間")


def test_zone_names_in_english_and_unknown_zones(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert zone_label("Asia/Tokyo") == "Japan Time (UTC+09:00)"
        assert zone_label("Asia/Kolkata") == "India Time (UTC+05:30)"
        assert zone_name("UTC") == "Coordinated Universal Time"
        assert zone_label("Mars/Olympus_Mons") == "Mars/Olympus_Mons"


def test_the_user_details_and_form_name_the_zone(app, as_role, users):
    with app.app_context():
        db.session.get(User, users["staff"]).timezone = "Asia/Tokyo"
        db.session.commit()
    admin = as_role("admin")
    admin.get("/admin/?lang=zh_Hant")
    page = visible_text(admin.get(f"/admin/user/details/?id={users['staff']}").text)
    assert "日本時間 (UTC+09:00)" in page and "Asia/Tokyo" not in page
    page = visible_text(admin.get(f"/admin/user/details/?id={users['supervisor']}").text)
    assert "公司所在時區：中國（上海）時間 (UTC+08:00)" in page
    form = admin.get(f"/admin/user/edit/?id={users['staff']}").text
    assert re.search(r'<option selected value="Asia/Tokyo">日本時間 \(UTC\+09:00\)</option>',
                     form), form[form.index('id="timezone"'):][:400]
