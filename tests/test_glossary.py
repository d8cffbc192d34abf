"""The glossary (docs/glossary.md) against every catalogue the interface speaks from.

A translation that uses a word the glossary rejects for its script ("導出" on a Taiwan
screen, "选中的" for bulk actions) fails here, whichever catalogue it comes from: ours,
WTForms' built-in messages, or Flask-Admin's own after our overrides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from wtforms.i18n import messages_path

from admin_app.i18n import wtforms_translations

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
TRANSLATIONS = ROOT / "admin_app" / "translations"
COLUMNS = {"zh_Hans_CN": 3, "zh_Hant_TW": 4}  # the "never in" column of each script
LOCALES = tuple(COLUMNS)


@cache
def glossary_rows() -> tuple[tuple[str, ...], ...]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        if cells[0] == "English":
            continue
        assert len(cells) == 5, f"glossary row needs 5 cells: {line}"
        rows.append(cells)
    return tuple(rows)


def rejected(locale: str) -> dict[str, str]:
    """Rejected word -> the English term it was rejected for."""
    words = {}
    for row in glossary_rows():
        for word in re.split(r"\s*/\s*", row[COLUMNS[locale]]):
            if word:
                words[word] = row[0]
    return words


def offences(locale: str, texts: dict[str, str]) -> list[str]:
    found = []
    for word, term in rejected(locale).items():
        for msgid, text in texts.items():
            if word in text:
                found.append(f"{msgid!r} -> {text!r} uses {word!r} (glossary: {term})")
    return found


def msgids(po: Path) -> Iterator[str | tuple[str, str]]:
    with po.open("rb") as handle:
        for message in read_po(handle):
            if message.id:
                yield message.id if isinstance(message.id, str) else tuple(message.id[:2])


def plural(ngettext, msgid: tuple[str, str], n: int, names: set[str]) -> str:
    """Flask-Babel's ngettext formats the message (its count under any name); WTForms'
    returns it unformatted and takes no names."""
    try:
        return str(ngettext(msgid[0], msgid[1], n, **dict.fromkeys(names, n)))
    except TypeError:
        return str(ngettext(msgid[0], msgid[1], n))


def translate(gettext, ngettext, ids) -> dict[str, str]:
    texts = {}
    for msgid in ids:
        if isinstance(msgid, str):
            texts[msgid] = gettext(msgid)
        else:
            # the count under whatever name the message gives it (``num`` by default)
            names = set(re.findall(r"%\((\w+)\)", msgid[0] + msgid[1])) - {"num"}
            texts[msgid[0]] = " | ".join(plural(ngettext, msgid, n, names) for n in (1, 2))
    return texts


def test_glossary_is_well_formed():
    rows = glossary_rows()
    assert len(rows) > 50
    english = [row[0] for row in rows]
    assert len(english) == len(set(english)), "a term listed twice"
    for row in rows:
        assert row[1] and row[2], f"{row[0]}: a preferred term for each script"
        for locale, column in COLUMNS.items():
            preferred = {w for w in re.split(r"\s*/\s*", row[column - 2]) if w}
            never = {w for w in re.split(r"\s*/\s*", row[column]) if w}
            assert not preferred & never, f"{row[0]}: {locale} both prefers and rejects"


def test_the_rejection_check_catches_a_rejected_word():
    assert offences("zh_Hant_TW", {"Export": "導出"})
    assert offences("zh_Hans_CN", {"With selected": "选中的"})
    assert not offences("zh_Hant_TW", {"Export": "匯出"})


@pytest.mark.parametrize("locale", LOCALES)
def test_our_catalogue_follows_the_glossary(app, locale):
    from flask_babel import gettext, ngettext

    with app.test_request_context(), force_locale(locale):
        texts = translate(gettext, ngettext, msgids(TRANSLATIONS / "messages.pot"))
    assert not offences(locale, texts), "\n".join(offences(locale, texts))


@pytest.mark.parametrize("locale", LOCALES)
def test_wtforms_messages_follow_the_glossary(app, locale):
    source = Path(messages_path()) / "zh_TW" / "LC_MESSAGES" / "wtforms.po"
    with app.test_request_context(), force_locale(locale):
        texts = translate(wtforms_translations.gettext, wtforms_translations.ngettext,
                          msgids(source))
    assert not offences(locale, texts), "\n".join(offences(locale, texts))
