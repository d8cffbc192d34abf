"""Streamed CSV / XLSX export of a list (replaces Flask-Admin's in-memory one)."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, stream_with_context
from flask_admin import expose
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..enums import Capability
from ..extensions import db
from ..services import exports
from . import adapter
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
        args = adapter.list_args(self)
        _count, query = self.get_list(None, adapter.sort_column(self, args.sort), args.sort_desc,
                                      args.search, args.filters, execute=False,
                                      page_size=False)
        return query

    def stream_export(self, fmt: str, base: Any, scope: str) -> Any:
        """``services.exports`` wrapped in a streaming response; the audit entry is written
        when the last byte has gone."""
        args = adapter.list_args(self)
        filters = adapter.filters(self)
        details = {"list": self.endpoint, "scope": scope, "search": args.search,
                   "filters": [[str(filters[i].name), str(filters[i].operation()), value]
                               for i, _name, value in args.filters or ()]}
        try:
            export = exports.start(db.session, self.export_spec, fmt, base,
                                   masks=self.masked_fields(), tz=get_timezone(),
                                   details=details)
        except exports.ExportError as error:
            flash(str(error), "error")
            return redirect(self.list_url())
        actor, ip = current_user._get_current_object(), request.remote_addr

        def generate() -> Any:
            try:
                yield from export.chunks(db.session)
            finally:
                export.finish(db.session, actor=actor, ip=ip)
                db.session.commit()

        response = Response(stream_with_context(generate()), mimetype=export.mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @action("export_selected", _l("Export selected (CSV)"), capability=Capability.export)
    def action_export_selected(self, ids: list[str]) -> Any:
        pk = self.model.__mapper__.primary_key[0]
        base = sa.select(self.model).where(pk.in_(self.pk_values(ids))).order_by(pk)
        return self.stream_export("csv", base, "selected")
