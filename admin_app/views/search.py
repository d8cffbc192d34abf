"""The list's search box: it promises only the columns the current role may search, and
phone columns are searched by number, not by substring.

A view's ``column_searchable_list`` names what the box may search; masking takes away
what the role sees masked (``MaskingMixin._search_fields``). Flask-Admin would still
name every declared column in the box's placeholder, so staff were promised "Phone"; the
placeholder here is built from what is left.

A column named in ``phone_columns`` holds canonical numbers (services/phones.py). A
search text that looks like a phone number, however it is typed ("138 1234 5678",
"+86 138-1234-5678"), finds the rows whose number it is, or begins (equality or prefix
on the column's index); the other searchable columns are searched for the text as usual,
and a row matching either is found. A phone column is never searched by substring.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from flask_admin.contrib.sqla import tools

from ..services import phones


class SearchMixin:
    phone_columns: ClassVar[frozenset[str]] = frozenset()

    _search_fields: list[tuple[Any, Any]] | None
    column_searchable_list: Any
    column_labels: dict[str, Any]

    def search_placeholder(self) -> str | None:
        """The labels of the declared search columns the current role may search."""
        allowed = {field.key for field, _path in self._search_fields or []}
        labels = [str(self.column_labels.get(name, name))
                  for name in self.column_searchable_list or ()
                  if isinstance(name, str) and name.rsplit(".", 1)[-1] in allowed]
        return ", ".join(labels) or None

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any,
                      search: str) -> Any:
        fields = self._search_fields or []
        numbers = [field for field, _path in fields if field.key in self.phone_columns]
        if not numbers:  # none declared, or this role may not search them
            return super()._apply_search(  # type: ignore[misc]
                query, count_query, joins, count_joins, search)
        others = [field for field, _path in fields if field.key not in self.phone_columns]
        found = self._text_criterion(others, search)
        by_number = [c for c in (phones.search_criterion(f, search) for f in numbers)
                     if c is not None]
        if by_number:
            found = sa.or_(found, *by_number)
        query = query.filter(found)
        if count_query is not None:
            count_query = count_query.filter(found)
        return query, count_query, joins, count_joins

    @staticmethod
    def _text_criterion(columns: list[Any], search: str) -> Any:
        """Flask-Admin's own search over ``columns``: every word of ``search`` in one of
        them (case-insensitive substring)."""
        words = [word for word in search.split(" ") if word]
        if not columns or not words:
            return sa.false() if words else sa.true()
        return sa.and_(*(sa.or_(*(sa.cast(column, sa.Unicode).ilike(tools.parse_like_term(word))
                                  for column in columns))
                         for word in words))

    def init_search(self) -> bool:
        """Phone columns are searched here, so they must be the model's own columns (the
        text search above joins nothing)."""
        supported = bool(super().init_search())  # type: ignore[misc]
        for field, path in self._search_fields or []:
            if path:
                if self.phone_columns:
                    raise TypeError(f"{type(self).__name__}: a view with phone columns "
                                    f"searches only its own columns, not {field.key!r}")
        return supported
