"""AJAX pickers for clients and users: a page of matches, never the whole table."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import lazy_gettext as _l

from ..enums import EventStatus
from ..extensions import db
from ..models import Event, User

CLIENT_LOOKUP: dict[str, Any] = {
    "fields": ("code", "name"),
    "page_size": 10,
    "placeholder": _l("Type a client's name or code"),
    "minimum_input_length": 1,
}


class ActiveUserLoader(QueryAjaxModelLoader):
    """Only active users can be picked as advisor, assignee, organiser or staff."""

    def get_query(self) -> Any:
        return super().get_query().filter(User.is_active.is_(True))


def user_lookup(name: str) -> ActiveUserLoader:
    return ActiveUserLoader(name, db.session, User, fields=("username", "full_name"),
                            page_size=10, placeholder=_l("Type a user name"),
                            minimum_input_length=1)


class OpenEventLoader(QueryAjaxModelLoader):
    """Events a client can still be invited to (planned or open), the soonest first."""

    def get_query(self) -> Any:
        return super().get_query().filter(
            Event.status.in_((EventStatus.planned, EventStatus.open)))


def event_lookup(name: str) -> OpenEventLoader:
    return OpenEventLoader(name, db.session, Event, fields=("title", "location"),
                           order_by=Event.starts_at, page_size=10,
                           placeholder=_l("Type an event's title"), minimum_input_length=0)
