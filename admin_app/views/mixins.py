"""Shared write behaviour of the model views: the version guard, the audit trail, and
translated messages for the database's refusals."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from .. import sql
from ..extensions import db
from ..services import audit, locking


class VersionGuardMixin:
    """An edit form carries the record's version; saving over someone else's newer save is
    refused with a message instead of silently overwriting it."""

    model: Any

    def get_edit_form(self) -> Any:
        form_class = super().get_edit_form()  # type: ignore[misc]
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
        return super().update_model(form, model)  # type: ignore[misc]


class AuditMixin:
    """Every create, edit and delete through a screen is written to the audit log."""

    model: Any

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
            entity_id=self.get_pk_value(model),  # type: ignore[attr-defined]
            changes=changes,
            actor=current_user._get_current_object(),
            ip=request.remote_addr,
        )


class SaveErrorsMixin:
    """A concurrent save, a lock timeout or a broken constraint is a message, not a 500;
    an unreachable database is the 503 page."""

    def handle_view_exception(self, exc: Exception) -> bool:
        if sql.is_unreachable(exc):
            raise exc  # the 503 page (errors.py), not Flask-Admin's flash of the driver's text
        if isinstance(exc, StaleDataError):
            flash(_("Someone else changed this record at the same time. "
                    "Nothing was saved; reload the page and try again."), "error")
            return True
        if locking.is_lock_timeout(exc):
            flash(str(locking.BUSY_MESSAGE), "error")
            return True
        if isinstance(exc, IntegrityError):
            if request.endpoint and request.endpoint.endswith("delete_view"):
                flash(_("This record cannot be deleted because other records refer to it."),
                      "error")
            else:
                flash(_("Nothing was saved: the data conflicts with another record "
                        "or breaks a rule of the database."), "error")
            return True
        return super().handle_view_exception(exc)  # type: ignore[misc]
