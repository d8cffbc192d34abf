"""The reason a sensitive change asks for (issue 15): a text field on the forms of clients
(a tier chosen by hand, a tier unlocked) and tiers (thresholds and interval), and on the
confirmation of a delete. It is stored with the change's audit entry."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length

from .validators import PlainText, ReasonForChanges

REASON_LENGTH = 500
GIVE_A_REASON = _l("Give a reason for this change: it is kept in the record's history.")


def reason_field(fields: dict[str, Any], description: Any) -> TextAreaField:
    """A reason, required when the form changes one of ``fields`` as they count it."""
    return TextAreaField(
        _l("Reason for the change"),
        validators=[PlainText(multiline=True), ReasonForChanges(fields, GIVE_A_REASON),
                    Length(max=REASON_LENGTH)],
        description=description, render_kw={"rows": 2, "maxlength": REASON_LENGTH})
