"""Interface language: catalogues, language choice, and what each screen shows in it.

The catalogue tests read the ``.po`` files and the source, so new strings are covered
without new tests: a string added to the code fails here until it is extracted,
translated into both Chinese catalogues and compiled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from html import unescape
from io import BytesIO
from pathlib import Path

import flask_admin
import flask_admin.babel
import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import escape
from wtforms.i18n import messages_path

from admin_app.config import LANGUAGES

from .conftest import Browser, form_values
from .test_glossary import offences

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "admin_app" / "translations"
CHINESE = ("zh_Hans_CN", "zh_Hant_TW")
FLASK_ADMIN_TRANSLATIONS = Path(flask_admin.__file__).parent / "translations"
# The catalogue folders WTForms ships for each of our languages (it has ``zh`` and ``zh_TW``).
WTFORMS_CATALOGUE = {"en": "en", "zh_Hans": "zh", "zh_Hant": "zh_TW"}
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}  # as in the Makefile
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{[^{}]*\}")

# Words the screens must show; the tier and client-type terms are the firm's own.
LOGIN_WORDS = {
    "en": ("Log in", "User name", "Password", "ClientCare Admin"),
    "zh_Hans": ("登录", "用户名", "密码", "客户维护管理系统"),
    "zh_Hant": ("登入", "使用者名稱", "密碼", "客戶維護管理系統"),
}
CLIENT_LIST_WORDS = {
    "en": ("Code", "Name", "Type", "Tier", "Status", "Next callback due", "Individual", "Gold"),
    "zh_Hans": ("编号", "名称", "类型", "等级", "状态", "下次回访日期", "个人", "黄金级"),
    "zh_Hant": ("編號", "名稱", "類型", "等級", "狀態", "下次回訪日期", "個人", "黃金級"),
}
# The firm's terms (the glossary's), looked up in the catalogues rather than on a screen.
DOMAIN_TERMS = {
    "zh_Hans_CN": {"Diamond": "钻石级", "Platinum": "白金级", "Gold": "黄金级",
                   "Standard": "普通级", "Individual": "个人", "Enterprise": "企业",
                   "Institution": "机构", "Conservative": "保守型", "Balanced": "稳健型",
                   "Holiday greeting": "节日关怀", "Birthday greeting": "生日祝福",
                   "Investment lecture": "投资讲座", "Seminar": "研讨会",
                   "Client exchange meeting": "客户交流会", "Outdoor activity": "户外活动",
                   "Service hotline": "客服热线", "Branch": "营业网点",
                   "Regulator referral": "监管转办", "Complaints": "投诉"},
    "zh_Hant_TW": {"Diamond": "鑽石級", "Platinum": "白金級", "Gold": "黃金級",
                   "Standard": "普通級", "Individual": "個人", "Enterprise": "企業",
                   "Institution": "機構", "Conservative": "保守型", "Balanced": "穩健型",
                   "Birthday greeting": "生日祝福", "Investment lecture": "投資講座",
                   "Seminar": "研討會", "Client exchange meeting": "客戶交流會",
                   "Outdoor activity": "戶外活動", "Complaints": "投訴"},
}
# Flask-Admin's own words on the list and create pages (translated by its "admin" domain).
FLASK_ADMIN_LIST_WORDS = ("List", "Create", "Add Filter", "With selected", "Delete", "Search")
FLASK_ADMIN_FORM_WORDS = ("Save", "Cancel", "Save and Add Another")


# --- helpers -------------------------------------------------------------------------------


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


@cache
def load_po(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def messages(catalog: Catalog) -> list:
    return [m for m in catalog if m.id]


def as_tuple(value: str | tuple | list) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no scripts, tags or entities."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# Latin-script words a Chinese page may show: the language menu names English in English,
# and the export formats are known by their names.
LATIN_ON_CHINESE_PAGES = frozenset({"English", "CSV", "XLSX"})
# Elements a reader never sees: Flask-Admin's data for its scripts (filters, the template
# of an inline form), hidden with Bootstrap's d-none.
HIDDEN_ELEMENT = re.compile(r'<(div|span)\b[^>]*\bclass="[^"]*\bd-none\b[^"]*"[^>]*>.*?</\1>',
                            re.S)
BUTTON_VALUE = re.compile(r'<input\b[^>]*\btype="(?:submit|button|reset)"[^>]*>', re.I)
# Attributes whose text a user reads: tooltips, placeholders, confirmations.
# A word of letters only: codes and ids such as C0000001 or a hex request id are data.
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]{2,}(?![A-Za-z0-9_])")
READ_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|alt|data-confirm)="([^"]*)"')


def english_words(html: str, allowed: Iterable[str] = ()) -> list[str]:
    """The English words on a page that should be all Chinese: in its visible text, on its
    buttons and in its tooltips, placeholders and confirmations. ``allowed``: data that is
    in Latin script (user names, codes)."""
    html = HIDDEN_ELEMENT.sub(" ", html)
    texts = [visible_text(html), *READ_ATTRIBUTES.findall(html)]
    for button in BUTTON_VALUE.findall(html):
        value = re.search(r'\bvalue="([^"]*)"', button)
        texts.append(value.group(1) if value else "")
    words = set(LATIN_WORD.findall(unescape(" ".join(texts))))
    return sorted(words - LATIN_ON_CHINESE_PAGES - set(allowed))


def catalogue_text(locale: str, msgid: str) -> str:
    message = load_po(locale).get(msgid)
    assert message is not None and message.string, f"{msgid!r} not translated in {locale}"
    return message.string


def admin_po_path(locale: str) -> Path:
    """Our corrections to Flask-Admin's catalogue for ``locale``."""
    return TRANSLATIONS / locale / "LC_MESSAGES" / "admin.po"


