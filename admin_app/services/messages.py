"""Results told to people, written once for the screens and the command line."""

from __future__ import annotations

from flask_babel import format_number, ngettext
from flask_babel import gettext as _

from .tiers import RecalcResult


def recalculation_summary(result: RecalcResult) -> str:
    """"3 upgraded, 1 downgraded, 2,040 unchanged, 2 locked skipped", translated, the counts
    grouped as the locale writes them, and what a dry run did not do."""
    text: str = _("%(up)s upgraded, %(down)s downgraded, %(same)s unchanged, "
                  "%(locked)s locked skipped", up=format_number(result.upgraded),
                  down=format_number(result.downgraded), same=format_number(result.unchanged),
                  locked=format_number(result.locked_skipped))
    if result.dry_run:
        text += " " + _("(dry run: nothing was changed)")
    return text


def rescheduled_summary(count: int) -> str:
    """After a tier's callback interval changed: how many clients' due dates moved."""
    text: str = ngettext("The next callback date of %(num)d client was recalculated.",
                         "The next callback dates of %(num)d clients were recalculated.",
                         count)
    return text
