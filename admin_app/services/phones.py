"""Phone numbers kept in one canonical form, so that one number is stored one way and a
search for it, however typed, is an equality (or prefix) match on an index.

The canonical forms (docs/domain.md, "Phone numbers"):

- a mainland mobile: its 11 digits, ``13812345678``;
- every other number -- mainland landline, toll-free and 400 numbers, Hong Kong, Macau,
  Taiwan and the rest of the world: E.164, ``+`` and the country code and the number
  without its trunk 0: ``010-12345678`` -> ``+861012345678``, ``+852 9123 4567`` ->
  ``+85291234567``, ``+886 912 345 678`` -> ``+886912345678``.

A number without a country code is read as a mainland one (``0`` then the area code for
a landline); others need theirs (``+852 …`` or ``00852 …``). Google's libphonenumber
metadata (the ``phonenumbers`` package) decides what is a valid number, so new mobile
ranges come with its releases rather than with a pattern of our own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers
import sqlalchemy as sa
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from .. import sql

HOME_REGION = "CN"
# What a typed number may contain besides digits: a leading "+", and the separators people
# write between groups. Letters (vanity numbers, "ext. 12") are refused.
PHONE_SHAPED = re.compile(r"\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*", re.ASCII)
# A search shorter than this is not taken for the beginning of a phone number.
MIN_PREFIX_DIGITS = 4
CANONICAL = re.compile(r"\+?[0-9]+", re.ASCII)


def _typed(text: str) -> str:
    """Full-width digits and signs (as Chinese input methods type them) as ASCII; the
    surrounding space off, and a bracketed "(+86)" read as "+86"."""
    text = unicodedata.normalize("NFKC", text).strip()
    return text.replace("(+", "+", 1) if text.startswith("(+") else text


def parse(text: str) -> phonenumbers.PhoneNumber | None:
    """The number ``text`` spells, when it is a valid one; None otherwise."""
    typed = _typed(text)
    if not PHONE_SHAPED.fullmatch(typed):
        return None
    try:
        number = phonenumbers.parse(typed, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return number


def _is_mainland_mobile(number: phonenumbers.PhoneNumber) -> bool:
    return (phonenumbers.region_code_for_number(number) == HOME_REGION
            and phonenumbers.number_type(number) == PhoneNumberType.MOBILE)


def canonical_of(number: phonenumbers.PhoneNumber) -> str:
    if _is_mainland_mobile(number):
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def canonical(text: str) -> str | None:
    """The canonical form of the number ``text`` spells however it is typed ("138 1234
    5678", "+86 138-1234-5678", "8613812345678" -> "13812345678"); None when it is not a
    valid number."""
    number = parse(text)
    return canonical_of(number) if number is not None else None


def display(stored: str) -> str:
    """How screens show a stored number: a mainland one as it is dialled at home
    ("138 1234 5678", "010 1234 5678"), any other with its country code ("+852 9123
    4567"). A value that is not a valid number (older data) is shown as it is."""
    number = parse(stored)
    if number is None:
        return stored
    if phonenumbers.region_code_for_number(number) == HOME_REGION:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


# --- search --------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneSearch:
    """What a search text means as a phone number: the canonical number it spells in
    full, or the canonical beginnings of the numbers it may be the start of."""

    exact: str | None = None
    prefixes: tuple[str, ...] = ()


def search_terms(text: str) -> PhoneSearch | None:
    """``text`` read as (part of) a phone number, or None when it doesn't look like one.

    A whole number matches its canonical form exactly. The beginning of one ("138 1234",
    "+852 9123", "010-1234") matches the canonical numbers that start with it; a run of
    digits that can't begin a canonical number (no "+", "0", "1" or "86" in front: the
    number's end, say) matches none."""
    typed = _typed(text)
    if not PHONE_SHAPED.fullmatch(typed):
        return None
    whole = canonical(typed)
    if whole is not None:
        return PhoneSearch(exact=whole)
    digits = re.sub(r"[^0-9]", "", typed)
    if len(digits) < MIN_PREFIX_DIGITS:
        return None
    if typed.startswith("+") or digits.startswith("00"):
        rest = digits[2:] if not typed.startswith("+") else digits
        if rest.startswith("86"):
            return PhoneSearch(prefixes=_mainland_prefixes(rest[2:]))
        return PhoneSearch(prefixes=("+" + rest,))
    if digits.startswith("0"):
        return PhoneSearch(prefixes=("+86" + digits[1:],))
    if digits.startswith("1"):
        return PhoneSearch(prefixes=(digits,))
    if digits.startswith("86"):
        return PhoneSearch(prefixes=_mainland_prefixes(digits[2:]))
    return PhoneSearch()


def _mainland_prefixes(national: str) -> tuple[str, ...]:
    """The canonical beginnings of mainland numbers whose national part starts with
    ``national``: a mobile's own digits, and any other number's E.164."""
    national = national.removeprefix("0")
    if national.startswith("1"):
        return (national, "+86" + national)
    return ("+86" + national,)


def search_criterion(column: Any, text: str) -> sa.ColumnElement[bool] | None:
    """Rows whose canonical ``column`` is the number ``text`` spells (or starts with what
    it spells); None when ``text`` doesn't look like a phone number. Equality and
    prefix matches only, which the column's index serves."""
    terms = search_terms(text)
    if terms is None:
        return None
    if terms.exact is not None:
        return sa.and_(column == terms.exact)
    if not terms.prefixes:
        return sa.false()
    return sa.or_(*(sql.starts_with(column, prefix) for prefix in terms.prefixes))


def is_canonical(value: str) -> bool:
    """True when ``value`` is already a valid number in its canonical form."""
    return CANONICAL.fullmatch(value) is not None and canonical(value) == value