def flask_admin_catalogue(locale: str, *, corrected: bool = True) -> Translations:
    """Flask-Admin's catalogue for ``locale``, with ours over it (as the app serves it)."""
    catalogue = Translations.load(str(FLASK_ADMIN_TRANSLATIONS), [locale], "admin")
    if corrected:
        catalogue.merge(Translations.load(str(TRANSLATIONS), [locale], "admin"))
    return catalogue


def flask_admin_text(lang: str, msgid: str) -> str:
    return flask_admin_catalogue(LANGUAGES[lang]).gettext(msgid)


def wtforms_text(lang: str, msgid: str) -> str:
    """WTForms' message as shown: our catalogue's wording where it has one, else WTForms'."""
    if lang != "en":
        ours = load_po(LANGUAGES[lang]).get(msgid)
        if ours is not None and ours.string:
            return ours.string
    catalogue = WTFORMS_CATALOGUE[lang]
    return Translations.load(messages_path(), [catalogue], "wtforms").gettext(msgid)


def choose(browser, lang: str, url: str = "/login"):
    return browser.get(f"{url}?lang={lang}")


# --- catalogues ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", sorted(set(LANGUAGES.values())))
def test_every_language_has_a_loadable_catalogue(app, locale):
    """Folders use Babel's names (a folder ``zh_CN`` would silently never load)."""
    assert str(Locale.parse(locale)) == locale
    assert po_path(locale).is_file()
    assert po_path(locale).with_suffix(".mo").is_file()
    with app.app_context():
        available = {str(loc) for loc in app.extensions["babel"].instance.list_translations()}
    assert locale in available


@pytest.mark.parametrize("locale", CHINESE)
def test_catalogue_is_complete(locale):
    catalog = load_po(locale)
    assert messages(catalog), "empty catalogue"
    untranslated = [m.id for m in messages(catalog) if not all(as_tuple(m.string))]
    fuzzy = [m.id for m in messages(catalog) if m.fuzzy]
    assert not untranslated, f"{locale}: untranslated {untranslated}"
    assert not fuzzy, f"{locale}: fuzzy {fuzzy}"
    # pybabel compile skips a catalogue whose header is fuzzy.
    assert not catalog.fuzzy, f"{locale}: the header is marked fuzzy"


@pytest.mark.parametrize("locale", CHINESE)
def test_placeholders_are_kept(locale):
    catalog = load_po(locale)
    wrong = []
    for message in messages(catalog):
        ids = as_tuple(message.id)
        for string in filter(None, as_tuple(message.string)):  # blanks: see completeness
            # Chinese has one plural form: it keeps the singular's or the plural's placeholders.
            allowed = [placeholders(i) for i in ids]
            if placeholders(string) not in allowed:
                wrong.append((message.id, string))
    assert not wrong, f"{locale}: placeholders changed in {wrong}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{locale}: {problems}"


@pytest.mark.parametrize("locale", CHINESE)
def test_domain_terms_follow_the_design(locale):
    wrong = {msgid: (catalogue_text(locale, msgid), term)
             for msgid, term in DOMAIN_TERMS[locale].items()
             if catalogue_text(locale, msgid) != term}
    assert not wrong, f"{locale}: (ours, the firm's) {wrong}"


