"""User accounts: creation, authentication with lock-out, password and role changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..enums import Role
from ..models import User, utcnow
from . import audit

MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
LOCK_MINUTES = 15


class AccountError(ValueError):
    """A refused account operation; the message is translated."""


def check_password_policy(password: str, *, username: str = "") -> None:
    """At least 10 characters, not all one kind, not the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("Use at least 10 characters."))
    if password.isdigit() or password.isalpha():
        raise AccountError(_l("Mix letters with digits or symbols."))
    if username and username.lower() in password.lower():
        raise AccountError(_l("The password must not contain the user name."))


def create_user(
    session: Session,
    username: str,
    *,
    role: Role | str,
    password: str,
    full_name: str = "",
    email: str | None = None,
    department: str | None = None,
    actor: User | None = None,
) -> User:
    username = username.strip()
    if not username:
        raise AccountError(_l("Enter a user name."))
    try:
        role = Role(role)
    except ValueError as exc:
        raise AccountError(_l("Unknown role.")) from exc
    check_password_policy(password, username=username)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AccountError(_l("That user name is already taken."))
    user = User(username=username, role=role, full_name=full_name or username, email=email,
                department=department)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit.record(session, action="create", entity="user", entity_id=user.id,
                 changes={"username": [None, username], "role": [None, role.value]}, actor=actor)
    return user


def authenticate(
    session: Session, username: str, password: str, *, ip: str | None = None,
    now: datetime | None = None, max_failures: int = MAX_FAILURES,
    lock_minutes: int = LOCK_MINUTES,
) -> User | None:
    """The user for these credentials, or None.

    Failures are counted; the ``max_failures``-th in a row locks the account for
    ``lock_minutes``, during which even the right password is refused. Callers show one
    message for every refusal, so nobody learns whether a user name exists."""
    now = now or utcnow()
    user = session.scalar(sa.select(User).where(User.username == username))
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    if user is None or locked or not user.is_active or not user.check_password(password):
        if user is not None and not locked:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lock_minutes)
                user.failed_logins = 0
        audit.record(session, action="login_failed", entity="user",
                     entity_id=user.id if user else None,
                     changes={"username": username, "locked": bool(user and user.locked_until
                                                                    and user.locked_until > now)},
                     actor=None, ip=ip, now=now)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, action="login", entity="user", entity_id=user.id, actor=user, ip=ip,
                 now=now)
    return user


def reset_password(user: User, password: str) -> None:
    """Give ``user`` a new password (refused unless it meets the policy). A reset also
    lifts a lock-out: the failed log-ins are forgotten."""
    check_password_policy(password, username=user.username or "")
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None


def record_logout(session: Session, user: User, *, ip: str | None = None) -> None:
    audit.record(session, action="logout", entity="user", entity_id=user.id, actor=user, ip=ip)


def check_admin_remains(session: Session, user: User) -> None:
    """Refuse a change that would leave no active admin (call after applying it, pre-commit)."""
    state: Any = sa.inspect(user)
    was_admin = state.attrs.role.history.deleted or [user.role]
    was_active = state.attrs.is_active.history.deleted or [user.is_active]
    if Role(was_admin[0]) != Role.admin or not was_active[0]:
        return
    if user.role == Role.admin and user.is_active:
        return
    with session.no_autoflush:
        others = session.scalar(
            sa.select(sa.func.count()).select_from(User)
            .where(User.role == Role.admin, User.is_active.is_(True), User.id != user.id)
        ) or 0
    if others == 0:
        raise AccountError(_l("This is the last active admin: make another user an admin "
                              "before demoting or deactivating this one."))
