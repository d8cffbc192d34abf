"""The client's page as the whole relationship: beside the client's own fields, the latest
visits, complaints, events and tier changes, each a short table with a link to the list of
all of them, the client record's history, and buttons that open a form already filled in
for the client.

Each table shows its rows in the columns of the list it links to, through that list's own
view: formatted, flagged (a complaint past its deadline) and masked exactly as there. A
table, a link or a button is shown only to roles the permission matrix lets see that list
or create that record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from ..enums import Capability, Resource, VisitChannel, VisitPurpose, VisitStatus
from ..extensions import db
from ..models import Client, TierChange
from ..permissions import can
from ..services import client_overview
from ..services.client_overview import Latest
from . import history, prefill
from .access import role_of_current_user
from .formatting import datetime_formatter
from .links import list_url, registered_view
from .sections import Row, Section


@dataclass(frozen=True)
class Button:
    key: str
    label: str
    url: str


@dataclass(frozen=True)
class Related:
    """A table of the client's records, read by ``read``, shown in ``columns`` of the list
    at ``endpoint`` and linked to that list filtered by ``filters``."""

    key: str
    title: Any
    endpoint: str
    columns: tuple[str, ...]
    read: Callable[[Session, int], Latest[Any]]
    filters: Callable[[Client], dict[str, str]]
    all_label: Any  # with %(num)s


def _by_client(client: Client) -> dict[str, str]:
    return {"client_id": str(client.id)}


RELATED = (
    Related("visits", _l("Visits"), "visit",
            ("scheduled_for", "completed_at", "channel", "purpose", "status", "staff",
             "satisfaction"),
            client_overview.visits, _by_client, _l("All visits (%(num)s)")),
    Related("complaints", _l("Complaints"), "complaint",
            ("reference", "received_at", "category", "severity", "status", "due_at",
             "assignee"),
            client_overview.complaints, _by_client, _l("All complaints (%(num)s)")),
    Related("events", _l("Events"), "attendance",
            ("event", "event.starts_at", "status", "feedback_score", "feedback_text"),
            client_overview.attendances, _by_client, _l("All events (%(num)s)")),
)
TIER_HISTORY_AFTER = "events"  # where the tier history goes among the tables

# *Record callback* records a callback made just now: done, by phone, by the user. The
# button is pressed during or right after the call, and a done callback is what moves the
# client's next due date; callbacks to make later are planned in bulk from the client list.
RECORD_CALLBACK = {"purpose": VisitPurpose.scheduled_callback.value,
                   "channel": VisitChannel.phone.value, "status": VisitStatus.done.value,
                   "completed_at": prefill.NOW}


def _allowed(resource: Resource | str, capability: Capability) -> bool:
    return can(role_of_current_user(), resource, capability)


def _view(endpoint: str) -> Any:
    try:
        return registered_view(endpoint)
    except LookupError:
        return None


def _section(related: Related, client: Client) -> Section | None:
    view = _view(related.endpoint)
    if view is None or not _allowed(view.resource, Capability.view):
        return None
    latest = related.read(db.session, client.id)
    rows = [Row(url_for(f"{related.endpoint}.details_view", id=record.id),
                [view.get_list_value(None, record, name) for name in related.columns])
            for record in latest.rows]
    return Section(
        related.key, str(related.title), [str(view.get_column_name(c)) for c in related.columns],
        rows, latest.total,
        all_url=list_url(related.endpoint, filters=related.filters(client))
        if latest.total else None,
        all_label=str(related.all_label) % {"num": format_number(latest.total)})


def _tier_history(client: Client) -> Section | None:
    if not _allowed(Resource.client, Capability.view):
        return None
    latest = client_overview.tier_changes(db.session, client.id)

    def cells(change: TierChange) -> list[Any]:
        return [datetime_formatter(None, change.changed_at, "changed_at"),
                change.from_tier or "—", change.to_tier, change.reason.label,
                change.changed_by or _("System")]

    return Section("tier_history", _("Tier history"),
                   [_("When"), _("From"), _("To"), _("Why"), _("Who")],
                   [Row(None, cells(change)) for change in latest.rows], latest.total)


def sections(client: Client, record_history: Section | None) -> list[Section]:
    """The tables the current user may see, in the page's order: the related records, then
    the client record's own history (``views.history``)."""
    found: list[Section | None] = []
    for related in RELATED:
        found.append(_section(related, client))
        if related.key == TIER_HISTORY_AFTER:
            found.append(_tier_history(client))
    found.append(record_history)
    return [section for section in found if section is not None]


def buttons(client: Client) -> list[Button]:
    """*Record callback*, *Register complaint*, *Invite to event*: each opens its create
    form filled in with the client (and the callback with the user as its staff member),
    and comes back here after saving; shown only to roles that may create that record."""
    back = url_for("client.details_view", id=client.id)
    offered = [
        ("record_callback", _("Record callback"), "visit",
         {"client_id": client.id, "staff_id": current_user.id, **RECORD_CALLBACK}),
        ("register_complaint", _("Register complaint"), "complaint", {"client_id": client.id}),
        ("invite_to_event", _("Invite to event"), "attendance", {"client_id": client.id}),
    ]
    found = []
    for key, label, endpoint, args in offered:
        view = _view(endpoint)
        if view is not None and _allowed(view.resource, Capability.create):
            found.append(Button(key, label, url_for(f"{endpoint}.create_view", url=back,
                                                    **args)))
    return found


def context(client: Client) -> dict[str, Any]:
    """What the client details template needs beyond Flask-Admin's own."""
    record_history = history.panel(registered_view("client"), client)
    return {"sections": sections(client, record_history),
            "buttons": buttons(client), "history": record_history}
