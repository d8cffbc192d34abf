"""User accounts, for admins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from ..forms.validators import Email
from ..models import User
from .base import SecureModelView
from .labels import COLUMN_LABELS


class UserView(SecureModelView):
    resource = "user"

    record_model = User

    column_list = ("username", "full_name", "role", "department", "is_active", "last_login_at")
    column_details_list = ("username", "full_name", "email", "role", "department", "locale",
                           "is_active", "failed_logins", "locked_until", "last_login_at",
                           "created_at")
    column_searchable_list = ("username", "full_name", "department")
    column_sortable_list = ("username", "full_name", "role", "department", "last_login_at")
    column_default_sort = ("username", False)
    column_filters = ("role", "department", "is_active")
    column_labels = COLUMN_LABELS
    form_columns = ("username", "full_name", "email", "role", "department", "is_active",
                    "password")
    form_extra_fields = {
        "password": PasswordField(
            _l("Password"),
            validators=[Optional(), Length(min=10, message=_l("Use at least 10 characters."))],
            description=_l("Leave blank to keep the current password."),
        )
    }
    form_args = {"email": {"validators": [Email()]}}

    def on_model_change(self, form, model, is_created):
        if form.password.data:
            model.set_password(form.password.data)
        elif is_created:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Set a password for the new user."))
        super().on_model_change(form, model, is_created)
