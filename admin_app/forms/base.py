"""The base of every generated model form, and how model columns become form fields."""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.form import BaseForm
from flask_admin.model.form import converts
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, fields
from wtforms.validators import AnyOf, InputRequired, Optional

from ..i18n import wtforms_translations
from ..services import constraints, inputs
from .fields import LocalDateTimeField
from .validators import CONTROL_CHARACTERS, FitsInteger, KnownRecord, NotBlank, PlainText

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
            valid &= no_control_characters(field)
            stringify_errors(field)
        return valid


def no_control_characters(field: Any) -> bool:
    """Any field (a form's own, not only a column's) whose posted text holds a control
    character gets ``PlainText``'s message; line breaks and tabs are text in a text area."""
    inner = getattr(field, "form", None)
    if isinstance(inner, Form):
        return all([no_control_characters(sub) for sub in inner])
    if hasattr(field, "entries"):
        return all([no_control_characters(entry) for entry in field.entries])
    multiline = isinstance(field, fields.TextAreaField)
    if not any(isinstance(raw, str) and inputs.has_control_characters(raw, multiline=multiline)
               for raw in field.raw_data or ()):
        return True
    if CONTROL_CHARACTERS not in field.errors and str(CONTROL_CHARACTERS) not in field.errors:
        field.errors = [*field.errors, CONTROL_CHARACTERS]
    return False


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
        kwargs = getattr(field, "kwargs", None)
        # A column's or relationship's field, made for this form; a view's own field
        # (``form_extra_fields``, shared by every form built) brings its own validators.
        if kwargs is not None and (hasattr(prop, "direction") or hasattr(prop, "columns")):
            kwargs["validators"] = _guards(prop, list(kwargs.get("validators") or ()))
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


def _guards(prop: Any, validators: list[Any]) -> list[Any]:
    """A column's validators with the ones every field gets: no control characters (first,
    before anything reads the value: a uniqueness check queries with it), no blank text
    where the column needs one, a picked record that exists."""
    if hasattr(prop, "direction"):
        return [PlainText(), *validators, KnownRecord()]
    column = prop.columns[0] if getattr(prop, "columns", None) else None
    if column is None:
        return [PlainText(), *validators]
    guards: list[Any] = [PlainText(multiline=isinstance(column.type, sa.Text))]
    if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum) and \
            not column.nullable and column.default is None and not column.primary_key:
        guards.append(NotBlank())
    return [*guards, *validators]


def _enum_or_raw(enum_cls: type[Enum], value: Any) -> Any:
    """The member for a known code; an unknown one is left for the choice check to refuse."""
    if value in (None, ""):
        return None
    try:
        return enum_cls(value)
    except ValueError:
        return value
