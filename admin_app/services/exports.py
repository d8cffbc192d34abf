"""Streaming exports of lists (CSV with BOM, XLSX) in constant memory.

Rows are read with a streaming cursor (``yield_per``) and written as they are read: the
first bytes leave before the last row is fetched, and memory does not grow with the list.
Each record type has one column set, used by the screens and the CLI alike. Text cells
that a spreadsheet would take for a formula are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from functools import reduce
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Query, Session, aliased

from ..enums import LabelledEnum, TierCode
from ..labels import COLUMN_LABELS
from ..models import (
    AuditEntry,
    Client,
    Complaint,
    Event,
    EventAttendance,
    Tier,
    User,
    Visit,
)
from ..permissions import mask_email

XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
BATCH = 2_000
FORMULA_START = tuple("=+-@\t\r＝＋－＠")
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ExportError(ValueError):
    """A refused export; the message is translated."""


@dataclass(frozen=True)
class Column:
    key: str           # the label key, and the masking key
    expression: Any    # what to select
    kind: str = "text"  # text | number | datetime | date | label | tier


@dataclass(frozen=True)
class Spec:
    """What one list exports: its columns, over its model, plus the joins they need."""
    name: str
    model: type
    columns: tuple[Column, ...]
    joins: tuple[tuple[Any, Any], ...] = ()
    joins_add_rows: bool = False  # one line per joined row (events: one per attendance)


def _specs() -> dict[str, Spec]:
    advisor = aliased(User, name="export_advisor")
    client = aliased(Client, name="export_client")
    staff = aliased(User, name="export_staff")
    organizer = aliased(User, name="export_organizer")
    assignee = aliased(User, name="export_assignee")
    actor = aliased(User, name="export_actor")
    attendance = aliased(EventAttendance, name="export_attendance")
    attendee = aliased(Client, name="export_attendee")
    person = sa.func.coalesce
    return {
        "clients": Spec("clients", Client, (
            Column("code", Client.code), Column("name", Client.name),
            Column("kind", Client.kind, "label"), Column("status", Client.status, "label"),
            Column("tier", Client.tier_id, "tier"),
            Column("tier_locked", Client.tier_locked, "bool"),
            Column("gender", Client.gender, "label"), Column("birth_date", Client.birth_date,
                                                             "date"),
            Column("phone", Client.phone), Column("email", Client.email),
            Column("id_number", Client.id_number), Column("address", Client.address),
            Column("occupation", Client.occupation),
            Column("risk_profile", Client.risk_profile, "label"),
            Column("assets", Client.assets, "number"),
            Column("annual_contribution", Client.annual_contribution, "number"),
            Column("trades_12m", Client.trades_12m, "number"),
            Column("advisor", person(advisor.full_name, advisor.username)),
            Column("last_callback_at", Client.last_callback_at, "datetime"),
            Column("next_callback_due", Client.next_callback_due, "datetime"),
            Column("created_at", Client.created_at, "datetime"),
        ), ((advisor, Client.advisor_id == advisor.id),)),
        "visits": Spec("visits", Visit, (
            Column("client.code", client.code), Column("client", client.name),
            Column("channel", Visit.channel, "label"), Column("purpose", Visit.purpose, "label"),
            Column("status", Visit.status, "label"),
            Column("scheduled_for", Visit.scheduled_for, "datetime"),
            Column("completed_at", Visit.completed_at, "datetime"),
            Column("staff", person(staff.full_name, staff.username)),
            Column("satisfaction", Visit.satisfaction, "number"),
            Column("summary", Visit.summary),
        ), ((client, Visit.client_id == client.id), (staff, Visit.staff_id == staff.id))),
        "events": Spec("events", Event, (
            Column("title", Event.title), Column("kind", Event.kind, "label"),
            Column("status", Event.status, "label"),
            Column("starts_at", Event.starts_at, "datetime"),
            Column("ends_at", Event.ends_at, "datetime"), Column("location", Event.location),
            Column("capacity", Event.capacity, "number"), Column("budget", Event.budget, "number"),
            Column("organizer", person(organizer.full_name, organizer.username)),
            Column("client.code", attendee.code), Column("client", attendee.name),
            Column("attendance.status", attendance.status, "label"),
            Column("feedback_score", attendance.feedback_score, "number"),
            Column("feedback_text", attendance.feedback_text),
        ), ((organizer, Event.organizer_id == organizer.id),
            (attendance, attendance.event_id == Event.id),
            (attendee, attendance.client_id == attendee.id)), joins_add_rows=True),
        "complaints": Spec("complaints", Complaint, (
            Column("reference", Complaint.reference), Column("client.code", client.code),
            Column("client", client.name), Column("channel", Complaint.channel, "label"),
            Column("received_at", Complaint.received_at, "datetime"),
            Column("category", Complaint.category, "label"),
            Column("severity", Complaint.severity, "label"),
            Column("status", Complaint.status, "label"), Column("department", Complaint.department),
            Column("assignee", person(assignee.full_name, assignee.username)),
            Column("due_at", Complaint.due_at, "datetime"),
            Column("description", Complaint.description), Column("findings", Complaint.findings),
            Column("resolution", Complaint.resolution), Column("root_cause", Complaint.root_cause),
            Column("satisfaction", Complaint.satisfaction, "number"),
            Column("closed_at", Complaint.closed_at, "datetime"),
            Column("reopened_count", Complaint.reopened_count, "number"),
        ), ((client, Complaint.client_id == client.id),
            (assignee, Complaint.assignee_id == assignee.id))),
        "audit": Spec("audit", AuditEntry, (
            Column("at", AuditEntry.at, "datetime"),
            Column("user", person(actor.full_name, actor.username)),
            Column("action", AuditEntry.action), Column("entity", AuditEntry.entity),
            Column("entity_id", AuditEntry.entity_id), Column("ip", AuditEntry.ip),
            Column("changes", sa.cast(AuditEntry.changes, sa.Text)),
        ), ((actor, AuditEntry.user_id == actor.id),)),
    }


SPECS = _specs()


def base_statement(spec: Spec, base: Query | sa.Select | None = None) -> sa.Select:
    """The list's own query (filters, search, sort kept), or every row in id order."""
    if base is None:
        return sa.select(spec.model).order_by(spec.model.id)
    return base.statement if isinstance(base, Query) else base


