"""Field validators with translated messages; each names what is wrong and how to fix it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import StopValidation, ValidationError

from ..services import inputs, phones
from ..services.identity import is_valid_id_number

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
MAX_MONEY = Decimal("9999999999999999.99")
MAX_INTEGER = 2**31 - 1  # the largest INTEGER both engines store alike


def _normalised(value: str) -> str:
    """Full-width digits and letters (as Chinese input methods type them) become ASCII."""
    return unicodedata.normalize("NFKC", value).strip()


def _blank(field: Field) -> bool:
    return field.data is None or (isinstance(field.data, str) and not field.data.strip())


class Phone:
    """A valid phone number, however typed, stored in its canonical form
    (services/phones.py): a mainland mobile as 11 digits, any other number (mainland
    landline, Hong Kong, Macau, Taiwan, abroad) in E.164."""

    def __call__(self, form: Form, field: Field) -> None:
        if _blank(field):
            return
        found = phones.canonical(field.data)
        if found is None:
            raise ValidationError(
                _l("Enter a mainland mobile (e.g. 138 1234 5678), a mainland landline with "
                   "its area code (e.g. 010-1234 5678), or a number with its country or "
                   "region code (e.g. +852 9123 4567).")
            )
        field.data = found


class Email:
    def __call__(self, form: Form, field: Field) -> None:
        if _blank(field):
            return
        field.data = field.data.strip()
        if len(field.data) > 254 or not EMAIL_PATTERN.match(field.data):
            raise ValidationError(_l("Enter a valid e-mail address, e.g. name@example.com."))


class IdNumber:
    """An 18-character resident ID number with a valid birth date and check digit."""

    def __call__(self, form: Form, field: Field) -> None:
        if _blank(field):
            return
        field.data = _normalised(field.data).upper()
        if not is_valid_id_number(field.data):
            raise ValidationError(
                _l("Enter a valid 18-character resident ID number; "
                   "the birth date or the check digit is wrong.")
            )


class Money:
    """A non-negative amount in CNY with at most two decimals."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        value = Decimal(field.data)
        if value.is_nan():
            raise ValidationError(_l("Enter an amount in figures, e.g. 1234.56."))
        if value < 0:
            raise ValidationError(_l("The amount cannot be negative."))
        if value > MAX_MONEY:
            raise ValidationError(_l("The amount is too large."))
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_l("Use at most two decimal places."))


class NonNegative:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and field.data < 0:
            raise ValidationError(_l("The value cannot be negative."))


class FitsInteger:
    """A whole number the database's INTEGER column holds (not a refusal from the engine)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and not -MAX_INTEGER - 1 <= field.data <= MAX_INTEGER:
            raise ValidationError(_l("The number is too large."))


class Score:
    """A satisfaction or feedback score from 1 to 5."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and not 1 <= int(field.data) <= 5:
            raise ValidationError(_l("Choose a score from 1 to 5."))


class Code:
    def __call__(self, form: Form, field: Field) -> None:
        if _blank(field):
            return
        field.data = field.data.strip().upper()
        if not CODE_PATTERN.match(field.data):
            raise ValidationError(
                _l("Use 2 to 32 letters, digits, hyphens or underscores.")
            )


class PastDate:
    """A date (of birth, say) between 1900 and today."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        value = field.data.date() if isinstance(field.data, datetime) else field.data
        if value > date.today():
            raise ValidationError(_l("The date cannot be in the future."))
        if value.year < 1900:
            raise ValidationError(_l("The date cannot be before 1900."))


class NotBefore:
    """This date/time must not be earlier than another field's."""

    def __init__(self, other: str, message: Any = None) -> None:
        self.other = other
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        other = form[self.other].data if self.other in form else None
        if field.data is None or other is None:
            return
        if _naive_utc(field.data) < _naive_utc(other):
            raise ValidationError(self.message or _l("The end cannot be before the start."))


class RequiredIf:
    """Required when another (boolean) field is set."""

    def __init__(self, other: str, message: Any) -> None:
        self.other = other
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if self.other in form and form[self.other].data and _blank(field):
            field.errors[:] = []
            raise StopValidation(self.message)


class ReasonForChanges:
    """A reason (this field) is required when the form changes one of ``fields`` of the
    record being edited in a way ``fields[name](old, new)`` counts as sensitive: a tier
    chosen by hand, a tier unlocked, a threshold moved. The reason goes into the audit
    entry of the save (``views.mixins.AuditMixin``). Not asked of a new record."""

    def __init__(self, fields: dict[str, Callable[[Any, Any], bool]], message: Any) -> None:
        self.fields = fields
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if not _blank(field) or getattr(form, "_obj", None) is None:
            return
        for name, counts in self.fields.items():
            other = form._fields.get(name)
            disabled = other is not None and (other.render_kw or {}).get("disabled")
            if other is None or disabled or other.errors:
                continue
            if counts(other.object_data, other.data):
                raise StopValidation(self.message)


def changed(old: Any, new: Any) -> bool:
    """Any change of the value (None and "" alike), for ``ReasonForChanges``."""
    return (old if old not in ("", None) else None) != (new if new not in ("", None) else None)


def chosen_by_hand(old: Any, new: Any) -> bool:
    """A record (a tier) picked that differs from the stored one; leaving it empty is not."""
    return new is not None and (old is None or old.id != new.id)


def switched_off(old: Any, new: Any) -> bool:
    """A flag (a tier lock) that was set, cleared."""
    return bool(old) and not new


def _naive_utc(value: Any) -> Any:
    """Aware datetimes as naive UTC (naive ones are taken to be UTC already, as stored)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


CONTROL_CHARACTERS = _l("Remove the control characters (such as NUL) from this text.")


class PlainText:
    """Text without control characters (NUL, escape, …): PostgreSQL refuses a NUL byte in
    any text, and none belongs in a name or a note. Line breaks and tabs are text in a
    ``multiline`` field. First in the chain: nothing else reads such a value."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: Form, field: Field) -> None:
        if any(isinstance(raw, str) and inputs.has_control_characters(
                raw, multiline=self.multiline) for raw in field.raw_data or ()):
            field.errors[:] = []
            raise StopValidation(CONTROL_CHARACTERS)


class NotBlank:
    """A required text that is more than spaces (a name, a user name)."""

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise StopValidation(_l("This field is required."))


class KnownRecord:
    """A record picked by id is one the field offers: an id of no such record (``999``,
    ``abc``) is refused, not saved as empty. The record already stored stays acceptable
    (an advisor deactivated since)."""

    def __call__(self, form: Form, field: Field) -> None:
        raw = field.raw_data[0] if field.raw_data else None
        if not isinstance(raw, str) or raw.strip() in ("", "__None") or field.data is not None:
            return
        stored = field.object_data
        if stored is not None and str(_identity(stored)) == raw.strip():
            field.data = stored
            return
        field.errors[:] = []
        raise StopValidation(_l("Choose one of the listed values."))


def _identity(record: Any) -> Any:
    state = sa.inspect(record, raiseerr=False)
    identity = getattr(state, "identity", None)
    return identity[0] if identity else None
