"""What a typed value must be before it goes near the database: text without control
characters, whole numbers the column can hold, record ids that are ids.

An outside audit found that such values reached the engines and failed there (a NUL byte
PostgreSQL refuses in any text, an id of 20 digits that overflows SQLite's and
PostgreSQL's integers), each a 500. The screens ask these functions first, so the value
is refused with a message and nothing is sent.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

# Tab, line feed and carriage return are text in a multi-line field (a note, a summary).
LINE_BREAKS = frozenset("\t\n\r")
# The longest search or filter value a list takes: longer ones are refused, not sent.
MAX_QUERY_TEXT = 255

INT16 = (-(2**15), 2**15 - 1)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True when ``text`` holds a control character (NUL, escape, …; Unicode class Cc),
    line breaks and tabs aside in ``multiline`` text."""
    return any(unicodedata.category(ch) == "Cc" and not (multiline and ch in LINE_BREAKS)
               for ch in text)


def integer_range(column_type: Any) -> tuple[int, int]:
    """The whole numbers a column of ``column_type`` holds on both engines (SQLite holds
    64 bits in any INTEGER, PostgreSQL only what the declared size allows)."""
    if isinstance(column_type, sa.BigInteger):
        return INT64
    if isinstance(column_type, sa.SmallInteger):
        return INT16
    return INT32


def fits(value: Any, column_type: Any = None) -> bool:
    """True when a parsed value (or each value of a list) can be compared with a column of
    ``column_type`` on either engine: integers in range, finite numbers, dates the engines
    hold, text without control characters."""
    if isinstance(value, list | tuple):
        return all(fits(v, column_type) for v in value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        if column_type is not None and isinstance(column_type, sa.Integer):
            low, high = integer_range(column_type)
        else:
            low, high = INT64
        return low <= value <= high
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) < Decimal(10) ** 30
    if isinstance(value, str):
        return not has_control_characters(value)
    if isinstance(value, datetime | date):
        return 1 <= value.year <= 9999
    return True


def column_key(column: Any, raw: Any) -> Any:
    """``raw`` (a posted or typed id) as a value of ``column``'s type, or None when it is
    not one or does not fit: ``"abc"``, ``"1.5"``, ``"99999999999999999999"``."""
    if raw is None:
        return None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return None
    if python_type is int:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, str):
            text = raw.strip()
            if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 20:
                return None
            raw = text
        try:
            value = int(raw)
        except (TypeError, ValueError, OverflowError):
            return None
        return value if fits(value, column.type) else None
    if isinstance(raw, str) and has_control_characters(raw):
        return None
    try:
        return python_type(raw)
    except (TypeError, ValueError, ArithmeticError):
        return None
