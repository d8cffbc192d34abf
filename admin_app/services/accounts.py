"""User accounts: creation and authentication."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..enums import Role
from ..models import User, utcnow
from . import audit

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A refused account operation; the message is translated."""


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("Use at least 10 characters."))
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
    now: datetime | None = None,
) -> User | None:
    """The user for these credentials, or None; failures are counted and audited."""
    now = now or utcnow()
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.is_active or not user.check_password(password):
        if user is not None:
            user.failed_logins += 1
        audit.record(session, action="login_failed", entity="user",
                     entity_id=user.id if user else None, changes={"username": username},
                     actor=None, ip=ip, now=now)
        return None
    user.failed_logins = 0
    user.last_login_at = now
    audit.record(session, action="login", entity="user", entity_id=user.id, actor=user, ip=ip,
                 now=now)
    return user


def record_logout(session: Session, user: User, *, ip: str | None = None) -> None:
    audit.record(session, action="logout", entity="user", entity_id=user.id, actor=user, ip=ip)
