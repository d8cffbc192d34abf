"""Select2's own messages in Chromium, in the page's language: the words come from our
catalogue (templates/admin/master.html) through static/js/select2-locale.js."""

from __future__ import annotations

from .test_csp import watch  # noqa: F401  (a fixture)
from .test_e2e import log_in

NO_RESULTS = ".select2-drop-active .select2-no-results"


def test_select2_boxes_speak_the_pages_language(page, watch):  # noqa: F811
    log_in(page, "admin")
    watch.visit("/admin/client/new/?lang=zh_Hant")

    page.click("#s2id_tier")  # the tier box: a search that matches nothing
    page.keyboard.type("zzz")
    assert page.locator(NO_RESULTS).inner_text() == "找不到相符的結果"
    page.keyboard.press("Escape")

    page.click("#s2id_advisor")  # a box that looks records up as the user types
    assert page.locator(NO_RESULTS).inner_text() == "請再輸入 1 個字元"
    page.keyboard.press("Escape")

    watch.visit("/admin/client/?lang=zh_Hans")  # an "in list" filter's value box
    page.click("a.dropdown-toggle:has-text('添加筛选')")
    page.click(".field-filters a.filter:text-is('资产（人民币）')")
    row = page.locator("table.filters tr").last
    row.locator(".select2-container.filter-op").click()
    page.click(".select2-drop-active .select2-result-label:text-is('在列表中')")
    row.locator(".select2-container.filter-val").click()
    assert page.locator(NO_RESULTS).inner_text() == "输入多个值，用逗号分隔"
    watch.assert_clean()
