"""The one secure base view every screen derives from.

It answers every endpoint from the permission matrix (403, never a silent redirect),
turns enums and time stamps into translated, readable values, guards edits with the
record's version, and writes the audit trail for every create, edit and delete.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    flash,
    has_request_context,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_admin import AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.form import converts
from flask_admin.model.typefmt import BASE_FORMATTERS, DETAIL_FORMATTERS
from flask_babel import format_date, format_datetime, format_decimal, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import Form, HiddenField, fields
from wtforms.validators import AnyOf, InputRequired, Optional

from ..enums import LabelledEnum
from ..extensions import db
from ..i18n import wtforms_translations
from ..permissions import MASKED_FIELDS, can, masked_fields, row_rule
from ..services import audit, exports, locking

# Flask-Admin endpoint -> the capability it needs. Endpoints not listed are refused.
ENDPOINT_CAPABILITIES: dict[str, str] = {
    "index_view": "view",
    "details_view": "view",
    "create_view": "create",
    "edit_view": "edit",
    "ajax_update": "edit",
    "delete_view": "delete",
    "export": "export",
}


def label_formatter(view: Any, value: Enum, name: str) -> str:
    return str(value.label) if isinstance(value, LabelledEnum) else str(value.value)


def datetime_formatter(view: Any, value: datetime, name: str) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def date_formatter(view: Any, value: date, name: str) -> str:
    return format_date(value, "yyyy-MM-dd")


def decimal_formatter(view: Any, value: Decimal, name: str) -> str:
    return format_decimal(value, "#,##0.00")


def bool_formatter(view: Any, value: bool, name: str) -> Markup:
    return Markup("{}").format(_("Yes") if value else _("No"))


FORMATTERS = {
    **BASE_FORMATTERS,
    Enum: label_formatter,
    datetime: datetime_formatter,
    date: date_formatter,
    Decimal: decimal_formatter,
    bool: bool_formatter,
}
DETAILS_FORMATTERS = {**DETAIL_FORMATTERS, **FORMATTERS}


class AdminForm(FlaskForm, BaseForm):
    """Flask-WTF's CSRF token on every generated form, Flask-Admin's field handling.

    Errors are turned into plain strings after validation: Flask-Admin's templates show
    only ``string`` errors, and lazily translated messages are not ``str``."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return wtforms_translations  # zh_Hant_TW gets WTForms' zh_TW, not zh

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            _stringify_errors(field)
        return valid


def _stringify_errors(field: Any) -> None:
    inner = getattr(field, "form", None)
    if isinstance(inner, Form):  # a FormField: its own fields carry the errors
        for sub in inner:
            _stringify_errors(sub)
        return
    if hasattr(field, "entries"):  # a FieldList (inline models)
        for entry in field.entries:
            _stringify_errors(entry)
        return
    field.errors = [e if isinstance(e, str) else str(e) for e in field.errors]


