"""AJAX pickers for clients, users and events: a page of matches, never the whole table.

Whatever ``limit`` and ``offset`` a request sends, a picker answers at most
``MAX_PAGE_SIZE`` rows from a non-negative offset; a typed text with control characters
finds nothing rather than reaching the database. A posted id is looked up among the rows
the picker offers (an id that is not a number, or not one of them, is no record), so a
crafted form can't pick what the picker would not offer: a deactivated user, or a user
whose role can't hold the field (``permissions.PICKABLE_ROLES``).
"""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import lazy_gettext as _l

from ..enums import EventStatus
from ..extensions import db
from ..models import Client, Event, User
from ..permissions import PICKABLE_ROLES
from ..services import inputs

MAX_PAGE_SIZE = 20  # the most rows one look-up answers, whatever it asks for
MAX_OFFSET = 10_000  # far past any page a person scrolls to


class PagedLoader(QueryAjaxModelLoader):
    """A picker's look-up, held to a page, and its lookup of a posted id."""

    def get_list(self, term: str, offset: int = 0, limit: int = MAX_PAGE_SIZE) -> Any:
        term = term or ""
        if len(term) > inputs.MAX_QUERY_TEXT or inputs.has_control_characters(term):
            return []
        offset = min(max(offset or 0, 0), MAX_OFFSET)
        limit = min(limit, MAX_PAGE_SIZE) if limit and limit > 0 else MAX_PAGE_SIZE
        return super().get_list(term, offset, limit)

    def get_one(self, pk: Any) -> Any:
        """The offered record with id ``pk``; None for an id that is none of them."""
        column = self.model.__mapper__.primary_key[0]
        key = inputs.column_key(column, pk)
        if key is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(column == key).one_or_none()


class ActiveUserLoader(PagedLoader):
    """Only active users whose role may hold the field are offered (and accepted)."""

    def __init__(self, name: str, roles: frozenset[Any], **options: Any) -> None:
        super().__init__(name, db.session, User, **options)
        self.roles = roles

    def get_query(self) -> Any:
        return super().get_query().filter(User.is_active.is_(True),
                                          User.role.in_(sorted(self.roles)))


def user_lookup(name: str) -> ActiveUserLoader:
    """The picker of the user field ``name`` (advisor, assignee, organizer, staff)."""
    return ActiveUserLoader(name, PICKABLE_ROLES[name], fields=("username", "full_name"),
                            order_by=User.username, page_size=10,
                            placeholder=_l("Type a user name"), minimum_input_length=1)


def client_lookup(name: str = "client") -> PagedLoader:
    """The picker of a client field: by name or code."""
    return PagedLoader(name, db.session, Client, fields=("code", "name"), page_size=10,
                       placeholder=_l("Type a client's name or code"),
                       minimum_input_length=1)


class OpenEventLoader(PagedLoader):
    """Events a client can still be invited to (planned or open), the soonest first."""

    def get_query(self) -> Any:
        return super().get_query().filter(
            Event.status.in_((EventStatus.planned, EventStatus.open)))


def event_lookup(name: str) -> OpenEventLoader:
    return OpenEventLoader(name, db.session, Event, fields=("title", "location"),
                           order_by=Event.starts_at, page_size=10,
                           placeholder=_l("Type an event's title"), minimum_input_length=0)
