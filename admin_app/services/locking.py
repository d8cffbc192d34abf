"""Waiting for another writer's lock, on either database.

A write that can't get its lock within ``LOCK_TIMEOUT_MS`` (SQLite's busy timeout,
PostgreSQL's lock_timeout; both set on every connection by ``sql.configure_engine``)
fails. ``refusing_busy_writes`` turns that failure into one domain error, ``Busy``, with
one translated message that screens and commands show alike instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l

from .. import sql

BUSY_MESSAGE = _l("These records are busy with another change, such as a tier "
                  "recalculation. Nothing was saved; try again in a moment.")


class Busy(RuntimeError):
    """A write refused because another change held the records longer than the timeout."""

    def __init__(self) -> None:
        super().__init__(BUSY_MESSAGE)

    def __str__(self) -> str:
        return str(BUSY_MESSAGE)


def is_lock_timeout(error: BaseException) -> bool:
    return isinstance(error, Busy) or sql.is_lock_timeout(error)


@contextmanager
def refusing_busy_writes() -> Iterator[None]:
    """Raise ``Busy`` in place of the engine's lock-timeout error."""
    try:
        yield
    except Exception as error:
        if sql.is_lock_timeout(error):
            raise Busy() from error
        raise
