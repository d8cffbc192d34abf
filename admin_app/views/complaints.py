"""Complaints (投诉处理): registration, the workflow's steps as buttons and list actions,
deadlines and the timeline. The rules live in ``services.complaints``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..enums import Capability, ComplaintStatus, Resource
from ..extensions import db
from ..labels import COLUMN_LABELS
from ..models import Complaint, utcnow
from ..services import complaints
from .actions import action, requires
from .base import SecureModelView
from .filters import OverdueFilter, client_id_filter
from .formatting import overdue_formatter
from .lookups import client_lookup, user_lookup


def report(result: complaints.BulkResult, step: str) -> None:
    """"12 closed; 3 refused: CP-2026-000123 has no resolution, …" as one message."""
    done = _("%(n)s done (%(step)s)", n=format_number(len(result.done)), step=step)
    if result.refused:
        reasons = "; ".join(message for _ref, message in result.refused)
        flash(_("%(done)s; %(n)s refused: %(reasons)s", done=done,
                n=format_number(len(result.refused)), reasons=reasons), "warning")
    else:
        flash(done, "success")


def _bulk_action(step: str):
    transition = complaints.BY_NAME[step]

    def handler(self: ComplaintView, ids: list[str]) -> None:
        self.run_bulk(step, self.pk_values(ids))

    return action(step, transition.label,
                  _l("Apply “%(step)s” to the selected complaints?", step=transition.label),
                  capability=transition.capability)(handler)


class ComplaintView(SecureModelView):
    resource = Resource.complaint
    record_model = Complaint
    export_spec = "complaints"
    details_template = "admin/complaint_details.html"
    edit_template = "admin/complaint_edit.html"
    list_template = "admin/complaint_list.html"

    column_list = ("reference", "client", "channel", "category", "severity", "status",
                   "received_at", "due_at", "assignee")
    column_details_list = (
        "reference", "client", "channel", "received_at", "category", "severity", "department",
        "assignee", "due_at", "status", "description", "findings", "resolution", "root_cause",
        "satisfaction", "closed_at", "closed_by", "reopened_count",
    )
    column_searchable_list = ("reference", "description")
    column_sortable_list = ("reference", "channel", "category", "severity", "status",
                            "received_at", "due_at", ("client", "client.name"))
    column_default_sort = ("received_at", True)
    column_filters = (
        OverdueFilter(Complaint.due_at, _l("Overdue"), complaints.overdue_criterion),
        "channel", "category", "severity", "status", "department", "received_at", "due_at",
        "closed_at", client_id_filter(Complaint.client_id),
    )
    column_labels = COLUMN_LABELS
    column_formatters = {"due_at": overdue_formatter(complaints.is_overdue)}
    column_formatters_detail = column_formatters
    form_columns = (
        "client", "channel", "received_at", "category", "severity", "department", "assignee",
        "description", "findings", "resolution", "root_cause",
    )
    form_args = {"received_at": {"default": utcnow}}
    form_ajax_refs = {"client": client_lookup(), "assignee": user_lookup("assignee")}
    prefill_fields = ("client_id",)

    action_assess = _bulk_action("assess")
    action_investigate = _bulk_action("investigate")
    action_resolve = _bulk_action("resolve")
    action_close = _bulk_action("close")

    def on_model_change(self, form, model, is_created):
        if is_created and not model.reference:
            model.reference = complaints.next_reference(db.session, now=model.received_at)
        complaints.reassess_deadline(db.session, model)
        super().on_model_change(form, model, is_created)

    # --- the workflow -----------------------------------------------------------------

    @expose("/transition/", methods=("POST",))
    @requires(Capability.view, form_values={
        "step": {t.name: t.capability for t in complaints.TRANSITIONS}})
    def transition_view(self) -> Any:
        complaint = self.get_one(request.args.get("id"), Capability.view)
        transition = complaints.BY_NAME.get(request.form.get("step", ""))
        if complaint is None or transition is None:
            abort(404)
        if not self.permits(complaint, transition.capability):
            abort(403)  # a row rule: e.g. staff close only complaints assigned to them
        satisfaction = request.form.get("satisfaction", "")
        try:
            complaints.perform(db.session, complaint, transition.name,
                               actor=current_user._get_current_object(),
                               note=request.form.get("note"),
                               satisfaction=int(satisfaction) if satisfaction.isdigit() else None)
            db.session.commit()
        except complaints.TransitionError as refused:
            db.session.rollback()
            flash(str(refused), "error")
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else changed %(ref)s at the same time: nothing was done. It is now "
                    "%(status)s.", ref=complaint.reference,
                    status=db.session.get(Complaint, complaint.id).status.label), "error")
        else:
            flash(_("%(ref)s: %(step)s done.", ref=complaint.reference, step=transition.label),
                  "success")
        return redirect(self.get_url(".details_view", id=complaint.id))

    @expose("/bulk-close/", methods=("POST",))
    @requires(Capability.close)
    def bulk_close_view(self) -> Any:
        """Close every complaint matching the list's search and filters that is ready."""
        self.run_bulk("close", self.selection_scope())
        return redirect(self.list_url())

    def run_bulk(self, step: str, scope: Any) -> None:
        transition = complaints.BY_NAME[step]
        result = complaints.perform_many(
            db.session, scope, step, actor=current_user._get_current_object(),
            permitted=self.restrict(sa.select(Complaint.id), transition.capability))
        db.session.commit()
        report(result, str(transition.label))

    def render(self, template: str, **kwargs: Any) -> Any:
        model = kwargs.get("model")
        if template in (self.details_template, self.edit_template) and model is not None:
            kwargs["transitions"] = [t for t in complaints.transitions_from(model.status)
                                     if self.permits(model, t.capability)]
            kwargs["timeline"] = complaints.timeline(db.session, model)
            kwargs["status_labels"] = ComplaintStatus.labels()
        if template == self.list_template:
            kwargs["can_bulk_close"] = self.allowed(Capability.close)
        return super().render(template, **kwargs)


