"""Capped list counts: a list over a table that grows without end (the audit log) counts
at most ``cap`` + 1 matching rows and says "10,000+" beyond, so the cost of drawing a page
follows the page, not the table (a full count of ten million entries takes seconds)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy.orm import Query


class CappedCountQuery(Query[Any]):
    """Flask-Admin's count query (filters and search are added to it as to any query),
    whose ``scalar()`` counts the first ``cap`` + 1 matching rows only."""

    cap: int

    def scalar(self) -> Any:
        limited = self.limit(self.cap + 1).subquery()
        return self.session.execute(sa.select(sa.func.count()).select_from(limited)).scalar()


def capped_count_query(session: Any, model: Any, cap: int) -> CappedCountQuery:
    query = CappedCountQuery([sa.literal_column("1")], session=session).select_from(model)
    query.cap = cap  # copied into each query derived from this one
    return query


def count_label(count: int, cap: int | None) -> str:
    """The count as the list's heading shows it: "2,000", or "10,000+" past the cap."""
    if cap is not None and count > cap:
        return _("%(num)s+", num=format_number(cap))
    return format_number(count)
