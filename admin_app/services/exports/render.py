"""How a cell becomes text: each row rendered by the database as a finished CSV line or
XLSX ``<row>``, read from a streaming cursor.

Masking, formula-neutralising and the text form of identifiers are computed in SQL exactly
as ``permissions.Mask``, ``neutralise`` and ``identifier_field`` do in Python (property tests
hold them together); engine differences are the constructs of ``admin_app.sql``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from functools import reduce
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Query, Session

from ... import sql
from ...enums import LabelledEnum
from ...models import Tier
from ...permissions import Mask
from .specs import Column, Kind, Spec
from .writers import STYLE_MONEY

BATCH = 2_000
ListQuery = Query[Any] | sa.Select[Any]  # a list's own query: filters, search, sort
FORMULA_START = tuple("=+-@\t\r＝＋－＠")
# An identifier (ID number, phone, code) made only of these characters is one a spreadsheet
# would read as a number from a CSV: "330106199104122063" becomes 330106199104121984 (15
# significant digits), "0012" becomes 12. ``Render.identifier`` keeps it text.
NUMBER_LIKE = "0123456789 +-"


def base_statement(spec: Spec, base: ListQuery | None = None) -> sa.Select[Any]:
    """The list's own query (filters, search, sort kept), or every row in id order."""
    if base is None:
        return sa.select(spec.model).order_by(spec.model.id)
    return base.statement if isinstance(base, Query) else base  # type: ignore[return-value]


def count(session: Session, spec: Spec, base: ListQuery | None = None) -> int:
    """How many lines the export will have (the joins matter only where they add rows)."""
    select = base_statement(spec, base)
    if spec.joins_add_rows:
        select = _with_columns(spec, select, [spec.model.id])
    else:
        select = select.with_only_columns(spec.model.id, maintain_column_froms=True)
    select = select.order_by(None)
    return session.scalar(sa.select(sa.func.count()).select_from(select.subquery())) or 0


def _with_columns(spec: Spec, select: sa.Select[Any], columns: Sequence[Any]) -> sa.Select[Any]:
    select = select.with_only_columns(*columns, maintain_column_froms=False)
    select = select.select_from(spec.model)  # the left side of the joins below
    for target, on in spec.joins:
        select = select.outerjoin(target, on)
    if not select._order_by_clauses:
        select = select.order_by(spec.model.id)
    return select


def neutralise(text: str) -> str:
    """A leading ' keeps a spreadsheet from reading the cell as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def number_like(text: str) -> bool:
    """Made only of ``NUMBER_LIKE`` characters (and not empty)."""
    return text != "" and not text.lstrip(NUMBER_LIKE)


def identifier_field(text: str) -> str:
    """An identifier's CSV field, unquoted (``Render.identifier`` computes it in SQL): a
    number-like value as the text formula ``="…"``, anything else neutralised as text."""
    return f'="{text}"' if number_like(text) else neutralise(text)


def label_of(value: Any) -> str:
    """The translated label of an enum member or a yes/no."""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, LabelledEnum):
        return str(value.label)
    return str(value.value if isinstance(value, Enum) else value)


class _TextFunctions:
    """``text_func.substr(...)``: SQL functions typed as text, so that ``+`` between them
    compiles to string concatenation, never to arithmetic."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args: getattr(sa.func, name)(*args, type_=sa.Text)


text_func = _TextFunctions()


def mask_sql(mask: Mask, expr: Any) -> Any:
    """``mask(value)`` computed by the database (``permissions.Mask``), per member."""
    return _SQL_MASKS[mask](expr)


def _mask_middle_sql(expr: Any) -> Any:
    length = sa.func.length(expr)
    return sa.case(
        (length <= 7, sql.repeat_text("*", length)),
        else_=text_func.substr(expr, 1, 3) + sql.repeat_text("*", length - 7)
        + sql.right(expr, 4))


def _mask_email_sql(expr: Any) -> Any:
    at = sql.position("@", expr)
    first = text_func.substr(expr, 1, sa.case((at > 1, 1), else_=0))  # none before the @
    return sa.case((at > 0, first + sa.literal("***") + text_func.substr(expr, at)),
                   else_=_mask_middle_sql(expr))


_SQL_MASKS: dict[Mask, Callable[[Any], Any]] = {
    Mask.middle: _mask_middle_sql,
    Mask.email: _mask_email_sql,
}


def number_like_sql(expr: Any) -> Any:
    """``number_like(value)`` computed by the database (ltrim(text, characters) is the same
    function on SQLite and PostgreSQL)."""
    return sa.and_(expr != "", text_func.ltrim(expr, NUMBER_LIKE) == "")


