"""A short table of records on a record page (the client's visits, a record's history):
its rows already formatted, how many there are in all, and a link to the list of all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _


@dataclass(frozen=True)
class Row:
    url: str | None  # the record's details page
    cells: list[Any]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    headings: list[str]
    rows: list[Row]
    total: int
    all_url: str | None = None  # the list of all of them, filtered to this record
    all_label: str | None = None

    @property
    def note(self) -> str | None:
        """"The latest 10 of 23." when not every record is shown."""
        if self.total <= len(self.rows):
            return None
        return _("The latest %(shown)s of %(total)s.", shown=format_number(len(self.rows)),
                 total=format_number(self.total))
