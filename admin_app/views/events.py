"""Client events (客户活动) with their attendance inline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_babel import format_number, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.validators import ValidationError

from ..enums import AttendanceStatus, Capability, Resource
from ..extensions import db
from ..forms.validators import Money, NonNegative, NotBefore, Score
from ..labels import COLUMN_LABELS
from ..models import Client, Event, EventAttendance, utcnow
from ..services import audit, events, inputs
from .actions import requires
from .base import SecureModelView
from .filters import QueueFilter, UserFilter
from .formatting import money
from .lookups import client_lookup, user_lookup


def _when(value: str) -> Any:
    """Upcoming: starting from now on; past: started before now."""
    now = utcnow()
    return Event.starts_at >= now if value == "upcoming" else Event.starts_at < now


def _figures(event: Event) -> events.Evaluation:
    found: dict[int, events.Evaluation] = g.get("event_figures") or {}
    return found.get(event.id) or events.evaluation(db.session, event.id)


def _rate(value: float | None) -> str:
    return "—" if value is None else str(format_percent(value))


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class EventView(SecureModelView):
    resource = Resource.event

    record_model = Event
    export_spec = "events"

    column_list = ("title", "kind", "status", "starts_at", "location", "capacity", "budget",
                   "organizer", "signed_up", "attendance_rate", "mean_feedback")
    # The attendees are the table below the fields (event_details.html), a page at a time.
    column_details_list = ("title", "kind", "status", "starts_at", "ends_at", "location",
                           "capacity", "budget", "organizer", "description")
    column_searchable_list = ("title", "location")
    column_sortable_list = ("title", "kind", "status", "starts_at", "capacity", "budget")
    column_default_sort = ("starts_at", True)
    column_filters = (
        QueueFilter("when", Event.starts_at, _l("When"), _when,
                    options=(("upcoming", _l("Upcoming")), ("past", _l("Past")))),
        "kind", "status", UserFilter(Event.organizer_id, _l("Organiser"), key="organizer"),
        "starts_at", "capacity", "budget")
    column_labels = {**COLUMN_LABELS, "signed_up": _l("Registered"),
                     "attendance_rate": _l("Attendance rate"),
                     "mean_feedback": _l("Mean feedback")}
    column_formatters = {
        "signed_up": lambda v, c, m, n: format_number(_figures(m).signed_up),
        "attendance_rate": lambda v, c, m, n: _rate(_figures(m).attendance_rate),
        "mean_feedback": lambda v, c, m, n: _mean(_figures(m).mean_feedback),
    }
    form_columns = ("title", "kind", "status", "starts_at", "ends_at", "location", "capacity",
                    "budget", "organizer", "description", "attendances")
    form_args = {
        "ends_at": {"validators": [NotBefore("starts_at")]},
        "capacity": {"validators": [NonNegative()]},
        "budget": {"validators": [Money()]},
    }
    form_ajax_refs = {"organizer": user_lookup("organizer")}
    details_template = "admin/event_details.html"  # the fields, the evaluation, the history

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        """The page's events, with their evaluation figures read in one grouped query for
        the list's columns."""
        count, found = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True) and isinstance(found, list):
            g.event_figures = events.figures_of(db.session, [e.id for e in found])
        return count, found

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["evaluation"] = events.evaluation(db.session, kwargs["model"].id)
            kwargs["money"] = money
            kwargs["attendees"] = self._attendees(kwargs["model"])
        return super().render(template, **kwargs)

    def _attendees(self, event: Event) -> dict[str, Any]:
        """A page of the event's list (``att_page``), optionally of one status
        (``att_status``), for the table on the event's page."""
        raw_page = request.args.get("att_page", "")
        page = min(int(raw_page), 100_000) if raw_page.isdigit() and len(raw_page) < 7 else 0
        wanted = request.args.get("att_status") or ""
        status = AttendanceStatus(wanted) if wanted in AttendanceStatus._value2member_map_ \
            else None
        where = [EventAttendance.event_id == event.id]
        if status is not None:
            where.append(EventAttendance.status == status)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(EventAttendance)
                                  .where(*where)) or 0
        rows = db.session.execute(
            sa.select(EventAttendance, Client).join(Client,
                                                    Client.id == EventAttendance.client_id)
            .where(*where).order_by(Client.code)
            .offset(page * events.ATTENDEES_PAGE).limit(events.ATTENDEES_PAGE)).all()
        return {"rows": rows, "total": total, "page": page, "status": wanted,
                "pages": max(1, -(-total // events.ATTENDEES_PAGE)),
                "statuses": list(AttendanceStatus), "settable": events.SETTABLE,
                "can_edit": self.allowed(Capability.edit)}

    @expose("/attendance/", methods=("POST",))
    @requires(Capability.edit)
    def attendance_status_view(self) -> Any:
        """The table's bulk change: the ticked rows get the chosen status (check-in on the
        day: many marked attended at once)."""
        event_id = inputs.column_key(Event.id, request.args.get("id", ""))
        back = self.get_url(".details_view", id=event_id, **{
            k: v for k, v in request.args.items() if k.startswith("att_")})
        wanted = request.form.get("status", "")
        if event_id is None or wanted not in {s.value for s in events.SETTABLE}:
            abort(400)
        seen: dict[int, int] = {}
        for raw in request.form.getlist("row"):
            key, _sep, version = raw.partition(":")
            if key.isdigit() and version.isdigit():
                seen[int(key)] = int(version)
        if not seen:
            flash(_("Tick the people whose status you are setting."), "error")
            return redirect(back)
        try:
            result = events.set_status(db.session, event_id, seen, AttendanceStatus(wanted),
                                       actor=current_user._get_current_object())
            db.session.commit()
        except events.EventError as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return redirect(back)
        flash(_("Status set for %(n)s people.", n=format_number(result.changed)), "success")
        if result.changed_meanwhile:
            flash(_("%(n)s were saved by someone else since the page was drawn and were "
                    "left as they are: check them and set them again.",
                    n=format_number(result.changed_meanwhile)), "error")
        return redirect(back)

    def on_model_change(self, form: Any, model: Event, is_created: bool) -> None:
        """The attendance rows edited inline are audited each as a record of its own
        (added, changed, removed), in the same transaction as the event's save; they keep
        within the event's capacity, and a done or cancelled event takes no new one."""
        rows = self._attendance_changes(model)
        added = sum(1 for action, _row, _changes in rows if action == "create")
        if added and not is_created and model.status in events.CLOSED_EVENTS:
            raise ValidationError(str(events.EVENT_CLOSED))
        if model.capacity is not None and len(model.attendances) > model.capacity:
            raise ValidationError(_("This event has %(count)s people on its list, more than "
                                    "its %(capacity)s places.",
                                    count=format_number(len(model.attendances)),
                                    capacity=format_number(model.capacity)))
        super().on_model_change(form, model, is_created)
        for action, attendance, changes in rows:
            self._audit_row(action, attendance, changes)

    @staticmethod
    def _attendance_changes(model: Event) -> list[tuple[str, EventAttendance, dict[str, Any]]]:
        found = []
        for attendance in db.session.deleted:
            if isinstance(attendance, EventAttendance):
                found.append(("delete", attendance,
                              audit.object_changes(attendance, deleted=True)))
        for attendance in model.attendances:
            state: Any = sa.inspect(attendance)
            if state.pending or state.transient:
                found.append(("create", attendance,
                              audit.object_changes(attendance, created=True)))
            elif state.modified:
                changes = audit.object_changes(attendance)
                if changes:
                    found.append(("update", attendance, changes))
        return found

    def _audit_row(self, action: str, attendance: EventAttendance,
                   changes: dict[str, Any]) -> None:
        audit.record(db.session, action=action, entity="event_attendance",
                     entity_id=attendance.id, changes=changes,
                     actor=current_user._get_current_object(), ip=request.remote_addr)
    inline_models = [
        (
            EventAttendance,
            {
                "form_columns": ("id", "client", "status", "feedback_score", "feedback_text"),
                "form_ajax_refs": {"client": client_lookup()},
                "form_args": {"feedback_score": {"validators": [Score()]}},
                "column_labels": COLUMN_LABELS,
            },
        )
    ]
