"""Who is asking: the current user's role, as the permission matrix knows it."""

from __future__ import annotations

from flask_login import current_user

from ..enums import Role


def role_of_current_user() -> Role | str | None:
    if not current_user.is_authenticated:
        return None
    return current_user.role
