"""Links to a list as filtered and sorted, built from column and filter names.

Flask-Admin's list URLs carry positions (``sort=8``, ``flt0_12=1``); a link that spells
positions breaks silently when a column or filter is added before its target. These are
looked up on the registered view instead, and a name the view lacks is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, url_for

from . import adapter


def registered_view(endpoint: str) -> Any:
    """The view registered under ``endpoint`` in the current app's admin."""
    for view in adapter.views_of(current_app.extensions["admin"][0]):
        if view.endpoint == endpoint:
            return view
    raise LookupError(f"no admin view {endpoint!r}")


def sort_index(view: Any, column: str) -> int:
    """The ``sort=`` value of ``column`` on ``view``'s list."""
    for index, name in enumerate(adapter.list_column_names(view)):
        if name == column:
            if column not in adapter.sortable_column_names(view):
                raise LookupError(f"{view.endpoint}: column {column!r} is not sortable")
            return index
    raise LookupError(f"{view.endpoint}: no list column {column!r}")


def filter_index(view: Any, name: str) -> int:
    """The index of the filter named ``name`` on ``view``: a filter's own ``key`` (e.g.
    ``overdue``) or, for a column's filters, the column's name (its first operation)."""
    for index, flt in enumerate(adapter.filters(view)):
        key = getattr(flt, "key", None) or getattr(getattr(flt, "column", None), "key", None)
        if key == name:
            return index
    raise LookupError(f"{view.endpoint}: no filter {name!r}")


def list_url(endpoint: str, *, sort: str | None = None, desc: bool = False,
             filters: Mapping[str, str] | None = None) -> str:
    """``list_url("client", sort="next_callback_due", filters={"overdue": "1"})``."""
    view = registered_view(endpoint)
    args: dict[str, Any] = {}
    for position, (name, value) in enumerate((filters or {}).items()):
        args[f"flt{position}_{filter_index(view, name)}"] = value
    if sort is not None:
        args["sort"] = sort_index(view, sort)
        if desc:
            args["desc"] = 1
    return url_for(f"{endpoint}.index_view", **args)
