"""Streamed CSV / XLSX export of a list (replaces Flask-Admin's in-memory one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, request, stream_with_context
from flask_admin import expose
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import sql
from ..enums import Capability
from ..extensions import db
from ..services import exports, locking
from . import adapter
from .actions import action, requires

AUDIT_REFUSED = _l("The export could not be recorded in the audit log, so it was not sent. "
                   "Nothing was exported; try again in a moment.")


@contextmanager
def own_transaction() -> Iterator[Session]:
    """A short transaction on a session of its own, committed at the end (rolled back on
    an error): the export's audit entry is written apart from the request's session, which
    streams the rows and keeps the signed-in user as it was loaded."""
    with Session(db.engine) as session, session.begin():
        yield session


class ExportMixin:
    """The list as filtered, searched and sorted, or the selected rows, streamed."""

    export_spec: ClassVar[str | None] = None  # a key of services.exports.SPECS
    export_types = list(exports.WRITERS)

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self.export_spec is not None and self.allowed(Capability.export)

    @expose("/export/<export_type>/")
    @requires(Capability.export)
    def export(self, export_type: str) -> Any:
        """The list as filtered, searched and sorted, all pages, as CSV or XLSX."""
        if export_type not in exports.WRITERS or self.export_spec is None:
            abort(404)
        return self.stream_export(export_type, self.list_query(), "list")

    def list_query(self) -> Any:
        """The list's query for the current request: search, filters and sort, no paging."""
        args = adapter.list_args(self)
        _count, query = self.get_list(None, adapter.sort_column(self, args.sort), args.sort_desc,
                                      args.search, args.filters, execute=False,
                                      page_size=False)
        return query

    def stream_export(self, fmt: str, base: Any, scope: str) -> Any:
        """``services.exports`` wrapped in a streaming response. The export is audited
        (what, with which search, filters and sort, how many rows to expect) and committed
        before the first byte leaves; an export whose audit can't be written is not sent,
        the user gets the reason instead. A second entry at the end records the rows sent and
        whether the export finished or was cut off (the client went away)."""
        args = adapter.list_args(self)
        filters = adapter.filters(self)
        sort = adapter.sort_column(self, args.sort) if scope != "selected" else None
        details = {"list": self.endpoint, "scope": scope, "search": args.search,
                   "filters": [[str(filters[i].name), str(filters[i].operation()), value]
                               for i, _name, value in args.filters or ()],
                   "sort": sort, "descending": bool(sort and args.sort_desc)}
        actor, ip = current_user._get_current_object(), request.remote_addr
        try:
            export = exports.start(db.session, self.export_spec, fmt, base,
                                   masks=self.masked_fields(), tz=get_timezone(),
                                   details=details)
            with own_transaction() as session, locking.refusing_busy_writes():
                export.begin(session, actor=actor, ip=ip)
        except (exports.ExportError, locking.Busy) as error:
            flash(str(error), "error")
            return redirect(self.list_url())
        except SQLAlchemyError as error:
            if sql.is_unreachable(error):
                raise  # the 503 page
            current_app.logger.exception("An export's audit entry could not be written")
            flash(str(AUDIT_REFUSED), "error")
            return redirect(self.list_url())

        def generate() -> Any:
            finished = False
            try:
                yield from export.chunks(db.session)
                finished = True
            finally:  # also on GeneratorExit: the response was closed before the end
                db.session.rollback()  # the end of the streaming read
                try:
                    with own_transaction() as session:
                        export.finish(session, finished=finished, actor=actor, ip=ip)
                except SQLAlchemyError:
                    current_app.logger.exception(
                        "The audit entry %s of an export could not be completed "
                        "(%s rows sent)", export.audit_id, export.rows)

        response = Response(stream_with_context(generate()), mimetype=export.mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @action("export_selected", _l("Export selected (CSV)"), capability=Capability.export)
    def action_export_selected(self, ids: list[str]) -> Any:
        pk = self.model.__mapper__.primary_key[0]
        base = sa.select(self.model).where(pk.in_(self.pk_values(ids))).order_by(pk)
        return self.stream_export("csv", base, "selected")
