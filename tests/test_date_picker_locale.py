"""What the date pickers are told about the page's language (i18n.date_picker_locale, in
admin/master.html); tests/browser/test_pickers.py shows them using it."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask_babel import force_locale

from admin_app.i18n import date_picker_locale


@pytest.mark.parametrize(("locale", "first_day", "days", "january", "year_first", "apply"), [
    ("en", 0, ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"], "Jan", False, "Apply"),
    ("zh_Hans_CN", 1, ["日", "一", "二", "三", "四", "五", "六"], "1月", True, "确定"),
    # CLDR starts Taiwan's weeks on Sunday; the firm's Chinese pages all start on Monday
    ("zh_Hant_TW", 1, ["日", "一", "二", "三", "四", "五", "六"], "1月", True, "確定"),
])
def test_the_picker_locale(app, locale, first_day, days, january, year_first, apply):
    with app.test_request_context(), force_locale(locale):
        data = date_picker_locale()
    # the picker lists the days from Sunday and turns them to start on firstDay (0 = Sunday)
    assert data["daysOfWeek"] == days
    assert data["firstDay"] == first_day
    assert data["monthNames"][0] == january and len(data["monthNames"]) == 12
    assert data["yearFirst"] is year_first
    assert data["applyLabel"] == apply


def test_every_page_passes_it_to_the_picker_script(as_role):
    page = as_role("staff").get("/admin/event/new/?lang=zh_Hant").text
    match = re.search(r"<script [^>]*src=\"/static/js/pickers.js\"\s+data-locale='([^']*)'",
                      page)
    assert match, "no picker script with its locale"
    data = json.loads(html.unescape(match.group(1)))
    assert data["cancelLabel"] == "取消" and data["toLabel"] == "結束："
