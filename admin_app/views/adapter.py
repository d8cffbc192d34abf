"""Flask-Admin's private names, all in one place.

Flask-Admin 2.2 has no public way to read the list's current arguments (search, filters,
sort) outside its own ``index_view``, to find a list column or a filter by name, or to
list the views of an ``Admin``; the screens need all of these for exports, bulk actions
and links to filtered lists. Nor has it a way to correct its own catalogues (words that
are missing or disagree with our glossary): ``translate_admin_over``. Each function below
reads one private name, and ``missing_names()`` lists those the installed Flask-Admin no
longer has: ``tests/test_flask_admin_adapter.py`` fails loudly on an upgrade that moves
one, instead of a screen failing quietly later.
"""

from __future__ import annotations

import inspect
from typing import Any

import flask_admin.babel
from babel import support
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Domain

# Methods of Flask-Admin's SQLAlchemy ModelView we call, with the parameters we pass.
PRIVATE_METHODS: dict[str, tuple[str, ...]] = {
    "_get_list_extra_args": ("self",),
    # overridden: every filter value judged before use (views/arguments.py)
    "_get_list_filter_args": ("self",),
    "_get_column_by_idx": ("self", "idx"),
    # overridden: the search (views/search.py) and the visits list's default order
    "_apply_search": ("self", "query", "count_query", "joins", "count_joins", "search"),
    "_apply_sorting": ("self", "query", "joins", "sort_column", "sort_desc"),
}
# Attributes a ModelView instance holds once built, which we read (or, for
# ``_search_fields``, narrow per request: see ``masking``).
PRIVATE_ATTRIBUTES = ("_filters", "_filter_args", "_list_columns", "_sortable_columns",
                      "_search_fields", "_actions_data", "_urls")
ADMIN_ATTRIBUTES = ("_views",)


def list_args(view: ModelView) -> Any:
    """The list's arguments for the current request: page, sort, search, filters."""
    return view._get_list_extra_args()


def sort_column(view: ModelView, index: int | None) -> Any:
    """The column a ``sort=`` index names, or None (no sort, or an index out of range)."""
    found = view._get_column_by_idx(index)
    return found[0] if found else None


def filters(view: ModelView) -> list[Any]:
    """The view's filters, in the order their ``flt<n>_<index>`` URL arguments count."""
    return list(view._filters or ())


def filter_args(view: ModelView) -> dict[str, tuple[int, Any]]:
    """The view's filters by the key of their URL argument: key -> (index, filter)."""
    return dict(view._filter_args or {})


def list_column_names(view: ModelView) -> list[str]:
    """The list's columns, in the order their ``sort=<index>`` URL argument counts."""
    return [name for name, _label in view._list_columns]


def sortable_column_names(view: ModelView) -> set[str]:
    return set(view._sortable_columns)


def actions(view: Any) -> dict[str, Any]:
    """The view's actions: name -> (handler, text, confirmation)."""
    return dict(getattr(view, "_actions_data", {}))


def handler_of(view: Any, action: str) -> Any:
    """The method behind the action named ``action`` (None when there is none)."""
    found = actions(view).get(action)
    return found[0] if found else None


def endpoints(view: Any) -> list[str]:
    """The endpoint names a view exposes (its own ``@expose`` ones and Flask-Admin's)."""
    return [endpoint for _url, endpoint, _methods in getattr(view, "_urls", ())]


def views_of(admin: Admin) -> list[Any]:
    """Every view registered on ``admin``, in menu order."""
    return list(admin._views)


class _OverridingCache(dict[tuple[str, str], Any]):
    """Flask-Admin's catalogue cache, laying our catalogue over each one as it is stored."""

    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = directory

    def __setitem__(self, key: tuple[str, str], translations: Any) -> None:
        locale, domain = key
        translations.merge(support.Translations.load(self.directory, [locale], domain))
        super().__setitem__(key, translations)


def translate_admin_over(directory: str) -> None:
    """Flask-Admin's own words (its "admin" domain) with the catalogues in ``directory``
    (``<locale>/LC_MESSAGES/admin.mo``) taking precedence over the ones it ships.

    ``Admin(translations_path=...)`` can't do this: it puts that directory before
    Flask-Admin's own, so Flask-Admin's words win wherever both have one, and only inside
    a view (a catalogue first loaded outside one is cached without it for good). So the
    domain's cache, which every lookup goes through, merges ours into each catalogue it
    stores. The domain is one per process: a second app gets the same cache."""
    domain = flask_admin.babel.domain
    if not (isinstance(domain.cache, _OverridingCache) and domain.cache.directory == directory):
        domain.cache = _OverridingCache(directory)  # anything cached before is loaded again


def missing_names(view: ModelView | None = None, admin: Admin | None = None) -> list[str]:
    """The private names above that the installed Flask-Admin lacks or has changed."""
    missing = []
    domain = getattr(flask_admin.babel, "domain", None)
    if not isinstance(domain, Domain) or not isinstance(getattr(domain, "cache", None), dict):
        missing.append("flask_admin.babel.domain.cache")
    for name, parameters in PRIVATE_METHODS.items():
        method = getattr(ModelView, name, None)
        if method is None or tuple(inspect.signature(method).parameters) != parameters:
            missing.append(f"ModelView.{name}{parameters}")
    if view is not None:
        missing += [f"ModelView().{name}" for name in PRIVATE_ATTRIBUTES
                    if name not in vars(view) and not hasattr(type(view), name)]
    if admin is not None:
        missing += [f"Admin().{name}" for name in ADMIN_ATTRIBUTES if not hasattr(admin, name)]
    return missing
