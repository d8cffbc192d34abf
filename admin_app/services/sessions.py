"""Signed-in sessions the server knows, so that they can end.

The session cookie is signed but a copy of it works wherever it is replayed; what makes
it worth something is a row of ``user_session``, found by the SHA-256 of the random token
the cookie carries (the table alone gives nobody a cookie). A session ends when

- its user logs out (``end``);
- its user is deactivated, or their role or password changes (``end_all``, run by the
  flush that writes the change, whichever screen, command or script made it);
- it has been idle longer than the idle timeout, or has lasted the absolute lifetime
  (``resume`` refuses it; ``purge`` deletes such rows at the next log-in).

Checking a session is one primary-key read joined to the user. Activity moves
``last_seen_at`` at most once per ``TOUCH_EVERY`` (``needs_touch``), so reading pages does
not write on every request; the caller writes it in a transaction of its own.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import User, UserSession, utcnow

# Activity is written at most this often: an idle timeout is exact to within this.
TOUCH_EVERY = timedelta(minutes=1)

# A change to one of these ends every session of the user.
REVOKING_COLUMNS = ("password_hash", "role", "is_active")


class Ended(StrEnum):
    """Why a cookie's session is no longer valid."""

    unknown = "unknown"  # logged out, revoked, purged or never issued
    inactive = "inactive"  # the user is deactivated
    idle = "idle"
    expired = "expired"  # the absolute lifetime is over


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class Resumed:
    """A cookie's session: the user when it is valid, else why it ended."""

    user: User | None
    key: str
    needs_touch: bool = False
    ended: Ended | None = None


def key_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start(session: Session, user: User, *, now: datetime | None = None,
          ip: str | None = None) -> str:
    """A new session for ``user``; returns the token for the cookie (stored only hashed)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(UserSession(key=key_of(token), user_id=user.id, created_at=now,
                            last_seen_at=now, ip=(ip or "")[:64] or None))
    return token


def resume(session: Session, token: str, *, limits: Limits,
           now: datetime | None = None) -> Resumed:
    """The session of ``token``, if it is still valid at ``now``."""
    now = now or utcnow()
    key = key_of(token)
    row = session.execute(
        sa.select(UserSession.created_at, UserSession.last_seen_at, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key == key)
    ).one_or_none()
    if row is None:
        return Resumed(None, key, ended=Ended.unknown)
    created_at, last_seen_at, user = row
    if not user.is_active:
        return Resumed(None, key, ended=Ended.inactive)
    if now >= created_at + limits.lifetime:
        return Resumed(None, key, ended=Ended.expired)
    if now >= last_seen_at + limits.idle:
        return Resumed(None, key, ended=Ended.idle)
    return Resumed(user, key, needs_touch=now - last_seen_at >= TOUCH_EVERY)


def touch(session: Session | sa.Connection, key: str, *, now: datetime | None = None) -> None:
    """Activity now: the idle timeout counts from here."""
    session.execute(sa.update(UserSession).where(UserSession.key == key)
                    .values(last_seen_at=now or utcnow()))


def end(session: Session | sa.Connection, key: str) -> None:
    """Log-out: this session is over."""
    session.execute(sa.delete(UserSession).where(UserSession.key == key))


def end_all(session: Session | sa.Connection, user_id: int) -> None:
    """Every session of the user is over."""
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))


def purge(session: Session, *, limits: Limits, now: datetime | None = None) -> None:
    """Delete the sessions that can no longer be resumed (idle or too old)."""
    now = now or utcnow()
    session.execute(sa.delete(UserSession).where(sa.or_(
        UserSession.created_at <= now - limits.lifetime,
        UserSession.last_seen_at <= now - limits.idle)))


def active_count(session: Session, user_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(UserSession)
                          .where(UserSession.user_id == user_id)) or 0


def revoking_change(user: User) -> bool:
    """Does the pending change of ``user`` (deactivation, role, password) end its sessions?"""
    state: Any = sa.inspect(user)
    if state.transient or state.pending:
        return False
    return any(state.attrs[name].history.has_changes() for name in REVOKING_COLUMNS)


@sa.event.listens_for(Session, "after_flush")
def _end_sessions_of_changed_users(session: Session, context: Any) -> None:
    """One place for every path that changes a user: the Users screen, the command line,
    a script. Runs inside the flush's transaction, so the sessions end exactly when the
    change is committed, and not if it is rolled back."""
    for obj in session.dirty:
        if isinstance(obj, User) and revoking_change(obj):
            end_all(session.connection(), obj.id)
