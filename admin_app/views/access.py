"""Who is asking: the current user's role, as the permission matrix knows it."""

from __future__ import annotations

from flask_login import current_user

from ..enums import Role


def role_of_current_user() -> Role | None:
    if not current_user.is_authenticated:
        return None
    return Role(current_user.role)