def neutralised_sql(expr: Any) -> Any:
    """``neutralise(value)`` computed by the database."""
    # The formula characters are all below "A" or in the full-width block: one cheap
    # range test on the first code point before the exact one.
    first = sql.first_code_point(expr)
    risky = sa.or_(first < 65, first.between(0xFF0B, 0xFF20))
    exact = text_func.substr(expr, 1, 1).in_(list(FORMULA_START))
    return sa.case((sa.and_(risky, exact), sa.literal("'") + expr), else_=expr)


class Render:
    """Each cell rendered by the database as finished CSV or XLSX text, so a row reaches
    Python as one string: the fetch, not Python, sets the pace. One method per column
    kind (``CELLS``); what differs between engines is in ``admin_app.sql``."""

    def __init__(self, fmt: str, tz: tzinfo, now: datetime,
                 tiers: dict[int, str] | None = None,
                 label: Callable[[Any], str] = label_of) -> None:
        self.tiers = tiers or {}
        self.label = label
        self.xlsx = fmt == "xlsx"
        offset = (now.astimezone(tz).utcoffset() or timedelta(0)) if tz else timedelta(0)
        self.minutes = int(offset.total_seconds() // 60)

    @staticmethod
    def text(expr: Any) -> Any:
        return sa.cast(expr, sa.Text)

    def empty(self) -> Any:
        return sa.literal("<c/>" if self.xlsx else "")

    def quoted(self, text: Any) -> Any:
        """A text cell: CSV-quoted, or an XML-escaped inline string."""
        if self.xlsx:
            escaped = text
            for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
                escaped = text_func.replace(escaped, raw, entity)
            return sa.literal('<c t="inlineStr"><is><t xml:space="preserve">') + escaped + \
                sa.literal("</t></is></c>")
        return sa.literal('"') + text_func.replace(text, '"', '""') + sa.literal('"')

    def literal_text(self, value: str) -> str:
        if self.xlsx:
            value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
        return '"' + value.replace('"', '""') + '"'

    def labelled(self, expr: Any, labels: dict[Any, str], otherwise: Any = None) -> Any:
        return sa.case({code: self.literal_text(text) for code, text in labels.items()},
                       value=expr, else_=self.empty() if otherwise is None else otherwise)

    # -- one method per kind; those marked "finished" handle a missing value themselves ----

    def shown(self, expr: Any, mask: Mask | None) -> Any:
        """The value as text, masked where the role must not see it."""
        value = expr if isinstance(expr.type, sa.String) else self.text(expr)
        return value if mask is None else mask_sql(mask, value)

    def text_cell(self, expr: Any, mask: Mask | None) -> Any:
        return self.quoted(neutralised_sql(self.shown(expr, mask)))

    def identifier(self, expr: Any, mask: Mask | None) -> Any:
        """An ID number, phone or code: a text cell, also when it looks like a number.

        XLSX says so itself: an inline string is never a number nor a formula, so there a
        number-like value goes out as it is (a phone "+86 …" without an apostrophe).

        A CSV has no types: Excel and LibreOffice read a field of digits as a number,
        quoted or not, and keep 15 significant digits (Microsoft KB 269370; LibreOffice:
        tests/test_spreadsheet_roundtrip.py). So a number-like value goes out as
        ``="330106199104122063"``, a formula whose result is that text: the form known to
        make Excel keep a code from a CSV as text, and LibreOffice, which evaluates CSV
        formulas too, shows the same text. It is written only around values made of
        digits, spaces, "+" and "-" (``NUMBER_LIKE``; an ID ending in X is text to both
        already): no quote can end the string early, so whatever was typed, the formula is
        a constant with no function, reference or link in it. Every other value of the
        column is neutralised like free text. The field stays quoted, its quotes doubled,
        as RFC 4180 asks; both spreadsheets unquote it before they read the formula.

        Rejected after trying them in LibreOffice: a leading tab or other control character
        stays in the cell (a lookup or a copy of the ID carries it along), and a leading tab
        is itself one of the formula characters we neutralise; a leading ' is shown as part
        of the value (it means "text" only when typed). The cost of ``="…"``: a program
        that reads the CSV as data sees the formula; the XLSX is exact for that.
        """
        value = self.shown(expr, mask)
        if self.xlsx:
            plain = sa.literal('<c t="inlineStr"><is><t xml:space="preserve">') + value + \
                sa.literal("</t></is></c>")
        else:
            plain = sa.literal('"=""') + value + sa.literal('"""')
        return sa.case((number_like_sql(value), plain),
                       else_=self.quoted(neutralised_sql(value)))

    def number(self, expr: Any, money: bool = False) -> Any:
        value = sql.money_text(expr) if money else self.text(expr)
        if not self.xlsx:
            return value
        style = f' s="{STYLE_MONEY}"' if money else ""  # money with #,##0.00
        return sa.literal(f"<c{style}><v>") + value + sa.literal("</v></c>")

    def number_cell(self, expr: Any, mask: Mask | None) -> Any:
        money = isinstance(expr.type, sa.Numeric) and not isinstance(expr.type, sa.Integer)
        return self.number(expr, money=money)

    def moment(self, expr: Any, mask: Mask | None = None) -> Any:
        if self.xlsx:
            return sa.literal('<c s="1"><v>') + self.text(sql.excel_datetime(expr, self.minutes)) \
                + sa.literal("</v></c>")
        return sql.local_datetime_text(expr, self.minutes)

    def day(self, expr: Any, mask: Mask | None = None) -> Any:
        if self.xlsx:
            return sa.literal('<c s="2"><v>') + self.text(sql.excel_date(expr)) + \
                sa.literal("</v></c>")
        return sql.date_text(expr)

    def yes_no(self, expr: Any, mask: Mask | None) -> Any:  # finished
        return self.labelled(sa.cast(expr, sa.Integer),
                             {1: self.label(True), 0: self.label(False)})

    def tier(self, expr: Any, mask: Mask | None) -> Any:  # finished
        return self.labelled(expr, self.tiers)  # by id: the tiers are few, so no join

    def enum_label(self, expr: Any, mask: Mask | None) -> Any:  # finished
        code = sa.type_coerce(expr, sa.String)
        unlisted = sa.case((code.is_(None), self.empty()), else_=self.text_cell(code, None))
        return self.labelled(code, {m.value: self.label(m) for m in expr.type.enum_class},
                             unlisted)  # a code no longer listed (older data), as it is

    CELLS: ClassVar[dict[Kind, Callable[..., Any]]] = {
        Kind.text: text_cell, Kind.identifier: identifier, Kind.number: number_cell,
        Kind.datetime: moment, Kind.date: day, Kind.bool: yes_no, Kind.tier: tier,
        Kind.label: enum_label,
    }
    FINISHED = frozenset({Kind.bool, Kind.tier, Kind.label})

    def cell(self, spec: Spec, column: Column, masks: dict[str, Mask]) -> Any:
        expr = column.expression
        rendered = self.CELLS[column.kind](self, expr, masks.get(column.key))
        if column.kind in self.FINISHED:
            return rendered
        column_def = getattr(expr, "expression", expr)
        if getattr(column_def, "table", None) is spec.model.__table__ and \
                not column_def.nullable:
            return rendered
        return sa.case((expr.is_(None), self.empty()), else_=rendered)

    def line(self, spec: Spec, masks: dict[str, Mask]) -> Any:
        cells = [self.cell(spec, c, masks) for c in spec.columns]
        if self.xlsx:
            return reduce(operator.add, [sa.literal("<row>"), *cells, sa.literal("</row>")])
        separated = [cells[0]]
        for cell in cells[1:]:
            separated += [sa.literal(","), cell]
        return reduce(operator.add, separated)


def lines(session: Session, spec: Spec, fmt: str, base: ListQuery | None = None, *,
          masks: dict[str, Mask] | None = None, tz: tzinfo = UTC,
          label: Callable[[Any], str] = label_of, now: datetime | None = None,
          ) -> Iterator[list[str]]:
    """Batches of finished rows (CSV lines or XLSX <row> elements), read from a streaming
    cursor ``BATCH`` rows at a time."""
    tiers = {tier.id: tier.display_name(label) for tier in session.scalars(sa.select(Tier))}
    render = Render(fmt, tz, now or datetime.now(UTC), tiers, label)
    line = render.line(spec, masks or {}).label("line")
    select = _with_columns(spec, base_statement(spec, base), [line])
    # SQLAlchemy binds the parameters and opens a streaming (server-side) cursor; the
    # finished lines are then taken from the DBAPI cursor directly, skipping Row objects.
    result = session.connection().execute(select.execution_options(stream_results=True))
    try:
        first = result.fetchone()  # the row a streaming result reads ahead, if any
        if first is None:
            return
        pending = [first[0]]
        while batch := result.cursor.fetchmany(BATCH):
            yield pending + [row[0] for row in batch]
            pending = []
        if pending:
            yield pending
    finally:
        result.close()