def test_every_source_string_is_in_the_catalogues():
    """Extracts the source as ``make i18n`` does and compares it with each catalogue."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.add((context, msgid))
    assert found, "nothing extracted: is babel.cfg right?"
    for locale in sorted(set(LANGUAGES.values())):
        catalog = load_po(locale)
        known = {(m.context, as_tuple(m.id)[0]) for m in messages(catalog)}
        missing = sorted(msgid for context, msgid in found - known)
        assert not missing, f"{locale} lacks {missing}: run `make i18n` and translate"


@pytest.mark.parametrize("locale", sorted(set(LANGUAGES.values())))
def test_compiled_catalogue_matches_the_po(locale):
    """The committed ``.mo`` holds exactly what compiling the ``.po`` now would."""
    catalog = load_po(locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    expected = {(m.context, as_tuple(m.id)): m.string for m in messages(read_mo(compiled))}
    with po_path(locale).with_suffix(".mo").open("rb") as fh:
        actual = {(m.context, as_tuple(m.id)): m.string for m in messages(read_mo(fh))}
    assert actual == expected, f"{locale}: .mo is stale, run `pybabel compile`"


# Flask-Admin's words on our screens: the msgids of its model and action templates, and of
# the messages its model views flash.
FLASK_ADMIN_PACKAGE = Path(flask_admin.__file__).parent
FLASK_ADMIN_SCREEN_SOURCES = (
    *sorted((FLASK_ADMIN_PACKAGE / "templates/bootstrap4/admin/model").glob("*.html")),
    FLASK_ADMIN_PACKAGE / "templates/bootstrap4/admin/actions.html",
    FLASK_ADMIN_PACKAGE / "templates/bootstrap4/admin/lib.html",
    FLASK_ADMIN_PACKAGE / "model/base.py",
    FLASK_ADMIN_PACKAGE / "contrib/sqla/view.py",
    FLASK_ADMIN_PACKAGE / "contrib/sqla/filters.py",
)
FLASK_ADMIN_MSGID = re.compile(r"""\b_?(?:lazy_)?gettext\(\s*(?:'([^']+)'|"([^"]+)")""")


def flask_admin_screen_msgids() -> set[str]:
    found = set()
    for path in FLASK_ADMIN_SCREEN_SOURCES:
        for single, double in FLASK_ADMIN_MSGID.findall(path.read_text(encoding="utf-8")):
            found.add(single or double)
    return found


@pytest.mark.parametrize("locale", CHINESE)
def test_flask_admin_corrections_are_complete_compiled_and_keep_placeholders(locale):
    with admin_po_path(locale).open("rb") as fh:
        ours = read_po(fh, locale=locale)
    with (FLASK_ADMIN_TRANSLATIONS / locale / "LC_MESSAGES" / "admin.po").open("rb") as fh:
        theirs = read_po(fh, locale=locale)
    assert messages(ours), "no corrections"
    for message in messages(ours):
        msgid = as_tuple(message.id)[0]
        assert all(as_tuple(message.string)) and not message.fuzzy, f"{msgid!r} untranslated"
        assert theirs.get(msgid) is not None, f"Flask-Admin has no {msgid!r} to correct"
        for string in as_tuple(message.string):
            assert placeholders(string) in [placeholders(i) for i in as_tuple(message.id)], \
                f"{locale}: placeholders changed in {message.id!r}"
    compiled = BytesIO()
    write_mo(compiled, ours)
    compiled.seek(0)
    expected = {as_tuple(m.id): m.string for m in messages(read_mo(compiled))}
    with admin_po_path(locale).with_suffix(".mo").open("rb") as fh:
        assert {as_tuple(m.id): m.string for m in messages(read_mo(fh))} == expected, \
            f"{locale}: admin.mo is stale, run `make i18n`"


@pytest.mark.parametrize("locale", CHINESE)
def test_flask_admin_words_on_our_screens_follow_the_glossary(locale):
    catalogue = flask_admin_catalogue(locale)
    msgids = flask_admin_screen_msgids()
    assert {"With selected", "Export", "Failed to save record."} <= msgids
    wrong = offences(locale, {msgid: catalogue.gettext(msgid) for msgid in sorted(msgids)})
    assert not wrong, f"{locale}: correct these in {admin_po_path(locale)}: {wrong}"
    untranslated = sorted(m for m in msgids if catalogue.gettext(m) == m and "%" not in m
                          and "{" not in m)
    assert not untranslated, f"{locale}: Flask-Admin leaves {untranslated} in English"


