"""Exports of lists (CSV with BOM, XLSX), streamed in constant memory: one use-case for
both front doors. The screens wrap ``Export.chunks()`` in a streaming response, the CLI
writes it to a file; both start with ``start`` and end with ``Export.finish``, which
writes the audit entry.

The package splits by question: ``specs`` (which columns each list has), ``render`` (how
a cell becomes text, in SQL), ``writers`` (how the bytes are written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from ...models import User
from ...permissions import Mask
from .. import audit
from . import writers
from .render import BATCH, ListQuery, Render, count, label_of, lines, neutralise
from .specs import SPECS, Column, Kind, Spec, headers, widths
from .writers import MIMETYPES, WRITERS, ExportError

__all__ = ["BATCH", "MIMETYPES", "SPECS", "WRITERS", "Column", "Export", "ExportError", "Kind",
           "Render", "Spec", "count", "filename", "headers", "label_of", "lines", "neutralise",
           "start"]


def filename(spec: Spec, fmt: str, now: datetime) -> str:
    return f"{spec.name}-{now:%Y%m%d-%H%M}.{fmt}"


@dataclass
class Export:
    """One export on its way: what it reads, how it is written, and (once done) how many
    rows went out."""

    spec: Spec
    fmt: str
    base: ListQuery | None
    masks: dict[str, Mask]
    tz: tzinfo
    details: dict[str, Any]
    started: datetime
    total: int | None = None
    rows: int = 0

    @property
    def filename(self) -> str:
        return filename(self.spec, self.fmt, self.started.astimezone(self.tz))

    @property
    def mimetype(self) -> str:
        return MIMETYPES[self.fmt]

    def chunks(self, session: Session, *,
               on_row: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The file's bytes, written as the rows are read; ``on_row(n)`` after each batch
        with the number of rows written so far."""

        def advance(n: int) -> None:
            self.rows = n
            if on_row is not None:
                on_row(n)

        data = lines(session, self.spec, self.fmt, self.base, masks=self.masks, tz=self.tz,
                     now=self.started)
        header = headers(self.spec)
        layout = {"widths": widths(self.spec, header)} if self.fmt == "xlsx" else {}
        yield from WRITERS[self.fmt](header, data, on_row=advance, **layout)

    def finish(self, session: Session, *, actor: User | None = None,
               ip: str | None = None) -> None:
        """End the streaming read and record the export (the caller commits)."""
        session.rollback()
        audit.record(session, action="export", entity=self.spec.model.__tablename__,
                     changes={**self.details, "rows": self.rows}, actor=actor, ip=ip)


def start(session: Session, list_name: str, fmt: str, base: ListQuery | None = None,
          *, masks: dict[str, Mask] | None = None, tz: tzinfo = UTC,
          details: dict[str, Any] | None = None, counted: bool = False,
          now: datetime | None = None) -> Export:
    """Check and describe an export of ``list_name`` (a key of ``SPECS``) as ``fmt``, over
    the list's own query ``base`` (None: every row). Raises ``ExportError`` (translated)
    when an XLSX sheet can't hold the rows; ``counted`` counts the rows for CSV too (for
    a progress bar)."""
    if fmt not in WRITERS or list_name not in SPECS:
        raise ExportError(f"unknown export {list_name!r} as {fmt!r}")
    spec = SPECS[list_name]
    export = Export(spec, fmt, base, dict(masks or {}), tz,
                    {"list": list_name, "format": fmt, **(details or {})},
                    now or datetime.now(UTC))
    if fmt == "xlsx" or counted:
        export.total = count(session, spec, base)
        if fmt == "xlsx" and export.total > writers.XLSX_MAX_ROWS:
            raise ExportError(writers.too_many_rows_message())
    return export
