"""Tiers (客户分级) and their thresholds; admins edit, everyone reads."""

from __future__ import annotations

from ..forms.validators import Money, NonNegative
from ..models import Tier
from .base import SecureModelView
from .labels import COLUMN_LABELS


class TierView(SecureModelView):
    resource = "tier"
    action_capabilities: dict[str, str] = {}

    record_model = Tier

    column_list = ("rank", "code", "name", "min_assets", "min_annual_contribution",
                   "min_trades_12m", "callback_interval_days", "updated_at")
    column_default_sort = ("rank", False)
    column_sortable_list = ("rank", "code", "min_assets")
    column_labels = COLUMN_LABELS
    column_formatters = {"name": lambda v, c, m, n: str(m)}
    form_columns = ("name", "min_assets", "min_annual_contribution", "min_trades_12m",
                    "callback_interval_days", "description")
    form_args = {
        "min_assets": {"validators": [Money()]},
        "min_annual_contribution": {"validators": [Money()]},
        "min_trades_12m": {"validators": [NonNegative()]},
    }
