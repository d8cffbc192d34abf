"""The shell around every screen: the product's name and mark, the icon a browser tab
shows (``/favicon.ico`` too, which browsers ask for on their own), the page's language on
``<html>``, and the one stylesheet that carries the palette and the CJK font stack."""

from __future__ import annotations

import re

import pytest

from .test_security_headers import assert_secure_headers, tags_of

ICO_HEADER = b"\x00\x00\x01\x00"  # reserved 0, type 1 (icon)


def icon_links(html: str) -> list[str]:
    return [attrs["href"] for tag, attrs in tags_of(html)
            if tag == "link" and attrs.get("rel") == "icon"]


def test_the_favicon_is_served_as_an_icon_and_may_be_cached(browser):
    with browser.client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data.startswith(ICO_HEADER)
        images = int.from_bytes(response.data[4:6], "little")
        assert images >= 2  # a sharp one for the tab and a larger one
        assert "no-store" not in response.headers.get("Cache-Control", "")
        assert_secure_headers(response)


def test_the_mark_is_an_svg_the_policy_lets_the_page_load(browser):
    with browser.client.get("/static/img/mark.svg") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data and b"<script" not in response.data


@pytest.mark.parametrize("who", [None, "staff"])
def test_every_kind_of_page_links_the_icons_and_they_exist(browser, as_role, who):
    client = as_role(who) if who else browser
    urls = ["/admin/", "/admin/client/", "/admin/no-such-screen/"] if who else [
        "/login", "/admin/no-such-screen/"]
    for url in urls:
        links = icon_links(client.get(url).text)
        assert sorted(links) == ["/favicon.ico", "/static/img/mark.svg"], url
        for link in links:
            with client.client.get(link) as response:
                assert response.status_code == 200, link


def test_the_navigation_bar_shows_the_mark_and_the_products_name(as_role):
    html = as_role("staff").get("/admin/client/").text
    brand = re.search(r'<a class="navbar-brand app-brand" href="/admin/?">(.*?)</a>', html,
                      re.DOTALL)
    assert brand, "no brand link to the dashboard"
    assert '<img src="/static/img/mark.svg" alt=""' in brand.group(1)
    assert "ClientCare Admin" in brand.group(1)


@pytest.mark.parametrize(("lang", "code"), [("en", "en"), ("zh_Hans", "zh-Hans"),
                                            ("zh_Hant", "zh-Hant")])
def test_admin_pages_name_their_language(as_role, lang, code):
    html = as_role("staff").get(f"/admin/client/?lang={lang}").text
    assert re.search(rf'<html lang="{code}">', html)


def test_the_stylesheet_sets_the_font_stack_for_both_chinese_scripts(browser):
    with browser.client.get("/static/css/app.css") as response:
        css = response.get_data(as_text=True)
    assert "--cc-font:" in css and "font-family: var(--cc-font)" in css
    simplified, traditional = re.findall(r"--cc-font:([^;]*);", css)
    for face in ("Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC"):
        assert face in simplified
    for face in ("Microsoft JhengHei", "PingFang TC", "Noto Sans CJK TC"):
        assert face in traditional
    # under zh-Hant the Traditional faces come before the Simplified ones
    assert traditional.index("PingFang TC") < traditional.index("PingFang SC")
    assert "html:lang(zh-Hant)" in css