class AppModelConverter(AdminModelConverter):
    """Enum columns become selects of translated labels; UTC time stamps become pickers."""

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        enum_cls = column.type.enum_class
        field_args.setdefault("validators", [])
        choices = [fields.SelectChoice(m.value, m.label) for m in enum_cls]
        if column.nullable:
            choices = [fields.SelectChoice("", "—"), *choices]
            field_args["validators"] = [Optional(), *field_args["validators"]]
        else:
            field_args["validators"] = [
                InputRequired(message=_l("This field is required.")),
                *field_args["validators"],
            ]
        field_args["validators"].append(
            AnyOf([m.value for m in enum_cls], message=_l("Choose one of the listed values."))
        )
        field_args["choices"] = choices
        field_args["coerce"] = lambda v: _enum_or_raw(enum_cls, v)
        return fields.SelectField(**field_args)

    @converts("UTCDateTime")
    def convert_utc_datetime(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        return self.convert_datetime(column=column, field_args=field_args, **extra)


def _enum_or_raw(enum_cls: type[Enum], value: Any) -> Any:
    """The member for a known code; an unknown one is left for the choice check to refuse."""
    if value in (None, ""):
        return None
    try:
        return enum_cls(value)
    except ValueError:
        return value


class AppFilterConverter(FilterConverter):
    """Filters on enums offer translated labels; UTC time stamps filter like datetimes."""

    def convert(self, type_name: str, column: Any, name: str, **kwargs: Any) -> Any:
        if type_name.lower() == "utcdatetime":
            type_name = "datetime"
        if type_name.lower() == "enum" and getattr(column.type, "enum_class", None):
            if not kwargs.get("options"):
                kwargs["options"] = [(m.value, m.label) for m in column.type.enum_class]
        return super().convert(type_name, column, name, **kwargs)


def role_of_current_user() -> str | None:
    if not current_user.is_authenticated:
        return None
    return current_user.role


class SecureMixin:
    """Login and permission checks shared by model views and the dashboard."""

    resource: ClassVar[str] = ""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_active

    def allowed(self, capability: str) -> bool:
        return can(role_of_current_user(), self.resource, capability)

    def row_rule(self, capability: str) -> str | None:
        """The column that must hold the current user's id for ``capability`` (or None)."""
        return row_rule(role_of_current_user(), self.resource, capability)

    def is_visible(self) -> bool:
        return self.allowed("view")

    def refuse(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class SecureModelView(SecureMixin, ModelView):
    """Every endpoint checked against the matrix; audit trail and version guard built in."""

    record_model: ClassVar[type]

    def __init__(self, database: Any, **kwargs: Any) -> None:
        super().__init__(self.record_model, database, **kwargs)
        self._check_declarations()

    def _check_declarations(self) -> None:
        """Start-up check: a column that may be masked can't be a filter or a sort key,
        or a role that sees it masked could still probe its value."""
        maskable = set(MASKED_FIELDS.get(self.resource, ()))
        declared = {getattr(f, "key", None) or getattr(getattr(f, "column", None), "key", f)
                    for f in (self.column_filters or ())}
        declared |= {s if isinstance(s, str) else s[0] for s in self.column_sortable_list or ()}
        clash = maskable & declared
        if clash:
            raise TypeError(f"{type(self).__name__}: masked columns {sorted(clash)} "
                            "must not be filters or sort keys")

    # Custom actions and endpoints name the capability they need; others are refused.
    action_capabilities: ClassVar[dict[str, str]] = {"delete": "delete"}
    endpoint_capabilities: ClassVar[dict[str, str]] = {}

    form_base_class = AdminForm
    model_form_converter = AppModelConverter
    filter_converter = AppFilterConverter()
    column_type_formatters = FORMATTERS
    column_type_formatters_detail = DETAILS_FORMATTERS
    can_view_details = True
    can_set_page_size = True
    page_size = 20

    # --- the enforcement point ---------------------------------------------------------

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if not self.is_accessible():
            return self.refuse()
        if name == "action_view":
            action = request.form.get("action", "")
            if request.method != "POST" or not self.is_action_allowed(action):
                abort(403)
            return None
        if name == "ajax_lookup":
            if not (self.allowed("create") or self.allowed("edit")):
                abort(403)
            return None
        capability = self.endpoint_capability(name)
        if capability is None or not self.allowed(capability):
            abort(403)
        return None

    def endpoint_capability(self, name: str) -> str | None:
        """The capability an endpoint needs: Flask-Admin's own, plus the view's extras."""
        return self.endpoint_capabilities.get(name) or ENDPOINT_CAPABILITIES.get(name)

    # The can_* flags only hide buttons; they are derived per request from the matrix.
    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.allowed("create")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.allowed("edit")

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.allowed("delete")

    # --- export (streamed; replaces Flask-Admin's in-memory one) ---------------------

    export_spec: ClassVar[str | None] = None  # a key of services.exports.SPECS
    export_types = list(exports.WRITERS)

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self.export_spec is not None and self.allowed("export")

    @expose("/export/<export_type>/")
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
        args = self._get_list_extra_args()
        details = {"list": self.endpoint, "scope": scope, "search": args.search,
                   "filters": [[str(self._filters[i].name), str(self._filters[i].operation()),
                                value] for i, _name, value in args.filters or ()]}
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

    @action("export_selected", _l("Export selected (CSV)"))
    def action_export_selected(self, ids: list[str]) -> Any:
        pk = self.model.__mapper__.primary_key[0]
        base = sa.select(self.model).where(pk.in_(self.pk_values(ids))).order_by(pk)
        return self.stream_export("csv", base, "selected")

    def action_capability(self, name: str) -> str | None:
        return {"export_selected": "export", **self.action_capabilities}.get(name)

    def is_action_allowed(self, name: str) -> bool:
        capability = self.action_capability(name)
        return capability is not None and self.allowed(capability)

    # --- masking -----------------------------------------------------------------------

    def masked_fields(self) -> dict[str, Any]:
        """Maskers for the current user's role; none outside a request."""
        if not has_request_context():
            return {}
        return masked_fields(role_of_current_user(), self.resource)

    def _masked(self, model: Any, name: str) -> Any:
        value = getattr(model, name, None)
        return self.masked_fields()[name](value) if value else value

    @pass_context
    def get_list_value(self, context: Any, model: Any, name: str) -> Any:
        if name in self.masked_fields():
            return self._masked(model, name)
        return super().get_list_value(context, model, name)

    @pass_context
    def get_detail_value(self, context: Any, model: Any, name: str) -> Any:
        if name in self.masked_fields():
            return self._masked(model, name)
        return super().get_detail_value(context, model, name)

    @property
    def _search_fields(self) -> list[Any] | None:
        """Searchable columns, less those the current role sees masked."""
        hidden = self.masked_fields()
        fields = self.__dict__.get("_all_search_fields")
        if not hidden or not fields:
            return fields  # the stored list itself: Flask-Admin appends to it at start-up
        return [(field, path) for field, path in fields if field.key not in hidden]

    @_search_fields.setter
    def _search_fields(self, value: list[Any] | None) -> None:
        self.__dict__["_all_search_fields"] = value

    def edit_form(self, obj: Any = None) -> Any:
        """Masked fields are shown masked and read-only, and never written back."""
        form = super().edit_form(obj)
        for name in self.masked_fields():
            if name not in form:
                continue
            if request.method == "POST":
                del form[name]
            else:
                form[name].data = self._masked(obj, name)
                form[name].render_kw = {**(form[name].render_kw or {}), "readonly": True}
        return form

    # --- reading -----------------------------------------------------------------------

    def get_one(self, id: Any) -> Any:
        """Look the record up through ``get_query`` so that row rules apply to it too."""
        pk = self.model.__mapper__.primary_key[0]
        try:
            key = pk.type.python_type(id)
        except (TypeError, ValueError):
            return None
        return self.get_query().filter(pk == key).one_or_none()

    def selection_scope(self) -> sa.Select:
        """The ids of every row the list shows for the current search and filters (all
        pages), as a SELECT for set-based work: bulk actions, exports."""
        args = self._get_list_extra_args()
        _count, query = self.get_list(None, None, False, args.search, args.filters,
                                      execute=False, page_size=False)
        pk = self.model.__mapper__.primary_key[0]
        return query.with_entities(pk).order_by(None).statement

    def list_url(self) -> str:
        """Back to the list as it was (same search, filters, sort)."""
        return self.get_url(".index_view", **request.args)

    def pk_values(self, ids: Any) -> list[Any]:
        """Posted row ids as primary-key values (PostgreSQL won't compare int to text)."""
        convert = self.model.__mapper__.primary_key[0].type.python_type
        values = []
        for raw in ids:
            try:
                values.append(convert(raw))
            except (TypeError, ValueError):
                continue
        return values

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids: Any) -> None:
        super().action_delete(tuple(self.pk_values(ids)))

    # --- writing -----------------------------------------------------------------------

    def get_edit_form(self) -> Any:
        form_class = super().get_edit_form()
        if self._version_column() is not None:
            form_class = type(form_class.__name__, (form_class,), {"version_id": HiddenField()})
        return form_class

    def _version_column(self) -> Any:
        return self.model.__mapper__.version_id_col

    def update_model(self, form: Any, model: Any) -> bool:
        if "version_id" in form:
            posted = form.version_id.data
            if posted and str(posted) != str(model.version_id):
                flash(_("Someone else saved this record while you were editing it. "
                        "Reload the page to see their changes, then edit again."), "error")
                return False
            del form["version_id"]
        return super().update_model(form, model)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        changes = audit.object_changes(model, created=is_created)
        db.session.flush()
        self._audit("create" if is_created else "update", model, changes)

    def on_model_delete(self, model: Any) -> None:
        self._audit("delete", model, audit.object_changes(model, deleted=True))

    def _audit(self, action: str, model: Any, changes: dict[str, Any]) -> None:
        audit.record(
            db.session,
            action=action,
            entity=self.model.__tablename__,
            entity_id=self.get_pk_value(model),
            changes=changes,
            actor=current_user._get_current_object(),
            ip=request.remote_addr,
        )

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, StaleDataError):
            flash(_("Someone else changed this record at the same time. "
                    "Nothing was saved; reload the page and try again."), "error")
            return True
        if locking.is_lock_timeout(exc):
            flash(_("These records are busy with another change, such as a tier "
                    "recalculation. Nothing was saved; try again in a moment."), "error")
            return True
        if isinstance(exc, IntegrityError):
            if request.endpoint and request.endpoint.endswith("delete_view"):
                flash(_("This record cannot be deleted because other records refer to it."),
                      "error")
            else:
                flash(_("Nothing was saved: the data conflicts with another record "
                        "or breaks a rule of the database."), "error")
            return True
        return super().handle_view_exception(exc)


class DashboardView(SecureMixin, AdminIndexView):
    resource = "dashboard"

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if not self.is_accessible():
            return self.refuse()
        if not self.allowed("view"):
            abort(403)
        return None

    @expose("/")
    def index(self) -> Any:
        from ..services.dashboard import summary

        links = {  # each figure opens the list behind it (the most overdue first)
            "clients": url_for("client.index_view"),
            "overdue_callbacks": url_for("client.index_view", sort=8),
            "open_complaints": url_for("complaint.index_view"),
            "overdue_complaints": url_for("complaint.index_view", flt0_0="1"),
        }
        return self.render("admin/dashboard.html", summary=summary(db.session), links=links)

