"""The base of every generated model form, and how model columns become form fields."""

from __future__ import annotations

from enum import Enum
from typing import Any

from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.form import BaseForm
from flask_admin.model.form import converts
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, fields
from wtforms.validators import AnyOf, InputRequired, Optional

from ..i18n import wtforms_translations
from ..services import constraints
from .fields import LocalDateTimeField
from .validators import FitsInteger

EMPTY_CHOICE = "—"  # the choice of no value, in every select


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
            stringify_errors(field)
        return valid


def stringify_errors(field: Any) -> None:
    inner = getattr(field, "form", None)
    if isinstance(inner, Form):  # a FormField: its own fields carry the errors
        for sub in inner:
            stringify_errors(sub)
        return
    if hasattr(field, "entries"):  # a FieldList (inline models)
        for entry in field.entries:
            stringify_errors(entry)
        return
    field.errors = [e if isinstance(e, str) else str(e) for e in field.errors]


class AppModelConverter(AdminModelConverter):
    """Enum columns become selects of translated labels; UTC time stamps become pickers;
    the empty choice of a record select reads "—", as an enum select's does; whole numbers
    must fit the column; a unique column's check says what its constraint's rule says."""

    def convert(self, model: Any, mapper: Any, name: str, prop: Any, field_args: Any,
                hidden_pk: bool) -> Any:
        if hasattr(prop, "direction"):  # a relationship: a select of records
            # Flask-Admin's blank text is "", which WTForms shows as the value, "__None".
            field_args = {"blank_text": EMPTY_CHOICE, **(field_args or {})}
        field = super().convert(model, mapper, name, prop, field_args, hidden_pk)
        for validator in getattr(field, "kwargs", {}).get("validators", ()):
            if isinstance(validator, Unique):
                rule = constraints.unique_rule(model.__tablename__, [validator.column.key])
                if rule is not None:
                    validator.message = rule.message
        return field

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        enum_cls = column.type.enum_class
        field_args.setdefault("validators", [])
        choices = [fields.SelectChoice(m.value, m.label) for m in enum_cls]
        if column.nullable:
            choices = [fields.SelectChoice("", EMPTY_CHOICE), *choices]
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

    @converts("Integer")
    def handle_integer_types(self, column: Any, field_args: dict[str, Any],
                             **extra: Any) -> Any:
        field_args["validators"].append(FitsInteger())
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("UTCDateTime")
    def convert_utc_datetime(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        return LocalDateTimeField(**field_args)


def _enum_or_raw(enum_cls: type[Enum], value: Any) -> Any:
    """The member for a known code; an unknown one is left for the choice check to refuse."""
    if value in (None, ""):
        return None
    try:
        return enum_cls(value)
    except ValueError:
        return value
