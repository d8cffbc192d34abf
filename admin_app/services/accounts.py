"""User accounts: creation, authentication with lock-out, password and role changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .. import sql
from ..enums import Role
from ..models import AuditEntry, LoginLock, User, utcnow
from . import audit

MIN_PASSWORD_LENGTH = 10
# Longest values the log-in form takes (the column's length; a generous passphrase), so an
# anonymous request can't make the server hash or log a hundred kilobytes.
MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 128
MAX_FAILURES = 5
LOCK_MINUTES = 15


class AccountError(ValueError):
    """A refused account operation; the message is translated."""


def check_password_policy(password: str, *, username: str = "") -> None:
    """At least 10 characters (and at most 128), not all one kind, not the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("Use at least 10 characters."))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_l("Use at most %(max)d characters.", max=MAX_PASSWORD_LENGTH))
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

    Failures are counted per account *and* address (``ip``, the source): the
    ``max_failures``-th in a row from one address locks the account for that address for
    ``lock_minutes``, during which even the right password is refused from there. Someone
    else's failures from another address therefore never lock the user out. Callers show
    one message for every refusal, so nobody learns whether a user name exists."""
    now = now or utcnow()
    source = source_of(ip)
    user = session.scalar(sa.select(User).where(User.username == username))
    locked = user is not None and _locked(session, user.id, source, now)
    if user is None or locked or not user.is_active or not user.check_password(password):
        if user is not None and not locked:
            locked = _count_failure(session, user.id, source, now=now,
                                    max_failures=max_failures, lock_minutes=lock_minutes)
        audit.record(session, action="login_failed", entity="user",
                     entity_id=user.id if user else None,
                     changes={"username": username[:MAX_USERNAME_LENGTH], "locked": locked},
                     actor=None, ip=ip, now=now)
        return None
    session.execute(sa.delete(LoginLock).where(LoginLock.user_id == user.id,
                                               LoginLock.source == source))
    # Beside the ORM, so that a log-in doesn't change the user's version: an admin editing
    # this user meanwhile can still save.
    session.execute(sa.update(User).where(User.id == user.id).values(last_login_at=now)
                    .execution_options(synchronize_session=False))
    set_committed_value(user, "last_login_at", now)
    audit.record(session, action="login", entity="user", entity_id=user.id, actor=user, ip=ip,
                 now=now)
    return user


def source_of(ip: str | None) -> str:
    return (ip or "unknown")[:64]


def _locked(session: Session, user_id: int, source: str, now: datetime) -> bool:
    until = session.scalar(sa.select(LoginLock.locked_until).where(
        LoginLock.user_id == user_id, LoginLock.source == source))
    return until is not None and until > now


def _count_failure(session: Session, user_id: int, source: str, *, now: datetime,
                   max_failures: int, lock_minutes: int) -> bool:
    """One more failure of ``user_id`` from ``source``; True when it locks the account for
    that source. Safe when two failures arrive at once: the row is created if missing
    and counted in the database, not read and written back."""
    session.execute(sql.insert_ignoring_conflicts(
        session, LoginLock.__table__, {"user_id": user_id, "source": source, "failures": 0},
        ["user_id", "source"]))
    where = (LoginLock.user_id == user_id, LoginLock.source == source)
    session.execute(sa.update(LoginLock).where(*where)
                    .values(failures=LoginLock.failures + 1)
                    .execution_options(synchronize_session=False))
    failures = session.scalar(sa.select(LoginLock.failures).where(*where)) or 0
    if failures < max_failures:
        return False
    session.execute(sa.update(LoginLock).where(*where)
                    .values(failures=0, locked_until=now + timedelta(minutes=lock_minutes))
                    .execution_options(synchronize_session=False))
    return True


def record_throttled(session: Session, *, ip: str | None, username: str | None,
                     attempts: int, now: datetime | None = None) -> AuditEntry | None:
    """Count log-in attempts refused by the per-address rate limit: ``attempts`` is how
    many this address has made in the limit's window, this one included.

    The audit log is append-only (no entry is ever rewritten: ``db_roles``), so the count
    is written as new entries at the 1st, 10th, 100th ... refused attempt, each holding the
    count so far: a flood of any size adds a handful of rows, not one each."""
    if attempts < 1 or str(attempts).rstrip("0") != "1":
        return None
    return audit.record(session, action="login_throttled", entity="user", actor=None, ip=ip,
                        now=now or utcnow(),
                        changes={"attempts": attempts,
                                 "username": (username or "")[:MAX_USERNAME_LENGTH]})


def reset_password(session: Session, user: User, password: str) -> None:
    """Give ``user`` a new password (refused unless it meets the policy). A reset also
    lifts every lock-out of the account: the failed log-ins are forgotten. (The change of
    password ends the user's sessions, ``services/sessions.py``.)"""
    check_password_policy(password, username=user.username or "")
    user.set_password(password)
    if user.id is not None:
        session.execute(sa.delete(LoginLock).where(LoginLock.user_id == user.id))


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
