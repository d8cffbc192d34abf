"""How the bytes are written: a UTF-8 CSV with a byte-order mark, or an .xlsx workbook
written as a zip stream; both take batches of finished rows and send them on as they
come, so memory does not grow with the list."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, cast
from xml.sax.saxutils import escape

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ExportError(ValueError):
    """A refused export; the message is translated."""


def too_many_rows_message() -> str:
    return str(_l("This list has more rows than an XLSX sheet can hold (%(limit)s). "
                  "Export it as CSV instead.", limit=format_decimal(XLSX_MAX_ROWS)))


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
        '</cellStyleXfs><cellXfs count="5">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
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


# Cell styles (the cellXfs above), as the rendered rows name them.
STYLE_DATETIME, STYLE_DATE, STYLE_HEADER, STYLE_MONEY = 1, 2, 3, 4


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _columns(widths: Sequence[float]) -> str:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>" if cols else ""


def xlsx_chunks(header: Sequence[str], batches: Iterable[list[str]], *,
                sheet: str = "Export", widths: Sequence[float] = (),
                on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """An .xlsx workbook written as a zip stream: every part is deflated and sent as it is
    produced; the rows arrive as finished <row> elements with real numbers and dates.
    The header row is frozen and carries an autofilter over every row written."""
    pipe = _Pipe()
    stream = cast(IO[bytes], pipe)  # write-only and unseekable: zipfile streams to it
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, content in XLSX_STATIC.items():
            book.writestr(name, content)
        book.writestr("xl/workbook.xml", _workbook(sheet))
        yield pipe.take()
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                b'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                + _columns(widths).encode() + b'<sheetData>')
            part.write(_header_row(header).encode())
            n = 0
            for batch in batches:
                n += len(batch)
                if n > XLSX_MAX_ROWS:
                    raise ExportError(too_many_rows_message())
                # Control characters XML can't carry are dropped here, in one pass.
                part.write(ILLEGAL_XML.sub("", "".join(batch)).encode())
                yield pipe.take()
                if on_row:
                    on_row(n)
            last = f"{column_letters(max(len(header), 1) - 1)}{n + 1}"
            part.write(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>'.encode())
    yield pipe.take()
    if on_row:
        on_row(n)


Writer = Callable[..., Iterator[bytes]]
WRITERS: dict[str, Writer] = {"csv": csv_chunks, "xlsx": xlsx_chunks}
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
