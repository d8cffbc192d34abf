"""Exports of lists (CSV with BOM, XLSX), streamed in constant memory: one use-case for
both front doors. The screens wrap ``Export.chunks()`` in a streaming response, the CLI
writes it to a file. Both go the same way: ``start`` checks and counts, ``Export.begin``
writes the audit entry (what is exported, the expected rows, "started"), which the caller
commits *before the first byte leaves*: an export whose audit can't be written is not
sent. ``Export.finish`` adds a second entry (rows sent, "finished" or "cut off") at the
end, however it ends: the audit log is append-only. Each is a short transaction of its
own (the screens use a session of their own for them, beside the one that streams the
rows).

The package splits by question: ``specs`` (which columns each list has), ``render`` (how
a cell becomes text, in SQL), ``writers`` (how the bytes are written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from ...models import AuditEntry, User
from ...permissions import MASKED_FIELDS, Mask
from .. import audit
from . import writers
from .render import BATCH, ListQuery, Render, count, label_of, lines, neutralise
from .specs import SPECS, Column, Kind, Spec, headers, widths
from .writers import MIMETYPES, WRITERS, ExportError

__all__ = ["BATCH", "CUT_OFF", "FINISHED", "MIMETYPES", "SPECS", "STARTED", "WRITERS", "Column",
           "Export", "ExportError", "Kind", "Render", "Spec", "count", "filename", "headers",
           "label_of", "lines", "neutralise", "start"]


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
    audit_id: int | None = None

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

    def begin(self, session: Session, *, actor: User | None = None,
              ip: str | None = None) -> AuditEntry:
        """Record the export as started, with what it exports and how many rows it should
        have; flushed, so that the caller's commit is what lets the first byte go."""
        entry = audit.record(session, action="export", entity=self.spec.model.__tablename__,
                             changes=self._changes(STARTED), actor=actor, ip=ip,
                             now=self.started)
        session.flush()
        self.audit_id = entry.id
        return entry

    def finish(self, session: Session, *, finished: bool = True, actor: User | None = None,
               ip: str | None = None) -> None:
        """Record how the export ended: the rows sent, and ``finished`` or ``cut off``, in an
        entry of its own that names the one ``begin`` wrote (the audit log is append-only:
        no entry is rewritten; ``db_roles``). The caller ends the streaming read first, and
        commits. An export never begun is recorded here whole."""
        status = FINISHED if finished else CUT_OFF
        changes = self._changes(status)
        if self.audit_id is not None:
            changes["started_entry"] = self.audit_id
        audit.record(session, action="export", entity=self.spec.model.__tablename__,
                     changes=changes, actor=actor, ip=ip)
        session.flush()

    @property
    def personal_data(self) -> list[str]:
        """The columns of personal data the file carries unmasked (客户信息保密: the audit
        entry says who took which, over which rows)."""
        sensitive = MASKED_FIELDS.get(self.spec.model.__tablename__, {})
        return [c.key for c in self.spec.columns if c.key in sensitive and c.key not in self.masks]

    def _changes(self, status: str) -> dict[str, Any]:
        found = {**self.details, "expected_rows": self.total, "rows": self.rows,
                 "status": status}
        if self.personal_data:
            found["personal_data"] = self.personal_data
        return found


# An export's audit entry says how far it went.
STARTED, FINISHED, CUT_OFF = "started", "finished", "cut off"


def start(session: Session, list_name: str, fmt: str, base: ListQuery | None = None,
          *, masks: dict[str, Mask] | None = None, tz: tzinfo = UTC,
          details: dict[str, Any] | None = None, now: datetime | None = None) -> Export:
    """Check, count and describe an export of ``list_name`` (a key of ``SPECS``) as
    ``fmt``, over the list's own query ``base`` (None: every row). Raises ``ExportError``
    (translated) when an XLSX sheet can't hold the rows."""
    if fmt not in WRITERS or list_name not in SPECS:
        raise ExportError(f"unknown export {list_name!r} as {fmt!r}")
    spec = SPECS[list_name]
    export = Export(spec, fmt, base, dict(masks or {}), tz,
                    {"list": list_name, "format": fmt, **(details or {})},
                    now or datetime.now(UTC))
    export.total = count(session, spec, base)  # the expected rows, for the audit
    if fmt == "xlsx" and export.total > writers.XLSX_MAX_ROWS:
        raise ExportError(writers.too_many_rows_message())
    return export
