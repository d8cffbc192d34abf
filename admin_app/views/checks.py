"""Start-up checks of the declarations (as Django's ``checks.py``): ``build_admin`` runs
them for every app, so a capability, resource or column that the permission matrix does
not know stops the app from starting instead of quietly refusing (or allowing) later."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_admin import Admin

from ..enums import Capability, Resource
from ..permissions import FIELD_RULES, MASKED_FIELDS, MATRIX, ROW_RULES
from ..services import complaints
from . import adapter, prefill
from .actions import requirement_of
from .base import SecureMixin, SecureModelView

# Flask-Admin endpoints that the enforcement point classifies by what they carry: the
# action named in the form, the create-or-edit of an AJAX lookup.
CLASSIFIED_BY_REQUEST = frozenset({"action_view", "ajax_lookup"})


class ImproperlyConfigured(RuntimeError):
    """A declaration names something the permission matrix or the model does not have."""


def check_admin(admin: Admin) -> None:
    """Raise ImproperlyConfigured listing every problem found in ``admin``'s views, the
    permission tables and the complaint workflow."""
    problems = [*check_tables(), *check_transitions()]
    for view in adapter.views_of(admin):
        problems.extend(check_view(view))
    if problems:
        raise ImproperlyConfigured("\n".join(problems))


def _unknown(resource: Any, capabilities: Iterable[Any], where: str) -> list[str]:
    known = MATRIX.get(resource, {})
    return [f"{where}: capability {str(c)!r} is not in the permission matrix for "
            f"{str(resource)!r}"
            for c in capabilities if c not in known]


def check_view(view: Any) -> list[str]:
    if not isinstance(view, SecureMixin):
        return [f"{type(view).__name__}: not a secure view, so nothing guards it"]
    name = type(view).__name__
    resource = getattr(view, "resource", None)
    if resource not in MATRIX:
        return [f"{name}: resource {resource!r} is not in the permission matrix"]
    problems = []
    for endpoint in adapter.endpoints(view):
        if isinstance(view, SecureModelView) and endpoint in CLASSIFIED_BY_REQUEST:
            continue
        requirement = view.endpoint_requirement(endpoint)
        if requirement is None:
            problems.append(f"{name}.{endpoint}: declares no capability (use @requires)")
            continue
        problems += _unknown(resource, requirement.all_capabilities(), f"{name}.{endpoint}")
    for action_name, (handler, _text, _confirm) in adapter.actions(view).items():
        requirement = requirement_of(handler)
        if requirement is None:
            problems.append(f"{name}: action {action_name!r} declares no capability "
                            "(use views.actions.action)")
            continue
        problems += _unknown(resource, requirement.all_capabilities(),
                             f"{name}: action {action_name!r}")
    if isinstance(view, SecureModelView):
        problems += _check_columns(view)
    return problems


def _check_columns(view: SecureModelView) -> list[str]:
    """A column that may be masked can't be a filter or a sort key, or a role that sees it
    masked could still probe its value; a field rule must name a column of the model."""
    name = type(view).__name__
    maskable = set(MASKED_FIELDS.get(view.resource, ()))
    declared = {getattr(f, "key", None) or getattr(getattr(f, "column", None), "key", f)
                for f in (view.column_filters or ())}
    declared |= {s if isinstance(s, str) else s[0] for s in view.column_sortable_list or ()}
    problems = [f"{name}: masked columns {sorted(maskable & declared)} must not be filters "
                "or sort keys"] if maskable & declared else []
    columns = set(view.model.__table__.columns.keys())
    problems += [f"{name}: field rule on {column!r}, which {view.model.__name__} does not have"
                 for column in FIELD_RULES.get(view.resource, {}) if column not in columns]
    problems += [f"{name}: row rule on {column!r}, which {view.model.__name__} does not have"
                 for (resource, _c), by_role in ROW_RULES.items() if resource == view.resource
                 for column in by_role.values() if column not in columns]
    fields = prefill.field_names(view.model)
    problems += [f"{name}: prefill field {arg!r} is not a field of the create form"
                 for arg in view.prefill_fields
                 if fields.get(arg) not in (view.form_columns or fields.values())]
    return problems


def check_tables() -> list[str]:
    """Row rules, field rules and masks name capabilities the matrix has."""
    problems = []
    for (resource, capability), _by_role in ROW_RULES.items():
        problems += _unknown(resource, [capability], "row rule")
    for resource, rules in FIELD_RULES.items():
        problems += _unknown(resource, [r.capability for r in rules.values()], "field rule")
    for resource in MASKED_FIELDS:
        problems += _unknown(resource, [Capability.see_pii], "masked fields")
    return problems


def check_transitions() -> list[str]:
    """Each complaint workflow step names a capability the matrix has for complaints."""
    return _unknown(Resource.complaint, [t.capability for t in complaints.TRANSITIONS],
                    "complaint transitions")
