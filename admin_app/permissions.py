"""The permission matrix (DESIGN.md §2) as data, and the one function that reads it.

Every screen, action, export and lookup asks ``can(role, resource, capability)``;
change a cell here and the behaviour changes everywhere. Anything not named is refused.
"""

from __future__ import annotations

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
    "complaint": {**_RECORD, "close": EVERYONE},
    "tier": {"view": EVERYONE, "create": NOBODY, "edit": ADMINS, "delete": NOBODY,
             "export": LEADS},
    "user": {"view": ADMINS, "create": ADMINS, "edit": ADMINS, "delete": NOBODY,
             "export": ADMINS, "see_pii": ADMINS},
    "audit": {"view": LEADS, "create": NOBODY, "edit": NOBODY, "delete": NOBODY,
              "export": LEADS},
}


def can(role: Role | str | None, resource: str, capability: str) -> bool:
    """True when ``role`` holds ``capability`` on ``resource``; unknown names are refused."""
    if role is None:
        return False
    try:
        role = Role(role)
    except ValueError:
        return False
    return role in MATRIX.get(resource, {}).get(capability, NOBODY)
