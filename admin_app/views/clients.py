"""Client records (客户档案), with the recalculate-tier action in three scopes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..enums import Capability, Resource, TierCode
from ..extensions import db
from ..forms.validators import (
    Code,
    Email,
    IdNumber,
    Money,
    NonNegative,
    PastDate,
    Phone,
    RequiredIf,
)
from ..labels import COLUMN_LABELS
from ..models import Client, Tier
from ..services import callbacks, locking, messages, tiers
from .actions import action, requires
from .base import SecureModelView
from .filters import OverdueFilter
from .formatting import datetime_formatter, overdue_formatter
from .lookups import user_lookup


def tier_history(view: Any, context: Any, model: Client, name: str) -> Markup:
    rows = [
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            datetime_formatter(view, change.changed_at, name),
            change.from_tier or "—", change.to_tier, change.reason.label,
            change.changed_by or _("System"))
        for change in model.tier_changes
    ]
    if not rows:
        return Markup("{}").format(_("No tier changes yet."))
    head = Markup("<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>").format(
        _("When"), _("From"), _("To"), _("Why"), _("Who"))
    return Markup('<table class="table table-sm mb-0">{}{}</table>').format(
        head, Markup("").join(rows))


class ClientView(SecureModelView):
    resource = Resource.client
    record_model = Client
    export_spec = "clients"
    list_template = "admin/client_list.html"

    column_list = ("code", "name", "kind", "tier", "status", "risk_profile", "assets",
                   "advisor", "next_callback_due")
    column_details_list = (
        "code", "name", "kind", "status", "gender", "birth_date", "phone", "email", "address",
        "occupation", "id_number", "risk_profile", "risk_assessed_at", "assets",
        "annual_contribution", "trades_12m", "tier", "tier_locked", "tier_lock_reason",
        "tier_changed_at", "tier_changes", "advisor", "last_callback_at", "next_callback_due",
        "notes", "created_at", "updated_at",
    )
    column_searchable_list = ("code", "name", "phone", "email", "id_number")
    column_sortable_list = ("code", "name", "kind", "status", "risk_profile", "assets",
                            ("tier", "tier.rank"), "next_callback_due")
    column_default_sort = ("code", False)
    column_filters = (
        FilterEqual(Tier.code, _l("Tier"), options=TierCode.choices()),
        "kind", "status", "risk_profile", "assets", "annual_contribution", "trades_12m",
        "tier_locked", "next_callback_due", "created_at",
        OverdueFilter(Client.next_callback_due, _l("Callback overdue"),
                      callbacks.overdue_criterion),
    )
    column_labels = {**COLUMN_LABELS, "tier_changes": _l("Tier history")}
    column_formatters = {"next_callback_due": overdue_formatter(callbacks.is_overdue)}
    column_formatters_detail = {**column_formatters, "tier_changes": tier_history}
    form_columns = (
        "code", "name", "kind", "status", "gender", "birth_date", "phone", "email", "address",
        "occupation", "id_number", "risk_profile", "risk_assessed_at", "assets",
        "annual_contribution", "trades_12m", "tier", "tier_locked", "tier_lock_reason",
        "advisor", "notes",
    )
    form_args = {
        "code": {"validators": [Code()]},
        "phone": {"validators": [Phone()]},
        "email": {"validators": [Email()]},
        "id_number": {"validators": [IdNumber()]},
        "birth_date": {"validators": [PastDate()]},
        "assets": {"validators": [Money()]},
        "annual_contribution": {"validators": [Money()]},
        "trades_12m": {"validators": [NonNegative()]},
        "tier_lock_reason": {
            "validators": [RequiredIf("tier_locked", _l("Give a reason for locking the tier."))]
        },
        "tier": {"query_factory": lambda: db.session.query(Tier).order_by(Tier.rank),
                 "description": _l("Leave empty to assign the tier the client's figures earn. "
                                   "A tier chosen by hand is recorded as a manual change.")},
    }
    form_ajax_refs = {"advisor": user_lookup("advisor")}

    def on_model_change(self, form, model, is_created):
        tiers.apply_manual_change(db.session, model, actor=current_user._get_current_object())
        callbacks.apply_client_change(db.session, model)
        super().on_model_change(form, model, is_created)

    # --- recalculate tier ---------------------------------------------------------------

    @action("recalculate_tier", _l("Recalculate tier"),
            _l("Recalculate the tiers of the selected clients?"),
            capability=Capability.recalculate_tier)
    def action_recalculate(self, ids: list[str]) -> None:
        self._recalculate(self.selected(ids), "selected", dry_run=False)

    @action("recalculate_tier_dry_run", _l("Preview tier recalculation (dry run)"),
            capability=Capability.recalculate_tier)
    def action_recalculate_dry_run(self, ids: list[str]) -> None:
        self._recalculate(self.selected(ids), "selected", dry_run=True)

    @expose("/recalculate/", methods=("POST",))
    @requires(Capability.recalculate_tier,
              form_values={"scope": {"all": Capability.recalculate_all}},
              unfiltered=Capability.recalculate_all)
    def recalculate_view(self) -> Any:
        """Every client matching the list's search and filters, or (admins) every client."""
        scope_name = request.form.get("scope", "filtered")
        if scope_name == "all":
            scope = None
        elif scope_name == "filtered":
            scope = self.selection_scope()
        else:
            abort(400)
        self._recalculate(scope, scope_name, dry_run=bool(request.form.get("dry_run")))
        return redirect(self.list_url())

    def _recalculate(self, scope: sa.Select | None, label: str, *, dry_run: bool) -> None:
        try:
            with locking.refusing_busy_writes():
                result = tiers.recalculate(db.session, scope=scope, dry_run=dry_run,
                                           actor=current_user._get_current_object(),
                                           scope_label=label)
                db.session.commit()
        except locking.Busy as busy:
            db.session.rollback()
            flash(str(busy), "error")
            return
        flash(messages.recalculation_summary(result), "success")

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template:
            kwargs["can_recalculate_all"] = self.allowed(Capability.recalculate_all)
            kwargs["can_recalculate"] = self.allowed(Capability.recalculate_tier)
            kwargs["list_narrowed"] = self.list_narrowed()
        return super().render(template, **kwargs)
