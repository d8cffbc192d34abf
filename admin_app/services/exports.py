"""Streaming exports of lists (CSV with BOM, XLSX) in constant memory.

Rows are read with a streaming cursor (``yield_per``) and written as they are read: the
first bytes leave before the last row is fetched, and memory does not grow with the list.
Each record type has one column set, used by the screens and the CLI alike. Text cells
that a spreadsheet would take for a formula are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from enum import Enum
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


def _specs() -> dict[str, Spec]:
    tier = aliased(Tier, name="export_tier")
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
            Column("tier", tier.code, "tier"), Column("tier_locked", Client.tier_locked, "bool"),
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
        ), ((tier, Client.tier_id == tier.id), (advisor, Client.advisor_id == advisor.id))),
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
            (attendee, attendance.client_id == attendee.id))),
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
ENTITY_SPECS = {"client": "clients", "visit": "visits", "event": "events",
                "complaint": "complaints", "audit_entry": "audit"}


def statement(spec: Spec, base: Query | sa.Select | None = None) -> sa.Select:
    """The export SELECT: the list's own query (filters, search, sort kept) with the
    export's columns and joins; without a base, every row in id order."""
    if base is None:
        base = sa.select(spec.model).order_by(spec.model.id)
    if isinstance(base, Query):
        base = base.statement
    select = base.with_only_columns(*(c.expression for c in spec.columns),
                                    maintain_column_froms=False)
    for target, on in spec.joins:
        select = select.outerjoin(target, on)
    if not select._order_by_clauses:
        select = select.order_by(spec.model.id)
    return select


def count(session: Session, spec: Spec, base: Query | sa.Select | None = None) -> int:
    select = statement(spec, base).order_by(None)
    return session.scalar(sa.select(sa.func.count()).select_from(select.subquery())) or 0


def neutralise(text: str) -> str:
    """A leading ' keeps a spreadsheet from reading the cell as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _same(value: Any) -> Any:
    return value


def _converters(spec: Spec, masks: dict[str, Callable[[str], str]], tz: tzinfo,
                label: Callable[[Any], str]) -> list[Callable[[Any], Any]]:
    """One function per column turning a database value into a cell value."""

    def text(mask: Callable[[str], str] | None) -> Callable[[Any], Any]:
        if mask is None:
            return lambda v: neutralise(v if isinstance(v, str) else str(v))
        return lambda v: neutralise(mask(str(v)))

    def labelled(v: Any) -> Any:
        return cache.get(v) or cache.setdefault(v, label(v))

    cache: dict[Any, str] = {}
    tiers = {code.value: label(code) for code in TierCode}
    yes, no = label(True), label(False)
    local = tz if tz is not UTC else None

    def moment(v: Any) -> Any:
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return (v.astimezone(local) if local else v).replace(tzinfo=None)

    by_kind: dict[str, Callable[[Any], Any]] = {
        "number": _same,
        "label": labelled,
        "tier": lambda v: tiers.get(v, v),
        "bool": lambda v: yes if v else no,
        "datetime": moment,
        "date": _same,
    }
    return [text(masks.get(c.key)) if c.kind == "text" else by_kind[c.kind]
            for c in spec.columns]


def label_of(value: Any) -> str:
    """The translated label of an enum member or a yes/no."""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, LabelledEnum):
        return str(value.label)
    return str(value.value if isinstance(value, Enum) else value)


def rows(session: Session, spec: Spec, select: sa.Select, *,
         masks: dict[str, Callable[[str], str]] | None = None, tz: tzinfo = UTC,
         label: Callable[[Any], str] = label_of) -> Iterator[list[Any]]:
    """Cell values row by row, fetched ``BATCH`` rows at a time from a streaming cursor."""
    convert = _converters(spec, masks or {}, tz, label)
    steps = [(i, f) for i, f in enumerate(convert) if f is not _same]
    result = session.execute(select.execution_options(yield_per=BATCH))
    for partition in result.partitions():
        for row in partition:
            cells = list(row)
            for i, f in steps:
                if cells[i] is not None:
                    cells[i] = f(cells[i])
            yield cells


def headers(spec: Spec) -> list[str]:
    return [str(COLUMN_LABELS.get(c.key, c.key)) for c in spec.columns]


# --- writers ------------------------------------------------------------------------------


def csv_chunks(header: Sequence[str], data: Iterable[Sequence[Any]],
               on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Chinese correctly), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    n = 0
    for n, row in enumerate(data, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if n % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            if on_row:
                on_row(n)
    yield buffer.getvalue().encode()
    if on_row:
        on_row(n)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(" ", "seconds")
    return value


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
EXCEL_EPOCH = datetime(1899, 12, 30)
XML_ENTITIES = {"\r": "&#13;"}  # a bare CR in XML text would be read back as LF


def _workbook(sheet_name: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(sheet_name[:31])}" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>')


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, datetime):
        serial = (value - EXCEL_EPOCH).total_seconds() / 86400
        return f'<c s="1"><v>{serial:.10f}</v></c>'
    if isinstance(value, date):
        return f'<c s="2"><v>{(value - EXCEL_EPOCH.date()).days}</v></c>'
    text = escape(ILLEGAL_XML.sub("", str(value)), XML_ENTITIES)
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_chunks(header: Sequence[str], data: Iterable[Sequence[Any]], *, sheet: str = "Export",
                on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """An .xlsx workbook written as a zip stream: every part is deflated and sent as it is
    produced, with real numeric and date cells."""
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
            cells = "".join(_xlsx_cell(h).replace("<c ", '<c s="3" ', 1) for h in header)
            part.write(f"<row>{cells}</row>".encode())
            lines: list[str] = []
            n = 0
            for n, row in enumerate(data, start=1):
                if n > XLSX_MAX_ROWS:
                    raise ExportError("too many rows for XLSX")
                lines.append("<row>" + "".join(map(_xlsx_cell, row)) + "</row>")
                if n % BATCH == 0:
                    part.write("".join(lines).encode())
                    lines.clear()
                    yield pipe.take()
                    if on_row:
                        on_row(n)
            part.write("".join(lines).encode())
            part.write(b"</sheetData></worksheet>")
    yield pipe.take()
    if on_row:
        on_row(n)


WRITERS = {"csv": csv_chunks, "xlsx": xlsx_chunks}
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def filename(spec: Spec, fmt: str, now: datetime) -> str:
    return f"{spec.name}-{now:%Y%m%d-%H%M}.{fmt}"

