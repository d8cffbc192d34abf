"""A create form filled in from its link: ``/admin/visit/new/?client_id=12&status=done``.

A view names the fields its links may fill (``prefill_fields``): a reference by its column
(``client_id``, the id of the record to pick), a choice by its code, a time by ``now``.
Each value is checked as the form would check it -- a reference must be a record the
field's picker offers, a code one of the field's choices -- and one that does not fit is
left out, so a link to a deleted client opens an empty form rather than an error. Only a
form being shown is filled in: a posted form keeps what was posted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_admin.model.fields import AjaxSelectField
from wtforms import SelectField

from ..forms.fields import LocalDateTimeField
from ..models import utcnow

NOW = "now"


def field_names(model: Any) -> dict[str, str]:
    """Argument name -> form field: a reference by its column (``client_id`` -> the
    ``client`` field), every other column by its own name."""
    names = {column.key: column.key for column in model.__mapper__.columns}
    for relationship in model.__mapper__.relationships:
        for column in relationship.local_columns:
            names[column.key] = relationship.key
    return names


def _referenced(field: Any, raw: str) -> Any:
    """The record with id ``raw`` if the field's picker would offer it, else None."""
    try:
        key = int(raw)
    except ValueError:
        return None
    if isinstance(field, AjaxSelectField):
        query = field.loader.get_query()
    elif getattr(field, "query_factory", None) is not None:
        query = field.query_factory()
    else:
        return None
    model = query.column_descriptions[0]["entity"]
    pk = model.__mapper__.primary_key[0]
    return query.filter(pk == key).one_or_none()


def _choice(field: SelectField, raw: str) -> Any:
    for choice in field.choices or ():
        value = choice[0] if isinstance(choice, tuple | list) else getattr(choice, "value", None)
        if value == raw and raw != "":
            return field.coerce(raw)
    return None


def value_for(field: Any, raw: str) -> Any:
    """What ``raw`` fills ``field`` with, or None when it does not fit the field."""
    if isinstance(field, AjaxSelectField) or hasattr(field, "query_factory"):
        return _referenced(field, raw)
    if isinstance(field, SelectField):
        return _choice(field, raw)
    if isinstance(field, LocalDateTimeField):
        return utcnow() if raw == NOW else None
    return None


def prefill(form: Any, model: Any, args: Mapping[str, str], allowed: Iterable[str],
            skip: Iterable[str] = ()) -> None:
    """Fill ``form``'s fields named in ``allowed`` (by argument name) from ``args``; fields
    in ``skip`` (those the role may not set) are left as they are."""
    names = field_names(model)
    skipped = set(skip)
    for arg in allowed:
        raw = args.get(arg)
        name = names.get(arg)
        if not raw or name is None or name in skipped or name not in form:
            continue
        value = value_for(form[name], raw)
        if value is not None:
            form[name].data = value
