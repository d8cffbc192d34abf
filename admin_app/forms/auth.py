"""The log-in form and the password fields of the Users screen, with the password policy."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..services import accounts

TOO_LONG = _l("Use at most %(max)d characters.")


class LoginForm(FlaskForm):
    """Both fields are capped: a longer value is refused beside the field, before any
    password is hashed or any audit entry written."""

    username = StringField(
        _l("User name"), validators=[InputRequired(message=_l("Enter your user name.")),
                                     Length(max=accounts.MAX_USERNAME_LENGTH, message=TOO_LONG)],
        render_kw={"maxlength": accounts.MAX_USERNAME_LENGTH},
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Enter your password.")),
                                    Length(max=accounts.MAX_PASSWORD_LENGTH, message=TOO_LONG)],
        render_kw={"maxlength": accounts.MAX_PASSWORD_LENGTH},
    )


class PasswordPolicy:
    """The account service's password policy, as a field validator."""

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        username = form.username.data if "username" in form else ""
        try:
            accounts.check_password_policy(field.data, username=username or "")
        except accounts.AccountError as exc:
            raise ValidationError(str(exc)) from exc


def password_field(required: bool) -> PasswordField:
    """Required on a new user's form; on an existing one, blank keeps the password."""
    first = InputRequired(message=_l("Set a password for the new user.")) if required \
        else Optional()
    return PasswordField(
        _l("Password"),
        validators=[first, PasswordPolicy()],
        description=None if required else _l("Leave blank to keep the current password."),
    )
