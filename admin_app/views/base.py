"""The one secure base view every screen derives from: the enforcement point.

``_handle_view`` answers every endpoint and action from the permission matrix (403, never
a silent redirect; anything undeclared is refused), the ``can_*`` flags follow the same
matrix per request, and row rules restrict every record and selection as it is fetched.
Formatting, masking, search, the version guard, the audit trail and export are mixins beside it.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, flash, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.babel import gettext as admin_gettext
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.helpers import get_redirect_target
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..enums import Capability, Resource
from ..extensions import db
from ..forms.base import AdminForm, AppModelConverter
from ..permissions import can, read_only_fields, row_rule
from ..services import inputs
from . import adapter, history, prefill
from .access import role_of_current_user
from .actions import Requirement, Scope, action, requirement_of, requires
from .arguments import ListArgumentsMixin
from .counting import capped_count_query, count_label
from .export import ExportMixin
from .filters import AppFilterConverter
from .formatting import DETAILS_FORMATTERS, FORMATTERS
from .masking import MaskingMixin
from .mixins import AuditMixin, SaveErrorsMixin, VersionGuardMixin
from .search import SearchMixin

READ_ONLY_NOTE = _l("Your role may see this field but not change it.")
DELETE_TEMPLATE = "admin/delete_confirm.html"
DELETE_LIST_SHOWN = 20  # records named on the page confirming a delete of a selection

# Flask-Admin's own endpoints -> the capability each needs. Our own endpoints declare
# theirs with ``@requires``; an endpoint that has neither is refused.
FLASK_ADMIN_ENDPOINTS: dict[str, Capability] = {
    "index_view": Capability.view,
    "details_view": Capability.view,
    "create_view": Capability.create,
    "edit_view": Capability.edit,
    "ajax_update": Capability.edit,
    "delete_view": Capability.delete,
}


class SecureMixin:
    """Login and permission checks shared by model views and the dashboard."""

    resource: ClassVar[Resource]

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_active

    def allowed(self, capability: Capability | str) -> bool:
        return can(role_of_current_user(), self.resource, capability)

    def row_rule(self, capability: Capability | str) -> str | None:
        """The column that must hold the current user's id for ``capability`` (or None)."""
        return row_rule(role_of_current_user(), self.resource, capability)

    def is_visible(self) -> bool:
        return self.allowed(Capability.view)

    def refuse(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    # --- the enforcement point ---------------------------------------------------------

    def endpoint_requirement(self, name: str) -> Requirement | None:
        """What an endpoint needs: declared on its method, or Flask-Admin's own."""
        declared = requirement_of(getattr(type(self), name, None))
        if declared is not None:
            return declared
        capability = FLASK_ADMIN_ENDPOINTS.get(name)
        return Requirement(capability) if capability is not None else None

    def endpoint_capability(self, name: str) -> Capability | None:
        requirement = self.endpoint_requirement(name)
        return requirement.capability if requirement is not None else None

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if not self.is_accessible():
            return self.refuse()
        requirement = self.endpoint_requirement(name)
        if requirement is None or not all(
                self.allowed(c) for c in requirement.capabilities(request.form)):
            abort(403)
        refused = self.refuse_unreadable_list(name)
        if refused is not None:  # a filter or search that could not be read: nothing done
            return refused
        if not all(self.allowed(c) for c in self.scope_capabilities(requirement)):
            abort(403)
        return None

    def refuse_unreadable_list(self, name: str) -> Any:
        """A response refusing a request whose list arguments could not be read (None:
        there are none to read here)."""
        return None

    def scope_capabilities(self, requirement: Requirement) -> list[Capability]:
        """What the rows a request reaches add to its requirement (none outside lists)."""
        return []


class SecureModelView(ListArgumentsMixin, SecureMixin, ExportMixin, SearchMixin, MaskingMixin,
                      AuditMixin, VersionGuardMixin, SaveErrorsMixin, ModelView):
    """Every endpoint and action checked against the matrix; row rules applied on fetch."""

    record_model: ClassVar[type]

    def __init__(self, database: Any, **kwargs: Any) -> None:
        super().__init__(self.record_model, database, **kwargs)

    form_base_class = AdminForm
    model_form_converter = AppModelConverter
    filter_converter = AppFilterConverter()
    column_type_formatters = FORMATTERS
    column_type_formatters_detail = DETAILS_FORMATTERS
    can_view_details = True
    details_template = "admin/record_details.html"  # the fields, then the history
    can_set_page_size = True
    page_size = 20
    # Count at most this many rows of a list ("10,000+" beyond: ``counting``); None: all.
    count_cap: ClassVar[int | None] = None
    # The fields a link may fill in on the create form (``views.prefill``): references by
    # their column (``client_id``), choices by their code, times by ``now``.
    prefill_fields: ClassVar[tuple[str, ...]] = ()

    # --- the enforcement point ---------------------------------------------------------

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if not self.is_accessible():
            return self.refuse()
        if name == "action_view":
            if request.method != "POST" or not self.is_action_allowed(
                    request.form.get("action", "")):
                abort(403)
            return None
        if name == "ajax_lookup":
            if not (self.allowed(Capability.create) or self.allowed(Capability.edit)):
                abort(403)
            return None
        return super()._handle_view(name, **kwargs)

    def action_requirement(self, name: str) -> Requirement | None:
        """What a list action needs, as declared with ``actions.action``."""
        handler = adapter.handler_of(self, name)
        return requirement_of(handler) if handler else None

    def action_capability(self, name: str) -> Capability | None:
        requirement = self.action_requirement(name)
        return requirement.capability if requirement is not None else None

    def is_action_allowed(self, name: str) -> bool:
        capability = self.action_capability(name)
        return capability is not None and self.allowed(capability)

    # The can_* flags only hide buttons; they are derived per request from the matrix.
    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.allowed(Capability.create)

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.allowed(Capability.edit)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.allowed(Capability.delete)

    # --- reading: row rules apply where records are fetched --------------------------

    def restrict(self, query: Any, capability: Capability) -> Any:
        """``query`` (ORM query or SELECT) narrowed to the rows the current user may apply
        ``capability`` to: none without it, only their own where a row rule says so (as
        NetBox's ``RestrictedQuerySet.restrict``)."""
        if not self.allowed(capability):
            return query.filter(sa.false())
        column = self.row_rule(capability)
        if column is None:
            return query
        return query.filter(getattr(self.model, column) == current_user.id)

    def request_capability(self) -> Capability:
        """The capability the current request was let in with (``view`` otherwise)."""
        if has_request_context() and request.endpoint:
            name = request.endpoint.rpartition(".")[2]
            capability = self.action_capability(request.form.get("action", "")) \
                if name == "action_view" else self.endpoint_capability(name)
            if capability is not None:
                return capability
        return Capability.view

    def get_one(self, id: Any, capability: Capability | None = None) -> Any:
        """The record, if the current user may apply ``capability`` (by default, what the
        request was let in with) to it; looked up through ``get_query``."""
        pk = self.model.__mapper__.primary_key[0]
        key = inputs.column_key(pk, id)  # "abc" or 20 digits: no such record, not a 500
        if key is None:
            return None
        query = self.restrict(self.get_query(), capability or self.request_capability())
        return query.filter(pk == key).one_or_none()

    def permits(self, record: Any, capability: Capability) -> bool:
        """May the current user apply ``capability`` to this record (row rules too)?"""
        pk = self.model.__mapper__.primary_key[0]
        query = sa.select(pk).where(pk == getattr(record, pk.key))
        return db.session.scalar(self.restrict(query, capability)) is not None

    def selected(self, ids: Any, capability: Capability | None = None) -> sa.Select:
        """The posted row ids the current user may apply ``capability`` (by default the
        action's) to, as a SELECT of primary keys."""
        pk = self.model.__mapper__.primary_key[0]
        query = sa.select(pk).where(pk.in_(self.pk_values(ids)))
        return self.restrict(query, capability or self.request_capability())

    def selection_scope(self) -> sa.Select:
        """The ids of every row the list shows for the current search and filters (all
        pages), as a SELECT for set-based work: bulk actions, exports."""
        args = adapter.list_args(self)
        _count, query = self.get_list(None, None, False, args.search, args.filters,
                                      execute=False, page_size=False)
        pk = self.model.__mapper__.primary_key[0]
        return query.with_entities(pk).order_by(None).statement

    def list_url(self) -> str:
        """Back to the list as it was (same search, filters, sort)."""
        return self.get_url(".index_view", **request.args)

    def pk_values(self, ids: Any) -> list[Any]:
        """Posted row ids as primary-key values (PostgreSQL won't compare int to text)."""
        pk = self.model.__mapper__.primary_key[0]
        keys = (inputs.column_key(pk, raw) for raw in ids)
        return [key for key in keys if key is not None]

    def get_count_query(self) -> Any:
        if self.count_cap is None:
            return super().get_count_query()
        return capped_count_query(db.session, self.model, self.count_cap)

    def list_narrowed(self) -> bool:
        """True when the request's list is searched (a word, not only spaces: the search
        splits on them) or filtered (a filter whose value parsed)."""
        args = adapter.list_args(self)
        return any((args.search or "").split(" ")) or bool(args.filters)

    def request_scope(self) -> Scope:
        """The rows this request reaches, from the request itself, not from the button that
        sent it: a list action's posted ids are the selection; an endpoint over the list
        reaches the rows its search and filters hold, which is every row when there is
        neither or when no row lies outside them (a search of "%", a filter every row
        meets)."""
        if request.endpoint and request.endpoint.rpartition(".")[2] == "action_view":
            return Scope.selection
        if not self.list_narrowed() or self.reaches_every_row():
            return Scope.everything
        return Scope.filtered

    def reaches_every_row(self) -> bool:
        """True when the list's search and filters leave no row of the table out."""
        pk = self.model.__mapper__.primary_key[0]
        matching = self.selection_scope().subquery()
        reached, total = db.session.execute(sa.select(
            sa.select(sa.func.count(sa.distinct(matching.c[0]))).scalar_subquery(),
            sa.select(sa.func.count(pk)).scalar_subquery())).one()
        return bool(total) and reached >= total

    def scope_capabilities(self, requirement: Requirement) -> list[Capability]:
        """An endpoint that needs more over every row (``Requirement.unfiltered``) needs it
        when the request's scope is every row. A role that holds it is not asked, so the
        scope is not counted for it."""
        needed = requirement.unfiltered
        if needed is None or self.allowed(needed):
            return []
        return [needed] if self.request_scope() is Scope.everything else []

    def render(self, template: str, **kwargs: Any) -> Any:
        # The list's record count as the locale writes it ("List (2,000)", and in the
        # bulk buttons' labels): Flask-Admin's template prints the number as it is.
        if template == self.list_template and kwargs.get("count"):
            kwargs["count"] = count_label(kwargs["count"], self.count_cap)
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            if "history" not in kwargs:
                kwargs["history"] = history.panel(self, model)
        if template in (self.details_template, self.edit_template) and model is not None:
            # the record named in the tab's title, the heading and the breadcrumb
            kwargs.setdefault("record_title", self.record_label(model))
            kwargs["list_url"] = self.breadcrumb_list_url(kwargs.get("return_url"))
        return super().render(template, **kwargs)

    def breadcrumb_list_url(self, return_url: str | None) -> str:
        """The breadcrumb's way back to the list: the list as the user left it (search,
        filters, sort, page: the ``url`` Flask-Admin passes along) when they came from
        it, otherwise the list as it opens (they came from another record's page, whose
        own link the Cancel and List buttons keep)."""
        index = self.get_url(".index_view")
        if return_url and urlsplit(return_url).path == urlsplit(index).path:
            return return_url
        return index

    # --- field rules: seen, not changed --------------------------------------------------

    def read_only_fields(self, *, creating: bool) -> set[str]:
        """The form fields the current role may see but not set (the matrix's field rules,
        by column, named as the form names them: ``tier_id`` is the ``tier`` field)."""
        columns = read_only_fields(role_of_current_user(), self.resource, creating=creating)
        fields = set(columns)
        for relationship in self.model.__mapper__.relationships:
            if {c.key for c in relationship.local_columns} & columns:
                fields.add(relationship.key)
        return fields

    def create_form(self, obj: Any = None) -> Any:
        form = self._hold_read_only(super().create_form(obj), creating=True)
        if request.method != "POST" and self.prefill_fields:
            prefill.prefill(form, self.model, request.args, self.prefill_fields,
                            skip=self.read_only_fields(creating=True))
        return form

    def edit_form(self, obj: Any = None) -> Any:
        return self._hold_read_only(super().edit_form(obj), creating=False)

    def _hold_read_only(self, form: Any, *, creating: bool) -> Any:
        """Shown disabled, and still shown when a save comes back with errors; on a POST
        the stored value (or the default, on a new record) replaces whatever was posted,
        so a crafted value changes nothing."""
        for name in self.read_only_fields(creating=creating):
            if name not in form:
                continue
            field = form[name]
            if request.method == "POST":  # a posted (or crafted) value is put back
                field.data = field.object_data
                field.raw_data = []  # and is not judged: it is not what will be saved
            field.render_kw = {**(field.render_kw or {}), "disabled": True}
            field.description = READ_ONLY_NOTE
        return form

    # --- deleting asks for a reason (kept with each record's audit entry) ---------------

    @expose("/delete/confirm/", methods=("GET",))
    @requires(Capability.delete)
    def delete_confirm_view(self) -> Any:
        """The list's delete button opens this page: the record, and a reason to give;
        it posts to Flask-Admin's delete with the version the list showed."""
        return_url = get_redirect_target() or self.get_url(".index_view")
        model = self.get_one(request.args.get("id"))
        if model is None:
            flash(admin_gettext("Record does not exist."), "error")
            return redirect(return_url)
        hidden = [("id", self.get_pk_value(model)), ("url", return_url)]
        if self._version_column() is not None:
            hidden.append(("version_id", request.args.get("version_id") or ""))
        return self.render(DELETE_TEMPLATE, heading=_("Delete record"),
                           records=[self.record_label(model)],
                           more=0, hidden=hidden, action_url=self.get_url(".delete_view"),
                           return_url=return_url)

    def record_label(self, model: Any) -> str:
        """How a page names one record: its details and edit pages' title, heading and
        breadcrumb, a delete's confirmation."""
        return str(model)

    def delete_model(self, model: Any) -> bool:
        """No record is deleted without a reason (posted by the confirmation page)."""
        if not (request.form.get("reason") or "").strip():
            flash(_("Give a reason for deleting: it is kept in the audit log."), "error")
            return False
        return bool(super().delete_model(model))

    @action("delete", admin_lazy_gettext("Delete"), capability=Capability.delete)
    def action_delete(self, ids: Any) -> Any:
        """The selection's delete: first a page naming the records and asking the reason,
        which posts the action again with it and the version of each record it named. A
        record saved by someone since is not deleted, and the user is told which."""
        pk = self.model.__mapper__.primary_key[0]
        version = self._version_column()
        columns = [pk] if version is None else [pk, version]
        rows = db.session.execute(sa.select(*columns).where(
            pk.in_(self.selected(ids))).order_by(pk)).all()
        if not rows:
            return None
        if not (request.form.get("reason") or "").strip():
            return self._confirm_deleting(rows)
        keep = [row[0] for row in rows]
        if version is not None:
            posted = {str(row[0]): request.form.get(f"version_{row[0]}", "") for row in rows}
            if not any(posted.values()):
                flash(_("This form is incomplete: reload the page and edit the record "
                        "again."), "error")
                return None
            keep = [row[0] for row in rows if posted[str(row[0])] == str(row[1])]
            changed = [row[0] for row in rows if posted[str(row[0])] != str(row[1])]
            if changed:
                flash(_("%(n)s of the records were saved by someone else after you "
                        "confirmed and were not deleted: %(records)s. Check them, then "
                        "delete them again if they should go.",
                        n=format_number(len(changed)), records=_("; ").join(
                            self.record_label(self.get_one(str(key)))
                            for key in changed[:DELETE_LIST_SHOWN])), "error")
        if keep:  # as primary-key values (PostgreSQL won't compare an integer to text)
            super().action_delete(tuple(keep))
        return None

    def _confirm_deleting(self, rows: list[Any]) -> Any:
        """The page naming the selected records and asking the reason for deleting them."""
        shown = [self.record_label(self.get_one(str(row[0])))
                 for row in rows[:DELETE_LIST_SHOWN]]
        return_url = get_redirect_target() or self.get_url(".index_view")
        hidden = [("action", "delete"), ("url", return_url),
                  *(("rowid", str(row[0])) for row in rows),
                  *((f"version_{row[0]}", str(row[1])) for row in rows if len(row) > 1)]
        return self.render(DELETE_TEMPLATE,
                           heading=ngettext("Delete %(count)s record",
                                            "Delete %(count)s records", len(rows),
                                            count=format_number(len(rows))),
                           records=shown, more=len(rows) - len(shown), hidden=hidden,
                           action_url=self.get_url(".action_view"), return_url=return_url)