def count(session: Session, spec: Spec, base: Query | sa.Select | None = None) -> int:
    """How many lines the export will have (the joins matter only where they add rows)."""
    select = base_statement(spec, base)
    if spec.joins_add_rows:
        select = _with_columns(spec, select, [spec.model.id])
    else:
        select = select.with_only_columns(spec.model.id, maintain_column_froms=True)
    select = select.order_by(None)
    return session.scalar(sa.select(sa.func.count()).select_from(select.subquery())) or 0


def _with_columns(spec: Spec, select: sa.Select, columns: Sequence[Any]) -> sa.Select:
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


class Render:
    """Each cell rendered by the database as finished CSV or XLSX text, so a row reaches
    Python as one string: the fetch, not Python, sets the pace. One method per column
    kind; the few spellings that differ between SQLite and PostgreSQL live here."""

    STARS = "*" * 64

    def __init__(self, dialect: str, fmt: str, tz: tzinfo, now: datetime,
                 tiers: dict[int, str] | None = None) -> None:
        self.tiers = tiers or {}
        self.sqlite = dialect == "sqlite"
        self.xlsx = fmt == "xlsx"
        offset = (now.astimezone(tz).utcoffset() or timedelta(0)) if tz else timedelta(0)
        self.minutes = int(offset.total_seconds() // 60)

    # -- helpers -------------------------------------------------------------------------
    @staticmethod
    def text(expr: Any) -> Any:
        return sa.cast(expr, sa.Text)

    def right(self, expr: Any, n: int) -> Any:
        return text_func.substr(expr, -n) if self.sqlite else text_func.right(expr, n)

    def position(self, needle: str, expr: Any) -> Any:
        return sa.func.instr(expr, needle) if self.sqlite else sa.func.strpos(expr, needle)

    def empty(self) -> Any:
        return sa.literal("<c/>" if self.xlsx else "")

    # -- masking and neutralising, as permissions.mask_* and neutralise() do in Python ---
    def masked(self, expr: Any, masker: Callable[[str], str]) -> Any:
        length = sa.func.length(expr)
        middle = sa.case(
            (length <= 7, text_func.substr(sa.literal(self.STARS), 1, length)),
            else_=text_func.substr(expr, 1, 3) + text_func.substr(sa.literal(self.STARS), 1,
                                                              length - 7) + self.right(expr, 4))
        if masker is not mask_email:
            return middle
        at = self.position("@", expr)
        return sa.case((at > 0, text_func.substr(expr, 1, 1) + sa.literal("***") +
                        text_func.substr(expr, at)), else_=middle)

    def neutralised(self, expr: Any) -> Any:
        # The formula characters are all below "A" or in the full-width block: one cheap
        # range test on the first code point before the exact one.
        first = sa.func.unicode(expr) if self.sqlite else sa.func.ascii(expr)
        risky = sa.or_(first < 65, first.between(0xFF0B, 0xFF20))
        exact = text_func.substr(expr, 1, 1).in_(list(FORMULA_START))
        return sa.case((sa.and_(risky, exact), sa.literal("'") + expr), else_=expr)

    # -- cells ---------------------------------------------------------------------------
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

    def number(self, expr: Any, money: bool = False) -> Any:
        if money and self.sqlite:  # SQLite keeps no scale; PostgreSQL's numeric(18,2) does
            value = text_func.printf("%.2f", expr)
        else:
            value = self.text(expr)
        return sa.literal("<c><v>") + value + sa.literal("</v></c>") if self.xlsx else value

    def moment(self, expr: Any) -> Any:
        if self.xlsx:
            if self.sqlite:
                days = sa.func.julianday(expr) - 2415018.5 + self.minutes / 1440.0
            else:
                days = sa.extract("epoch", expr) / 86400.0 + 25569 + self.minutes / 1440.0
            return sa.literal('<c s="1"><v>') + self.text(days) + sa.literal("</v></c>")
        if self.sqlite:
            if not self.minutes:
                return text_func.substr(expr, 1, 19)
            # Whole seconds first: SQLite would round a shifted 59.9995 s up to the next
            # second, where the screens (and PostgreSQL) cut the fraction off.
            return text_func.datetime(text_func.substr(expr, 1, 19),
                                      f"{self.minutes:+d} minutes")
        if not self.minutes:
            return text_func.substr(self.text(expr), 1, 19)
        shifted = expr + sa.func.make_interval(0, 0, 0, 0, 0, self.minutes)
        return text_func.to_char(shifted, "YYYY-MM-DD HH24:MI:SS")

    def day(self, expr: Any) -> Any:
        if self.xlsx:
            serial = (sa.func.julianday(expr) - 2415018.5) if self.sqlite else \
                (expr - sa.cast(sa.literal("1899-12-30"), sa.Date))
            return sa.literal('<c s="2"><v>') + self.text(serial) + sa.literal("</v></c>")
        return self.text(expr) if self.sqlite else text_func.to_char(expr, "YYYY-MM-DD")

    def labelled(self, expr: Any, labels: dict[Any, str]) -> Any:
        return sa.case({code: self.literal_text(text) for code, text in labels.items()},
                       value=expr, else_=self.empty())

    def cell(self, spec: Spec, column: Column, masks: dict[str, Callable[[str], str]],
             label: Callable[[Any], str]) -> Any:
        expr = column.expression
        if column.kind == "text":
            value = expr if isinstance(expr.type, sa.String) else self.text(expr)
            if column.key in masks:
                value = self.masked(value, masks[column.key])
            rendered = self.quoted(self.neutralised(value))
        elif column.kind == "number":
            rendered = self.number(expr, money=isinstance(expr.type, sa.Numeric)
                                   and not isinstance(expr.type, sa.Integer))
        elif column.kind == "datetime":
            rendered = self.moment(expr)
        elif column.kind == "date":
            rendered = self.day(expr)
        elif column.kind == "bool":
            return self.labelled(sa.cast(expr, sa.Integer), {1: label(True), 0: label(False)})
        elif column.kind == "tier":  # by id: the tiers are few, so no join is needed
            return self.labelled(expr, self.tiers)
        else:  # an enumeration stored by its code
            enum_cls = expr.type.enum_class
            return self.labelled(sa.type_coerce(expr, sa.String),
                                 {m.value: label(m) for m in enum_cls})
        column_def = getattr(expr, "expression", expr)
        if getattr(column_def, "table", None) is spec.model.__table__ and \
                not column_def.nullable:
            return rendered
        return sa.case((expr.is_(None), self.empty()), else_=rendered)

    def line(self, spec: Spec, masks: dict[str, Callable[[str], str]],
             label: Callable[[Any], str]) -> Any:
        cells = [self.cell(spec, c, masks, label) for c in spec.columns]
        if self.xlsx:
            return reduce(operator.add, [sa.literal("<row>"), *cells, sa.literal("</row>")])
        separated = [cells[0]]
        for cell in cells[1:]:
            separated += [sa.literal(","), cell]
        return reduce(operator.add, separated)


def lines(session: Session, spec: Spec, fmt: str, base: Query | sa.Select | None = None, *,
          masks: dict[str, Callable[[str], str]] | None = None, tz: tzinfo = UTC,
          label: Callable[[Any], str] = label_of, now: datetime | None = None,
          ) -> Iterator[list[str]]:
    """Batches of finished rows (CSV lines or XLSX <row> elements), read from a streaming
    cursor ``BATCH`` rows at a time."""
    tiers = {tier.id: label(TierCode(tier.code)) if tier.code in TierCode.labels() else tier.name
             for tier in session.scalars(sa.select(Tier))}
    render = Render(session.get_bind().dialect.name, fmt, tz, now or datetime.now(UTC), tiers)
    line = render.line(spec, masks or {}, label).label("line")
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


def headers(spec: Spec) -> list[str]:
    return [str(COLUMN_LABELS.get(c.key, c.key)) for c in spec.columns]


# --- writers ------------------------------------------------------------------------------


def csv_chunks(header: Sequence[str], batches: Iterable[list[str]],
               on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Chinese correctly), in chunks."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(header)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    n = 0
    for batch in batches:
        n += len(batch)
        yield ("\r\n".join(batch) + "\r\n").encode()
        if on_row:
            on_row(n)
    if on_row:
        on_row(n)


class _Pipe:
    """A write-only, unseekable file whose contents are taken away as they are written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="4">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        '</cellStyles></styleSheet>'),
}


def _workbook(sheet_name: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(sheet_name[:31])}" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>')


def _header_row(header: Sequence[str]) -> str:
    cells = "".join(
        '<c s="3" t="inlineStr"><is><t>'
        + escape(ILLEGAL_XML.sub("", h)) + "</t></is></c>" for h in header)
    return f"<row>{cells}</row>"


def xlsx_chunks(header: Sequence[str], batches: Iterable[list[str]], *,
                sheet: str = "Export",
                on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """An .xlsx workbook written as a zip stream: every part is deflated and sent as it is
    produced; the rows arrive as finished <row> elements with real numbers and dates."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, content in XLSX_STATIC.items():
            book.writestr(name, content)
        book.writestr("xl/workbook.xml", _workbook(sheet))
        yield pipe.take()
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>')
            part.write(_header_row(header).encode())
            n = 0
            for batch in batches:
                n += len(batch)
                if n > XLSX_MAX_ROWS:
                    raise ExportError("too many rows for XLSX")
                # Control characters XML can't carry are dropped here, in one pass.
                part.write(ILLEGAL_XML.sub("", "".join(batch)).encode())
                yield pipe.take()
                if on_row:
                    on_row(n)
            part.write(b"</sheetData></worksheet>")
    yield pipe.take()
    if on_row:
        on_row(n)


WRITERS = {"csv": csv_chunks, "xlsx": xlsx_chunks}
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def filename(spec: Spec, fmt: str, now: datetime) -> str:
    return f"{spec.name}-{now:%Y%m%d-%H%M}.{fmt}"