# --- choosing the language -----------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(LOGIN_WORDS))
def test_login_page_in_each_language(browser, lang):
    response = choose(browser, lang)
    assert response.status_code == 200
    text = visible_text(response.text)
    for word in LOGIN_WORDS[lang]:
        assert word in text, f"{word!r} missing under ?lang={lang}"
    if lang != "en":
        assert "Log in" not in text and "Password" not in text
    assert f'lang="{lang.replace("_", "-")}"' in response.text


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_chosen_language_is_remembered(browser, lang):
    choose(browser, lang)
    later = browser.get("/login")
    assert LOGIN_WORDS[lang][0] in visible_text(later.text)
    # The choice beats the browser's own preference ...
    english_browser = browser.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert LOGIN_WORDS[lang][0] in visible_text(english_browser.text)
    # ... until another language is chosen.
    assert "Log in" in visible_text(choose(browser, "en").text)
    assert "Log in" in visible_text(browser.get("/login").text)


def test_language_chosen_on_the_log_in_page_stays_after_logging_in(app, browser, users):
    browser.get("/login?lang=zh_Hant")
    browser.login("staff")
    page = browser.get("/admin/client/")
    assert "客戶" in visible_text(page.text) and "Clients" not in visible_text(page.text)
    # ... and is the user's language next time, from another browser.
    other = Browser(app.test_client())
    other.login("staff")
    assert "客戶" in visible_text(other.get("/admin/client/").text)


@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("zh-TW", "zh_Hant"),
        ("zh-HK,zh;q=0.8", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-CN", "zh_Hans"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("en-US", "en"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR", "en"),
    ],
)
def test_accept_language_when_nothing_was_chosen(browser, accept, lang):
    response = browser.get("/login", headers={"Accept-Language": accept})
    text = visible_text(response.text)
    assert LOGIN_WORDS[lang][0] in text
    assert all(word in text for word in LOGIN_WORDS[lang])


def test_chosen_language_beats_accept_language(browser):
    response = browser.get("/login?lang=en", headers={"Accept-Language": "zh-TW"})
    assert "Log in" in visible_text(response.text)


# --- screens -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(CLIENT_LIST_WORDS))
def test_client_list_in_each_language(as_role, sample, lang):
    admin = as_role("admin")
    response = choose(admin, lang, "/admin/client/")
    assert response.status_code == 200
    text = visible_text(response.text)
    for word in CLIENT_LIST_WORDS[lang]:
        assert word in text, f"{word!r} missing from the client list under ?lang={lang}"
    if lang != "en":
        for english in ("Individual", "Gold", "Next callback due", "Risk profile"):
            assert english not in text, f"{english!r} left in English under ?lang={lang}"


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_flask_admin_words_are_translated(as_role, sample, lang):
    """Flask-Admin finds its own zh_Hans_CN / zh_Hant_TW catalogues for our locale names."""
    admin = as_role("admin")
    pages = {
        "/admin/client/": FLASK_ADMIN_LIST_WORDS,
        "/admin/client/new/": FLASK_ADMIN_FORM_WORDS,
    }
    choose(admin, lang, "/admin/")
    for url, words in pages.items():
        page = unescape(admin.get(url).text)
        for msgid in words:
            word = flask_admin_text(lang, msgid)
            assert word != msgid, f"Flask-Admin has no {lang} text for {msgid!r}"
            assert word in page, f"{word!r} ({msgid}) missing from {url} under ?lang={lang}"


@pytest.mark.parametrize("lang", ["en", "zh_Hans", "zh_Hant"])
def test_our_validation_messages_are_translated(as_role, lang):
    admin = as_role("admin")
    choose(admin, lang, "/admin/")
    response = admin.post_form("/admin/client/new/", {
        "code": "C9000002", "name": "测试客户", "kind": "individual", "status": "active",
        "phone": "12345",
    })
    assert response.status_code == 200, "an invalid form must be shown again, not saved"
    msgid = ("Enter a mainland mobile (e.g. 138 1234 5678), a mainland landline with its "
             "area code (e.g. 010-1234 5678), or a number with its country or region code "
             "(e.g. +852 9123 4567).")
    expected = msgid if lang == "en" else catalogue_text(LANGUAGES[lang], msgid)
    assert str(escape(expected)) in response.text


WTFORMS_CASES = {
    # field: (posted value, WTForms' message)
    "code": ("", "This field is required."),
    "kind": ("no-such-kind", "Not a valid choice."),
    "assets": ("lots", "Not a valid decimal value."),
    "trades_12m": ("many", "Not a valid integer value."),
    "birth_date": ("yesterday", "Not a valid date value."),
    "risk_assessed_at": ("last week", "Not a valid datetime value."),
}


