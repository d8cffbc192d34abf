"""Results told to people, written once for the screens and the command line."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from .tiers import RecalcResult


def recalculation_summary(result: RecalcResult) -> str:
    """"3 upgraded, 1 downgraded, 40 unchanged, 2 locked skipped", translated, and what a
    dry run did not do."""
    text: str = _("%(up)d upgraded, %(down)d downgraded, %(same)d unchanged, "
             "%(locked)d locked skipped", up=result.upgraded, down=result.downgraded,
             same=result.unchanged, locked=result.locked_skipped)
    if result.dry_run:
        text += " " + _("(dry run: nothing was changed)")
    return text


def rescheduled_summary(count: int) -> str:
    """After a tier's callback interval changed: how many clients' due dates moved."""
    text: str = ngettext("The next callback date of %(num)d client was recalculated.",
                         "The next callback dates of %(num)d clients were recalculated.",
                         count)
    return text
