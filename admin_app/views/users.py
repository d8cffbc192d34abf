"""User accounts, for admins: create, set role and department, deactivate, reset password."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import ValidationError

from ..enums import AuditAction, Resource
from ..extensions import db
from ..forms.auth import password_field
from ..forms.validators import Email
from ..i18n import LANGUAGE_NAMES, firm_zone_label, time_zone_choices, zone_label
from ..labels import COLUMN_LABELS
from ..models import User
from ..services import accounts
from .base import SecureModelView


def zone_choices() -> list[tuple[str, str]]:
    return [("", firm_zone_label()), *time_zone_choices()]


def zone_formatter(view, context, model, name):
    """The user's zone by its name in the interface language, or the firm's, named."""
    return zone_label(model.timezone) if model.timezone else firm_zone_label()


def language_choices() -> list[tuple[str, str]]:
    return [("", str(_l("The browser's language"))), *LANGUAGE_NAMES.items()]


class UserView(SecureModelView):
    resource = Resource.user
    record_model = User

    column_list = ("username", "full_name", "role", "department", "is_active", "last_login_at")
    column_details_list = ("username", "full_name", "email", "role", "department", "locale",
                           "timezone", "is_active", "last_login_at", "created_at")
    column_searchable_list = ("username", "full_name", "department")
    column_sortable_list = ("username", "full_name", "role", "department", "last_login_at")
    column_default_sort = ("username", False)
    column_filters = ("role", "department", "is_active")
    column_labels = COLUMN_LABELS
    form_columns = ("username", "full_name", "email", "role", "department", "locale",
                    "timezone", "is_active", "password")
    form_extra_fields = {"password": password_field(required=False)}
    column_formatters_detail = {
        "locale": lambda view, context, model, name: LANGUAGE_NAMES.get(model.locale, ""),
        "timezone": zone_formatter,
    }
    form_overrides = {"locale": SelectField, "timezone": SelectField}
    form_args = {
        "email": {"validators": [Email()]},
        # "" (the browser's language, the firm's zone) is stored as NULL; anything not
        # listed is refused.
        "locale": {"choices": language_choices, "coerce": lambda value: value or None,
                   "description": _l("The interface language after logging in; the "
                                     "language menu still switches it for the session.")},
        "timezone": {"choices": zone_choices, "coerce": lambda value: value or None,
                     "description": _l("Times on the screens and in exports are shown in "
                                       "this zone.")},
    }

    def get_create_form(self):
        form_class = super().get_create_form()
        return type(form_class.__name__, (form_class,), {"password": password_field(True)})

    def audit_actions(self, changes: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Role changes, deactivations and password resets are entries of their own (the
        audit log filters by them); the rest of the edit is an "update"."""
        changes = dict(changes)
        found: list[tuple[str, dict[str, Any]]] = []
        if "is_active" in changes:
            _old, active = changes["is_active"]
            action = AuditAction.reactivate if active else AuditAction.deactivate
            found.append((action.value, {"is_active": changes.pop("is_active")}))
        if "role" in changes:
            found.append((AuditAction.role_change.value, {"role": changes.pop("role")}))
        if "password" in changes:
            found.append((AuditAction.password_reset.value,
                          {"password": changes.pop("password")}))
        if changes or not found:
            found.append((AuditAction.update.value, changes))
        return found

    def on_model_change(self, form, model, is_created):
        try:  # without a flush: the audit below reads the edit's changes from the session
            with db.session.no_autoflush:
                if not is_created:
                    accounts.check_admin_remains(db.session, model)
                if form.password.data:
                    accounts.reset_password(db.session, model, form.password.data)
        except accounts.AccountError as exc:
            raise ValidationError(str(exc)) from exc
        super().on_model_change(form, model, is_created)
