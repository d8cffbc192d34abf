"""Declarations next to the code they guard: each list action and each custom endpoint
names the capability it needs, and the base view's enforcement point reads it from there
(Django's ``@admin.action(permissions=...)``, Flask-AppBuilder's ``@has_access``).

An action or endpoint that declares nothing is refused, and ``checks.check_admin`` stops
start-up when one names a capability the matrix does not have for its resource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from flask_admin.actions import action as flask_admin_action

from ..enums import Capability

F = TypeVar("F", bound=Callable[..., Any])


class Scope(StrEnum):
    """The rows a request over a list reaches, as the enforcement point decides it from the
    request itself (``SecureModelView.request_scope``), whatever button sent it."""

    selection = "selected"  # the rows posted by id (a list action)
    filtered = "filtered"  # the rows the list's search and filters hold: not all of them
    everything = "all"  # every row: no search word, no filter, or all rows match them


@dataclass(frozen=True)
class Requirement:
    """The capability an endpoint or action needs, and more for some posted values:
    ``{"scope": {"all": Capability.recalculate_all}}`` also needs ``recalculate_all``
    when the form posts ``scope=all``."""

    capability: Capability
    form_values: Mapping[str, Mapping[str, Capability]] = field(default_factory=dict)
    # A request whose scope is every row also needs this: "all clients matching the
    # filter" with no filter -- or a search of spaces, or a filter every client meets -- is
    # "all clients", and needs that capability (``Scope.everything``).
    unfiltered: Capability | None = None

    def capabilities(self, form: Mapping[str, str]) -> list[Capability]:
        """Everything a request with this posted ``form`` needs."""
        needed = [self.capability]
        for name, by_value in self.form_values.items():
            extra = by_value.get(form.get(name, ""))
            if extra is not None:
                needed.append(extra)
        return needed

    def all_capabilities(self) -> set[Capability]:
        extra = {self.unfiltered} if self.unfiltered is not None else set()
        return {self.capability, *extra, *(c for by_value in self.form_values.values()
                                           for c in by_value.values())}


def requires(
    capability: Capability,
    *,
    form_values: Mapping[str, Mapping[str, Capability]] | None = None,
    unfiltered: Capability | None = None,
) -> Callable[[F], F]:
    """Declare what an ``@expose``-d endpoint needs (put it under ``@expose``). A name
    that is no Capability raises here, as the module is imported."""
    requirement = Requirement(Capability(capability),
                              {name: {value: Capability(c) for value, c in by_value.items()}
                               for name, by_value in (form_values or {}).items()},
                              Capability(unfiltered) if unfiltered is not None else None)

    def wrap(f: F) -> F:
        f._requirement = requirement  # type: ignore[attr-defined]
        return f

    return wrap


def action(
    name: str, text: Any, confirmation: Any = None, *, capability: Capability,
) -> Callable[[F], F]:
    """Flask-Admin's ``@action``, naming the capability the action needs."""
    requirement = Requirement(Capability(capability))

    def wrap(f: F) -> F:
        f = flask_admin_action(name, text, confirmation)(f)
        f._requirement = requirement  # type: ignore[attr-defined]
        return f

    return wrap


def requirement_of(method: Any) -> Requirement | None:
    """The requirement declared on an endpoint or action method (bound or not)."""
    return getattr(method, "_requirement", None)
