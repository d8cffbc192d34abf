"""A list's query string read safely: a value the list can't use is refused with a
message, never sent to the database and never a 500.

Flask-Admin asks each filter to ``clean`` its value and takes an exception other than
``ValueError`` (an enum filter's ``KeyError`` for ``pirate``) as a crash; an integer it
parsed may not fit the column (``99999999999999999999``), a text may hold a NUL byte
PostgreSQL refuses, a page number may be negative. Here every filter value, the search
and the page are judged first, for every list at once. On the list itself a refused
value is said in a flash and left out; anything else that works on the list's rows (an
export, a bulk action over the search and filters) is refused whole when a filter or the
search was refused, rather than working on more rows than the user asked for.
"""

from __future__ import annotations

from typing import Any

from flask import flash, has_request_context, redirect, request
from flask_babel import lazy_gettext as _l

from ..services import inputs
from . import adapter

MAX_PAGE = 1_000_000  # far beyond any list's last page; an offset both engines take

SEARCH_REFUSED = _l("The search was not applied: it is longer than %(n)s characters or "
                    "holds control characters.")
PAGE_REFUSED = _l("There is no such page; the first page is shown.")
NOTHING_DONE = _l("Nothing was done: a filter or the search of the list could not be read. "
                  "Correct it and try again.")


def filter_value_fits(flt: Any, value: Any) -> bool:
    """True when ``flt`` can use ``value``: its own check passes, and what it parses the
    value to can be compared with its column on either engine."""
    if not isinstance(value, str) or len(value) > inputs.MAX_QUERY_TEXT or \
            inputs.has_control_characters(value):
        return False
    try:
        if not flt.validate(value):
            return False
        cleaned = flt.clean(value)
    except (LookupError, ValueError, TypeError, ArithmeticError):
        return False
    return inputs.fits(cleaned, getattr(getattr(flt, "column", None), "type", None))


def shown(value: str) -> str:
    """A refused value as a message may quote it: control characters as "?", cut short."""
    cut = "".join("?" if inputs.has_control_characters(ch) else ch for ch in value[:40])
    return cut + ("…" if len(value) > 40 else "")


def _of_this_request() -> dict[str, Any]:
    """What is read of the list's arguments, kept with the request itself (``g`` lives as
    long as the application context, which may serve more than one request)."""
    found: dict[str, Any] = request.environ.setdefault("clientcare.list_arguments", {})
    return found


class ListArgumentsMixin:
    """Reads the list's arguments once per request, judging each (see the module)."""

    endpoint: str

    def _get_list_extra_args(self) -> Any:
        store = _of_this_request().setdefault("list_arguments", {})
        if self.endpoint not in store:
            refused: list[str] = []
            args = super()._get_list_extra_args()  # type: ignore[misc]
            if args.search and (len(args.search) > inputs.MAX_QUERY_TEXT or
                                inputs.has_control_characters(args.search)):
                refused.append(str(SEARCH_REFUSED % {"n": inputs.MAX_QUERY_TEXT}))
                args.search = None
            if args.page is not None and not 0 <= args.page <= MAX_PAGE:
                self._say(str(PAGE_REFUSED))
                args.page = 0
            refused += _of_this_request().pop("refused_filters", [])
            for message in refused:
                self._say(message)
            store[self.endpoint] = (args, refused)
        return store[self.endpoint][0]

    def _get_list_filter_args(self) -> Any:
        """Flask-Admin's own reading of ``flt<n>_<key>=value``, with each value judged by
        ``filter_value_fits``; a refused one is left out and noted for the message."""
        filter_args = adapter.filter_args(self)
        if not filter_args:
            return None
        found, refused = [], []
        for arg, value in request.args.items():
            if not arg.startswith("flt") or "_" not in arg:
                continue
            position, key = arg[3:].split("_", 1)
            if key not in filter_args:
                continue
            index, flt = filter_args[key]
            if filter_value_fits(flt, value):
                found.append((position, (index, str(flt.name), value)))
            else:
                refused.append(str(self.get_invalid_value_msg(  # type: ignore[attr-defined]
                    shown(value), flt)))
        _of_this_request()["refused_filters"] = refused
        return [item for _position, item in sorted(found, key=lambda pair: pair[0])]

    def _say(self, message: str) -> None:
        """On the list, flash it; elsewhere ``refuse_unreadable_list`` speaks for it."""
        if has_request_context() and request.endpoint == f"{self.endpoint}.index_view":
            flash(message, "error")

    def list_arguments_refused(self) -> bool:
        """True when the request's filters or search held a value that was refused."""
        self._get_list_extra_args()
        return bool(_of_this_request()["list_arguments"][self.endpoint][1])

    def refuse_unreadable_list(self, name: str) -> Any:
        """For anything but the list itself: back to the list, with a message, when the
        request's filters or search could not be read (None otherwise)."""
        if name == "index_view" or not any(
                arg.startswith("flt") or arg == "search" for arg in request.args):
            return None
        if not self.list_arguments_refused():
            return None
        flash(str(NOTHING_DONE), "error")
        return redirect(self.list_url())  # type: ignore[attr-defined]
