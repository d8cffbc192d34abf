"""Callbacks (回访): when a client's callback is overdue. One rule, in two forms that
agree: a SQL criterion for lists, filters and the dashboard, and a check of one record."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..models import Client


def overdue_criterion(now: datetime) -> sa.ColumnElement[bool]:
    """Clients whose next callback fell due before ``now``."""
    return Client.next_callback_due < now


def is_overdue(client: Client, now: datetime) -> bool:
    """``overdue_criterion`` for one client already loaded."""
    return client.next_callback_due is not None and client.next_callback_due < now