@pytest.mark.parametrize(
    "lang",
    [
        "en",
        "zh_Hans",
        "zh_Hant",
    ],
)
def test_wtforms_messages_in_the_right_script(as_role, lang):
    """WTForms' own messages on a generated form come from its ``zh`` / ``zh_TW`` catalogue."""
    admin = as_role("admin")
    choose(admin, lang, "/admin/")
    data = {"name": "测试客户", "status": "active"}
    data.update({field: value for field, (value, _msgid) in WTFORMS_CASES.items()})
    response = admin.post_form("/admin/client/new/", data)
    assert response.status_code == 200
    page = unescape(response.text)
    missing = {}
    for field, (_value, msgid) in WTFORMS_CASES.items():
        expected = wtforms_text(lang, msgid)
        assert lang == "en" or expected != msgid, f"WTForms has no {lang} text for {msgid!r}"
        if expected not in page:
            missing[field] = expected
    assert not missing, f"expected under ?lang={lang}: {missing}"


# --- Flask-Admin's words, corrected --------------------------------------------------------

CHINESE_LANGS = ("zh_Hans", "zh_Hant")
# Flask-Admin words that our catalogue words differently, each shown on the client list.
CORRECTED_ON_THE_LIST = ("With selected", "Add Filter", "Export")
# Latin-script data on a page of the sample records: the signed-in user's name.
USER_NAME = ("Test", "admin")


@pytest.mark.parametrize("lang", CHINESE_LANGS)
def test_our_corrections_win_over_flask_admins_own_catalogue(app, as_role, sample, lang):
    locale = LANGUAGES[lang]
    admin = as_role("admin")
    choose(admin, lang, "/admin/")
    page = unescape(admin.get("/admin/client/").text)
    for msgid in CORRECTED_ON_THE_LIST:
        ours = flask_admin_catalogue(locale).gettext(msgid)
        theirs = flask_admin_catalogue(locale, corrected=False).gettext(msgid)
        if ours == theirs:
            continue  # Flask-Admin's word is right in this script
        assert ours in page and theirs not in page, f"{msgid}: {theirs!r} shown, not {ours!r}"
    # Outside any view too (a message flashed by an error handler, say), even when the
    # catalogue is first loaded there.
    flask_admin.babel.domain.cache.clear()
    with app.test_request_context("/", headers={"Accept-Language": locale.replace("_", "-")}):
        assert flask_admin.babel.gettext("With selected") == \
            flask_admin_catalogue(locale).gettext("With selected") != "With selected"


@pytest.mark.parametrize(("lang", "sizes"), [
    ("en", ("20 items per page", "50 items per page")),
    ("zh_Hans", ("每页 20 条", "每页 50 条")),
    ("zh_Hant", ("每頁 20 筆", "每頁 50 筆")),
])
def test_the_page_size_menu_counts_rows_per_page(as_role, sample, lang, sizes):
    admin = as_role("admin")
    text = visible_text(choose(admin, lang, "/admin/client/").text)
    for size in sizes:
        assert size in text


@pytest.mark.parametrize("lang", CHINESE_LANGS)
def test_a_failed_save_of_a_client_leaves_no_english(as_role, sample, lang):
    """Flask-Admin's "Failed to save record." (missing from its compiled catalogue), the
    empty tier choice ("__None" until told otherwise) and the rest of the form."""
    admin = as_role("admin")
    choose(admin, lang, "/admin/")
    url = f"/admin/client/edit/?id={sample['client']}"
    data = {**form_values(admin.get(url).text), "phone": "12345", "tier": "__None"}
    response = admin.post_form(url, data)
    assert response.status_code == 200, "an invalid form is shown again"
    assert flask_admin_text(lang, "Failed to save record.") in response.text
    assert '<option selected value="__None">—</option>' in response.text
    assert "__None" not in visible_text(response.text)
    words = english_words(response.text, allowed=USER_NAME)
    assert not words, f"English left after a failed save under ?lang={lang}: {words}"


@pytest.mark.parametrize("lang", CHINESE_LANGS)
def test_select2_gets_its_words_from_our_catalogue(as_role, lang):
    admin = as_role("admin")
    page = unescape(choose(admin, lang, "/admin/client/new/").text)
    locale = LANGUAGES[lang]
    for attribute, msgid in (("no-matches", "No matches found"), ("searching", "Searching…"),
                             ("input-too-short", "Type {n} more characters"),
                             ("tags-hint", "Enter values separated by commas")):
        assert f'data-{attribute}="{catalogue_text(locale, msgid)}"' in page
    assert "js/select2-locale.js" in page
