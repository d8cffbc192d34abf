"""The date pickers in Chromium speak the page's language (static/js/pickers.js with
i18n.date_picker_locale): month and day names, the first day of the week, the buttons and
the range labels; the day picked still lands in the field in the field's format."""

from __future__ import annotations

import re

import pytest

from .test_csp import Watch
from .test_e2e import log_in


def open_picker(page, selector: str):
    """Click the field and return the picker that opened for it."""
    page.click(selector)
    picker = page.locator(".daterangepicker").filter(visible=True)
    assert picker.count() == 1
    return picker


def calendar(picker):
    """The picker's (first) month shown: a single-date picker shows one of its two."""
    return picker.locator(".calendar").filter(visible=True).first


def show_month(picker, year: int, month: int) -> None:
    calendar(picker).locator("select.yearselect").select_option(str(year))
    calendar(picker).locator("select.monthselect").select_option(str(month - 1))


def column_of(picker, day: int) -> int:
    """The column (0 = first) the month's ``day`` stands in."""
    cells = calendar(picker).locator("tbody td:not(.off)")
    cell = cells.filter(has_text=re.compile(rf"^{day}$"))
    return cell.evaluate("td => td.cellIndex")


def weekday_header(picker) -> list[str]:
    return calendar(picker).locator("thead tr").nth(1).locator("th").all_inner_texts()


def test_a_date_time_field_on_a_zh_hans_page(page):
    watch = Watch(page)
    log_in(page, "admin")
    watch.visit("/admin/event/new/?lang=zh_Hans")
    picker = open_picker(page, "#starts_at")

    assert weekday_header(picker) == ["一", "二", "三", "四", "五", "六", "日"]
    months = calendar(picker).locator("select.monthselect option").all_inner_texts()
    assert months == [f"{month}月" for month in range(1, 13)]
    assert picker.locator(".applyBtn").inner_text() == "确定"
    assert picker.locator(".cancelBtn").inner_text() == "取消"
    # the year before the month, as Chinese writes a month ("2026年1月")
    header = calendar(picker).locator("th.month select")
    assert header.nth(0).get_attribute("class") == "yearselect"
    assert header.nth(1).get_attribute("class") == "monthselect"
    # hours with two digits, as the field and every list write them
    hours = calendar(picker).locator("select.hourselect option").all_inner_texts()
    assert hours[:2] == ["00", "01"] and hours[-1] == "23"

    # Monday heads the first column: the day under it is a Monday in the picked month
    show_month(picker, 2026, 3)
    calendar(picker).locator("td.available:not(.off)", has_text=re.compile(r"^2$")).click()
    calendar(picker).locator("select.hourselect").select_option("9")
    picker.locator(".applyBtn").click()
    assert re.fullmatch(r"2026-03-02 09:\d\d:00", page.input_value("#starts_at"))
    watch.assert_clean()


def test_the_first_column_is_a_monday(page):
    """1 March 2026 was a Sunday, 2 March a Monday."""
    log_in(page, "admin")
    page.goto("/admin/event/new/?lang=zh_Hant")
    picker = open_picker(page, "#starts_at")
    show_month(picker, 2026, 3)
    assert weekday_header(picker)[0] == "一"
    assert column_of(picker, 1) == 6
    assert column_of(picker, 2) == 0
    assert picker.locator(".applyBtn").inner_text() == "確定"


def test_the_same_picker_on_an_en_page_starts_on_sunday(page):
    watch = Watch(page)
    log_in(page, "admin")
    watch.visit("/admin/event/new/?lang=en")
    picker = open_picker(page, "#starts_at")
    show_month(picker, 2026, 3)

    assert weekday_header(picker) == ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"]
    assert column_of(picker, 1) == 0  # Sunday 1 March 2026
    assert column_of(picker, 2) == 1
    months = calendar(picker).locator("select.monthselect option").all_inner_texts()
    assert months[:3] == ["Jan", "Feb", "Mar"]
    assert picker.locator(".applyBtn").inner_text() == "Apply"
    assert picker.locator(".cancelBtn").inner_text() == "Cancel"
    header = calendar(picker).locator("th.month select")
    assert header.nth(0).get_attribute("class") == "monthselect"  # "Mar 2026"
    watch.assert_clean()


@pytest.mark.parametrize(("lang", "labels"), [("zh_Hans", ["开始：", "结束："]),
                                              ("en", ["From:", "To:"])])
def test_a_list_filters_range_picker(app, page, lang, labels):
    """A between filter's picker, built by the filter script after the page loaded."""
    admin = app.extensions["admin"][0]
    filters = next(v for v in admin._views if v.endpoint == "event")._filters
    index = next(i for i, f in enumerate(filters)
                 if getattr(f.column, "key", None) == "starts_at"
                 and type(f).__name__.endswith("DateTimeBetweenFilter"))
    log_in(page, "admin")
    page.goto(f"/admin/event/?lang={lang}&flt0_{index}="
              "2026-12-01 00:00:00 to 2026-12-31 23:59:59")
    picker = open_picker(page, "#filter_form input.filter-val")
    # (text_content: the picker's style writes its labels in capitals)
    assert picker.locator(".daterangepicker_start_input label").text_content() == labels[0]
    assert picker.locator(".daterangepicker_end_input label").text_content() == labels[1]
    first = "一" if lang == "zh_Hans" else "Su"
    assert weekday_header(picker)[0] == first
