"""Streamed CSV / XLSX export of a list (replaces Flask-Admin's in-memory one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, stream_with_context
from flask_admin import expose
from flask_babel import format_decimal, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..enums import Capability
from ..extensions import db
from ..services import audit, exports
from .actions import action, requires


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
        args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(args.sort)[0] if args.sort is not None else None
        _count, query = self.get_list(None, sort_column, args.sort_desc, args.search,
                                      args.filters, execute=False, page_size=False)
        return query

    def stream_export(self, fmt: str, base: Any, scope: str) -> Any:
        spec = exports.SPECS[self.export_spec]
        if fmt == "xlsx" and exports.count(db.session, spec, base) > exports.XLSX_MAX_ROWS:
            flash(_("This list has more rows than an XLSX sheet can hold "
                    "(%(limit)s). Export it as CSV instead.",
                    limit=format_decimal(exports.XLSX_MAX_ROWS)), "error")
            return redirect(self.list_url())
        args = self._get_list_extra_args()
        details = {"list": self.endpoint, "format": fmt, "scope": scope, "search": args.search,
                   "filters": [[str(self._filters[i].name), str(self._filters[i].operation()),
                                value] for i, _name, value in args.filters or ()]}
        actor, ip = current_user._get_current_object(), request.remote_addr
        masks, tz = self.masked_fields(), get_timezone()
        written = [0]

        def generate() -> Any:
            try:
                data = exports.lines(db.session, spec, fmt, base, masks=masks, tz=tz)
                yield from exports.WRITERS[fmt](exports.headers(spec), data,
                                                on_row=lambda n: written.__setitem__(0, n))
            finally:
                db.session.rollback()  # end the streaming read before writing
                audit.record(db.session, action="export", entity=self.model.__tablename__,
                             changes={**details, "rows": written[0]}, actor=actor, ip=ip)
                db.session.commit()

        name = exports.filename(spec, fmt, datetime.now(tz))
        response = Response(stream_with_context(generate()), mimetype=exports.MIMETYPES[fmt])
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @action("export_selected", _l("Export selected (CSV)"), capability=Capability.export)
    def action_export_selected(self, ids: list[str]) -> Any:
        pk = self.model.__mapper__.primary_key[0]
        base = sa.select(self.model).where(pk.in_(self.pk_values(ids))).order_by(pk)
        return self.stream_export("csv", base, "selected")
