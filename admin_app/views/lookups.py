"""AJAX pickers for clients and users: a page of matches, never the whole table."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

CLIENT_LOOKUP: dict[str, Any] = {
    "fields": ("code", "name"),
    "page_size": 10,
    "placeholder": _l("Type a client's name or code"),
    "minimum_input_length": 1,
}

USER_LOOKUP: dict[str, Any] = {
    "fields": ("username", "full_name"),
    "page_size": 10,
    "placeholder": _l("Type a user name"),
    "minimum_input_length": 1,
    "filters": ["is_active = true"],
}
