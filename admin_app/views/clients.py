"""Client records (客户档案)."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from ..enums import TierCode
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
from ..models import Client, Tier
from .base import SecureModelView
from .labels import COLUMN_LABELS
from .lookups import USER_LOOKUP


class ClientView(SecureModelView):
    resource = "client"

    record_model = Client

    column_list = ("code", "name", "kind", "tier", "status", "risk_profile", "assets",
                   "advisor", "next_callback_due")
    column_details_list = (
        "code", "name", "kind", "status", "gender", "birth_date", "phone", "email", "address",
        "occupation", "id_number", "risk_profile", "risk_assessed_at", "assets",
        "annual_contribution", "trades_12m", "tier", "tier_locked", "tier_lock_reason",
        "tier_changed_at", "advisor", "last_callback_at", "next_callback_due", "notes",
        "created_at", "updated_at",
    )
    column_searchable_list = ("code", "name", "phone", "email", "id_number")
    column_sortable_list = ("code", "name", "kind", "status", "risk_profile", "assets",
                            ("tier", "tier.rank"), "next_callback_due")
    column_default_sort = ("code", False)
    column_filters = (
        FilterEqual(Tier.code, _l("Tier"), options=TierCode.choices()),
        "kind", "status", "risk_profile", "assets", "annual_contribution", "trades_12m",
        "tier_locked", "next_callback_due", "created_at",
    )
    column_labels = COLUMN_LABELS
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
        "tier": {"query_factory": lambda: db.session.query(Tier).order_by(Tier.rank)},
    }
    form_ajax_refs = {"advisor": USER_LOOKUP}
