"""Waiting for another writer's lock, on either database.

A write that can't get its lock within ``LOCK_TIMEOUT_MS`` (SQLite's busy timeout,
PostgreSQL's lock_timeout; both set on every connection) fails. ``is_lock_timeout`` tells
that failure from other database errors, so that screens and commands can say "try again"
instead of failing.
"""

from __future__ import annotations

import sqlalchemy as sa

POSTGRESQL_LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(error: BaseException) -> bool:
    if not isinstance(error, sa.exc.OperationalError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) == POSTGRESQL_LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(original)  # SQLite: SQLITE_BUSY after the timeout
