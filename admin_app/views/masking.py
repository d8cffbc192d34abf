"""Personal data shown masked to roles without ``see_pii`` (staff, by default): on lists,
details pages and forms, never searchable, and never written back from a form."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from jinja2 import pass_context

from ..permissions import masked_fields
from .access import role_of_current_user


class MaskingMixin:
    """Masks the resource's ``MASKED_FIELDS`` for the current user's role."""

    resource: Any

    def masked_fields(self) -> dict[str, Any]:
        """Maskers for the current user's role; none outside a request."""
        if not has_request_context():
            return {}
        return masked_fields(role_of_current_user(), self.resource)

    def _masked(self, model: Any, name: str) -> Any:
        value = getattr(model, name, None)
        return self.masked_fields()[name](value) if value else ""  # None would read "None"

    @pass_context
    def get_list_value(self, context: Any, model: Any, name: str) -> Any:
        if name in self.masked_fields():
            return self._masked(model, name)
        return super().get_list_value(context, model, name)  # type: ignore[misc]

    @pass_context
    def get_detail_value(self, context: Any, model: Any, name: str) -> Any:
        if name in self.masked_fields():
            return self._masked(model, name)
        return super().get_detail_value(context, model, name)  # type: ignore[misc]

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
        form = super().edit_form(obj)  # type: ignore[misc]
        for name in self.masked_fields():
            if name not in form:
                continue
            if request.method == "POST":
                del form[name]
            else:
                form[name].data = self._masked(obj, name)
                form[name].render_kw = {**(form[name].render_kw or {}), "readonly": True}
        return form
