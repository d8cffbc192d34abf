"""The mainland's public holidays, for holiday greetings (节日关怀): which ones there are,
what they are called, and when each next begins.

No date table of ours. The holidays are the ones the ``chinesecalendar`` package knows
(its ``Holiday`` names), less the one-off 2015 anniversary. Their dates come from the same
package while it covers the year: the days off the State Council announced, weekends and
moved working days included. The package covers whole years up to the last one announced
when it was released (1.11: to the end of 2026), and a greeting list is drawn up weeks
ahead, so beyond its last year the dates come from the maintained ``holidays`` package,
which derives each festival from its rule (Spring Festival on the first day of the lunar
year, with its eve; Mid-Autumn on the 15th of the eighth lunar month; Tomb-sweeping Day
on the Qingming solar term; fixed days for the rest). Either way a holiday's date is the
first day off, before which a greeting is due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import chinese_calendar
import holidays as holiday_rules
from flask_babel import lazy_gettext as _l

from . import workdays

# The holidays (chinesecalendar's ``Holiday`` member names) and their labels, in the order
# of the year.
HOLIDAYS: dict[str, Any] = {
    "new_years_day": _l("New Year's Day"),
    "spring_festival": _l("Spring Festival"),
    "tomb_sweeping_day": _l("Tomb-sweeping Day"),
    "labour_day": _l("Labour Day"),
    "dragon_boat_festival": _l("Dragon Boat Festival"),
    "mid_autumn_festival": _l("Mid-autumn Festival"),
    "national_day": _l("National Day"),
}
# The names the ``holidays`` package gives them (its source strings, in Simplified Chinese).
RULE_NAMES = {
    "元旦": "new_years_day", "农历除夕": "spring_festival", "春节": "spring_festival",
    "清明节": "tomb_sweeping_day", "劳动节": "labour_day", "端午节": "dragon_boat_festival",
    "中秋节": "mid_autumn_festival", "国庆节": "national_day",
}
# Days off of one holiday that lie this close are one holiday (in 2025 Mid-Autumn fell
# inside the National Day week and split it in two).
JOIN_WITHIN_DAYS = 3
# A holiday greeting made (or planned) this many days before the first day off, or during
# the holiday, is that holiday's.
GREETING_DAYS = 14


@dataclass(frozen=True)
class Festival:
    """One year's holiday: its key (a ``HOLIDAYS`` name) and its first and last day off."""

    key: str
    first: date
    last: date

    @property
    def label(self) -> Any:
        return HOLIDAYS[self.key]


def _announced_days() -> Iterator[tuple[date, str]]:
    """(day, key) for each holiday day off the chinesecalendar package lists."""
    members = {member.value: member.name for member in chinese_calendar.Holiday}
    for day, name in sorted(chinese_calendar.holidays.items()):
        key = members.get(name, name)
        if key in HOLIDAYS:
            yield day, key


def _rule_days(year: int) -> Iterator[tuple[date, str]]:
    """(day, key) for each statutory holiday day of ``year`` by the holidays package."""
    calendar = holiday_rules.country_holidays("CN", years=year, observed=False,
                                              language="zh_CN")
    for day in sorted(calendar):
        for name in calendar.get_list(day):
            key = RULE_NAMES.get(name.split("（")[0])  # "春节（推定）": estimated
            if key is not None:
                yield day, key


def _festivals(days: Iterator[tuple[date, str]]) -> list[Festival]:
    """Days off gathered into holidays: a day joins the holiday of the same name that
    ended at most ``JOIN_WITHIN_DAYS`` before it."""
    found: list[Festival] = []
    latest: dict[str, int] = {}
    for day, key in days:
        index = latest.get(key)
        if index is not None and (day - found[index].last).days <= JOIN_WITHIN_DAYS:
            found[index] = Festival(key, found[index].first, day)
        else:
            latest[key] = len(found)
            found.append(Festival(key, day, day))
    return found


@cache
def _announced() -> tuple[Festival, ...]:
    return tuple(_festivals(_announced_days()))


@cache
def _by_rule(year: int) -> tuple[Festival, ...]:
    return tuple(_festivals(_rule_days(year)))


def in_year(year: int) -> list[Festival]:
    """The holidays beginning in ``year``: as announced while the chinesecalendar package
    covers the year, else by rule."""
    if date(year, 12, 31) in workdays.coverage():
        return [f for f in _announced() if f.first.year == year]
    return list(_by_rule(year))


def upcoming(today: date) -> list[Festival]:
    """The next time each holiday begins, on ``today`` or later, soonest first."""
    found: dict[str, Festival] = {}
    for year in (today.year, today.year + 1):
        for festival in in_year(year):
            if festival.first >= today and festival.key not in found:
                found[festival.key] = festival
    return sorted(found.values(), key=lambda f: f.first)


def next_of(key: str, today: date) -> Festival | None:
    """The next time the holiday ``key`` begins, on ``today`` or later (None for a key
    that is not a holiday)."""
    return next((f for f in upcoming(today) if f.key == key), None)


def greeting_window(festival: Festival) -> tuple[date, date]:
    """The days in which a greeting counts as this holiday's: from ``GREETING_DAYS``
    before its first day off to its last."""
    return festival.first - timedelta(days=GREETING_DAYS), festival.last

