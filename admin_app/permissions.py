"""The permission matrix (DESIGN.md §2) as data, and the one function that reads it.

Every screen, action, export and lookup asks ``can(role, resource, capability)``;
change a cell here and the behaviour changes everywhere. Anything not named is refused.
"""

from __future__ import annotations

from enum import StrEnum

from .enums import Role

STAFF, SUPERVISOR, ADMIN = Role.staff, Role.supervisor, Role.admin
EVERYONE = frozenset(Role)
LEADS = frozenset({SUPERVISOR, ADMIN})
ADMINS = frozenset({ADMIN})
NOBODY: frozenset[Role] = frozenset()

_RECORD = {
    "view": EVERYONE,
    "create": EVERYONE,
    "edit": EVERYONE,
    "delete": ADMINS,
    "export": LEADS,
    "see_pii": LEADS,
}

MATRIX: dict[str, dict[str, frozenset[Role]]] = {
    "dashboard": {"view": EVERYONE},
    "client": {**_RECORD, "recalculate_tier": LEADS, "recalculate_all": ADMINS},
    "visit": dict(_RECORD),
    "event": dict(_RECORD),
    "complaint": {**_RECORD, "close": EVERYONE, "reopen": LEADS},
    "tier": {"view": EVERYONE, "create": NOBODY, "edit": ADMINS, "delete": NOBODY},
    "user": {"view": ADMINS, "create": ADMINS, "edit": ADMINS, "delete": NOBODY,
             "see_pii": ADMINS},
    "service_level": {"view": EVERYONE, "create": NOBODY, "edit": ADMINS, "delete": NOBODY},
    "audit": {"view": LEADS, "create": NOBODY, "edit": NOBODY, "delete": NOBODY,
              "export": LEADS},
}


# Row rules: (resource, capability) -> {role: column}. That role holds the capability only
# on rows whose column is the user's own id (staff close only complaints assigned to them).
ROW_RULES: dict[tuple[str, str], dict[Role, str]] = {
    ("complaint", "close"): {STAFF: "assignee_id"},
}


def row_rule(role: Role | str | None, resource: str, capability: str) -> str | None:
    """The column that must hold the user's id for ``capability``, or None (no rule)."""
    try:
        return ROW_RULES.get((resource, capability), {}).get(Role(role)) if role else None
    except ValueError:
        return None


def can(role: Role | str | None, resource: str, capability: str) -> bool:
    """True when ``role`` holds ``capability`` on ``resource``; unknown names are refused."""
    if role is None:
        return False
    try:
        role = Role(role)
    except ValueError:
        return False
    return role in MATRIX.get(resource, {}).get(capability, NOBODY)


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
    "client": {"id_number": Mask.middle, "phone": Mask.middle, "email": Mask.email},
    "user": {"email": Mask.email},
}


def masked_fields(role: Role | str | None, resource: str) -> dict[str, Mask]:
    """The masks to apply for ``role`` on ``resource`` (empty when it may see everything)."""
    if can(role, resource, "see_pii"):
        return {}
    return MASKED_FIELDS.get(resource, {})
