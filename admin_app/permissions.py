"""The permission matrix (one role per user: staff, supervisor, admin) as data, and the
functions that read it. docs/roles.md lists it cell for cell (tests/test_docs.py checks).

Every screen, action, export and lookup asks ``can(role, resource, capability)``;
change a cell here and the behaviour changes everywhere. Anything not named is refused.
Beside the matrix: row rules (a capability held only on one's own rows), field rules
(fields a role sees but may not change) and masking. Depends on nothing but the enums;
``views.checks`` refuses start-up when a declaration elsewhere names something missing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .enums import Capability, Resource, Role

STAFF, SUPERVISOR, ADMIN = Role.staff, Role.supervisor, Role.admin
EVERYONE = frozenset(Role)
LEADS = frozenset({SUPERVISOR, ADMIN})
ADMINS = frozenset({ADMIN})
NOBODY: frozenset[Role] = frozenset()

R, C = Resource, Capability

_RECORD: dict[str, frozenset[Role]] = {
    C.view: EVERYONE,
    C.create: EVERYONE,
    C.edit: EVERYONE,
    C.delete: ADMINS,
    C.export: LEADS,
    C.see_pii: LEADS,
}

# Keyed by the enums; looked up by them or by their plain codes (a StrEnum is its code).
MATRIX: dict[str, dict[str, frozenset[Role]]] = {
    R.dashboard: {C.view: EVERYONE},
    R.client: {**_RECORD, C.recalculate_tier: LEADS, C.recalculate_all: ADMINS,
               C.change_tier: LEADS, C.plan_callbacks: EVERYONE, C.plan_callbacks_all: LEADS,
               C.invite_to_event: EVERYONE, C.invite_to_event_all: LEADS},
    R.visit: dict(_RECORD),
    R.event: dict(_RECORD),
    # Invitations to events: what editing an event's attendance allows, one by one (the
    # event's own export lists its attendance).
    R.attendance: {C.view: EVERYONE, C.create: EVERYONE, C.edit: EVERYONE, C.delete: ADMINS,
                   C.export: NOBODY},
    R.complaint: {**_RECORD, C.close: EVERYONE, C.reopen: LEADS, C.reassign: LEADS},
    R.tier: {C.view: EVERYONE, C.create: NOBODY, C.edit: ADMINS, C.delete: NOBODY,
             C.export: NOBODY},
    R.user: {C.view: ADMINS, C.create: ADMINS, C.edit: ADMINS, C.delete: NOBODY,
             C.export: NOBODY, C.see_pii: ADMINS},
    R.service_level: {C.view: EVERYONE, C.create: NOBODY, C.edit: ADMINS, C.delete: NOBODY,
                      C.export: NOBODY},
    R.audit: {C.view: LEADS, C.create: NOBODY, C.edit: NOBODY, C.delete: NOBODY,
              C.export: LEADS},
}


def _role(role: Role | str | None) -> Role | None:
    try:
        return Role(role) if role else None
    except ValueError:
        return None


def can(role: Role | str | None, resource: Resource | str, capability: Capability | str) -> bool:
    """True when ``role`` holds ``capability`` on ``resource``; unknown names are refused."""
    known = _role(role)
    return known is not None and known in MATRIX.get(resource, {}).get(capability, NOBODY)


# --- who may be picked ------------------------------------------------------------------

# The user fields of the records (by the form's field name) -> the roles a user must have to
# be picked for it; only active users are offered. Advisors, assignees, organisers and the
# staff of a visit do client work: staff and supervisors. Admins run the system and are
# not offered.
CLIENT_WORK = frozenset({STAFF, SUPERVISOR})
PICKABLE_ROLES: dict[str, frozenset[Role]] = {
    "advisor": CLIENT_WORK,
    "assignee": CLIENT_WORK,
    "organizer": CLIENT_WORK,
    "staff": CLIENT_WORK,
}


# --- row rules ---------------------------------------------------------------------------

# (resource, capability) -> {role: column}. That role holds the capability only on rows
# whose column is the user's own id (staff close only complaints assigned to them). The
# base view applies it as a restriction of the query that fetches the record or selection.
ROW_RULES: dict[tuple[str, str], dict[Role, str]] = {
    (R.complaint, C.close): {STAFF: "assignee_id"},
}


def row_rule(role: Role | str | None, resource: Resource | str,
             capability: Capability | str) -> str | None:
    """The column that must hold the user's id for ``capability``, or None (no rule)."""
    known = _role(role)
    return ROW_RULES.get((resource, capability), {}).get(known) if known else None


# --- field rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    """Changing the field needs ``capability``; roles without it see it read-only and a
    posted value is ignored. ``on_create=False``: anyone may fill it in on a new record."""

    capability: Capability
    on_create: bool = True


# resource -> {column: rule}, by the models' column names (tier_id, not the form's tier).
FIELD_RULES: dict[str, dict[str, FieldRule]] = {
    R.client: {
        "tier_id": FieldRule(C.change_tier),
        "tier_locked": FieldRule(C.change_tier),
        "tier_lock_reason": FieldRule(C.change_tier),
    },
    R.complaint: {
        "assignee_id": FieldRule(C.reassign, on_create=False),
    },
}


def read_only_fields(role: Role | str | None, resource: Resource | str, *,
                     creating: bool) -> set[str]:
    """The columns of ``resource`` that ``role`` may see but not set on this form."""
    return {column for column, rule in FIELD_RULES.get(resource, {}).items()
            if (rule.on_create or not creating) and not can(role, resource, rule.capability)}


# --- field masking -----------------------------------------------------------------------


def mask_middle(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """``11010519491231002X`` -> ``110***********002X``; short values are fully hidden."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` -> ``z***@example.com``."""
    local, at, domain = value.partition("@")
    if not at:
        return mask_middle(value)
    return f"{local[:1]}***@{domain}"


class Mask(StrEnum):
    """How a confidential column is shown to a role that may not see it. One declaration
    drives both the Python masking (screens: call the member) and the SQL masking of
    exports (``services/exports/render.py`` keeps a dispatch table over these members)."""

    middle = "middle"  # keep the first 3 and the last 4 characters
    email = "email"  # keep the first character and the domain

    def __call__(self, value: str) -> str:
        return mask_email(value) if self is Mask.email else mask_middle(value)


# Columns shown masked to roles without ``see_pii`` on the resource.
MASKED_FIELDS: dict[str, dict[str, Mask]] = {
    R.client: {"id_number": Mask.middle, "phone": Mask.middle, "email": Mask.email},
    R.user: {"email": Mask.email},
}


def masked_fields(role: Role | str | None, resource: Resource | str) -> dict[str, Mask]:
    """The masks to apply for ``role`` on ``resource`` (empty when it may see everything)."""
    if can(role, resource, C.see_pii):
        return {}
    return MASKED_FIELDS.get(resource, {})
