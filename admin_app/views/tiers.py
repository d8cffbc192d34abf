"""Tiers (客户分级) and their thresholds: everyone reads, admins edit after previewing
how many clients the new thresholds would move."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import Response, after_this_request, current_app, flash, g, request
from flask_babel import lazy_gettext as _l

from ..enums import Resource
from ..extensions import db
from ..forms.reasons import reason_field
from ..forms.validators import Money, NonNegative, changed
from ..labels import COLUMN_LABELS
from ..models import Tier
from ..services import callbacks, messages, tiers
from .base import SecureModelView

log = logging.getLogger(__name__)
THRESHOLD_FIELDS = ("min_assets", "min_annual_contribution", "min_trades_12m",
                    "callback_interval_days")


class TierView(SecureModelView):
    resource = Resource.tier
    record_model = Tier
    edit_template = "admin/tier_edit.html"

    # A tier is shown by its name (``Tier.display_name``): the code is the app's own key
    # for the four tiers, an English word that no screen shows.
    column_list = ("rank", "name", "min_assets", "min_annual_contribution",
                   "min_trades_12m", "callback_interval_days", "updated_at")
    column_details_list = ("rank", "name", *THRESHOLD_FIELDS, "description", "updated_at")
    column_default_sort = ("rank", False)
    column_sortable_list = ("rank", "min_assets")
    column_labels = COLUMN_LABELS
    column_formatters = {"name": lambda v, c, m, n: str(m)}
    column_formatters_detail = column_formatters
    form_columns = ("name", "min_assets", "min_annual_contribution", "min_trades_12m",
                    "callback_interval_days", "description", "reason")
    form_extra_fields = {"reason": reason_field(
        {name: changed for name in THRESHOLD_FIELDS},
        _l("Needed when you change a threshold or the callback interval."))}
    form_args = {
        "name": {"description": _l("While a tier keeps its standard name, each user sees "
                                   "it in their own language; a name given here is shown "
                                   "to everyone as typed.")},
        "min_assets": {"validators": [Money()]},
        "min_annual_contribution": {"validators": [Money()]},
        "min_trades_12m": {"validators": [NonNegative()]},
    }

    def proposed_ladder(self, form: Any, model: Tier) -> list[tiers.Thresholds]:
        """Every tier as stored, with this one's thresholds as the form has them."""
        values = {}
        for name in THRESHOLD_FIELDS:
            try:
                values[name] = type(getattr(model, name))(form[name].data)
            except (TypeError, ValueError, InvalidOperation):
                values[name] = getattr(model, name)
        values["min_assets"] = Decimal(values["min_assets"])
        values["min_annual_contribution"] = Decimal(values["min_annual_contribution"])
        return [replace(t, **values) if t.id == model.id else t
                for t in tiers.load_thresholds(db.session)]

    def validate_form(self, form: Any) -> bool:
        valid = self._thresholds_valid(form)
        # A preview saves nothing, so it never "fails to save": its errors stand beside
        # the fields and ``update_model`` shows no impact for them.
        return True if "_preview" in request.form else valid

    def _thresholds_valid(self, form: Any) -> bool:
        """The fields' own rules, then the ladder (each tier's thresholds above the next
        one's), judged whenever the thresholds themselves are well formed: a missing
        reason does not hide a refused threshold."""
        valid = bool(super().validate_form(form))
        if any(form[name].errors for name in THRESHOLD_FIELDS):
            return False
        model = self.get_one(request.args.get("id"))
        if model is None:
            return valid
        try:
            tiers.validate_thresholds(self.proposed_ladder(form, model))
        except tiers.TierError as refused:
            form[refused.field or "min_assets"].errors.append(str(refused))
            return False
        return valid

    # Preview through Flask-Admin's public hooks: the edit view validates the form as
    # for a save, ``update_model`` computes the impact instead of saving and answers "not
    # saved", and the edit page is rendered again with the impact beside the form.

    def update_model(self, form: Any, model: Tier) -> bool:
        if "_preview" not in request.form:
            return bool(super().update_model(form, model))
        form.reason.errors = []  # a preview saves nothing: no reason needed yet
        if form.errors:
            return False
        proposed = self.proposed_ladder(form, model)
        names = {t.id: str(t) for t in db.session.scalars(sa.select(Tier))}
        g.tier_impact = [{**row, "name": names[row["tier_id"]]}
                         for row in tiers.impact(db.session, proposed)]
        return False

    def on_model_change(self, form: Any, model: Tier, is_created: bool) -> None:
        g.rescheduled = tiers.apply_interval_change(db.session, model)
        super().on_model_change(form, model, is_created)

    def after_model_change(self, form: Any, model: Tier, is_created: bool) -> None:
        if g.get("rescheduled"):
            flash(messages.rescheduled_summary(g.rescheduled), "success")
            refresh_copies_after_response(model.id)
        super().after_model_change(form, model, is_created)

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.edit_template:
            kwargs.setdefault("impact", g.get("tier_impact"))
        return super().render(template, **kwargs)


def refresh_copies_after_response(tier_id: int) -> None:
    """Once the response to this request is sent, the report copy of the due dates of the
    tier's clients is refreshed (``callbacks.refresh_due_copies``): the user does not wait
    for it, and the screens, which compute the dates, show them moved already."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def refresh() -> None:
        with app.app_context():
            try:
                changed = callbacks.refresh_due_copies(db.session, tier_id=tier_id)
                log.info("due-date copies of tier %s refreshed: %s changed", tier_id, changed)
            except Exception:  # the copy stays behind; `flask refresh-callback-dates` mends it
                log.exception("due-date copies of tier %s not refreshed", tier_id)
            finally:
                db.session.remove()

    @after_this_request
    def on_close(response: Response) -> Response:
        response.call_on_close(refresh)
        return response
