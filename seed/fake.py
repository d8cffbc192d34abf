"""Fake values for the demo data: people, phone numbers, ID numbers, addresses, companies,
amounts and office-hour moments, drawn from one ``random.Random`` and the tables in
``seed/names.py``.

The generator makes millions of draws, so the helpers here use ``rng.random()`` directly
(``pick``, ``below``, ``randint``, ``Weighted``) instead of ``rng.choice`` and friends.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Generic, TypeVar

from admin_app.services.identity import check_digit

from . import names as N

BIRTH_FIRST = date(1940, 1, 1).toordinal()
BIRTH_LAST = date(2005, 12, 31).toordinal()
BIRTH_MODE = date(1972, 6, 30).toordinal()

T = TypeVar("T")


class Weighted(Generic[T]):
    """A weighted choice that costs one random() and one bisect per draw."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        # bisect_left: a draw that rounds up to ``total`` still lands on the last item.
        return self.items[bisect.bisect_left(self.cumulative, rng.random() * self.total)]


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` at a fraction of the cost; the generator makes millions of draws."""
    return items[int(rng.random() * len(items))]


def below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def randint(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


# --- amounts ----------------------------------------------------------------------------

def cents(value: Decimal | None) -> int:
    """An amount in whole cents, so the generator's arithmetic is exact and fast."""
    return int((value or Decimal(0)) * 100)


def money(in_cents: int) -> Decimal:
    return Decimal(in_cents).scaleb(-2)


# --- people -----------------------------------------------------------------------------

_SURNAMES = Weighted([((name, py), weight) for name, py, weight in N.SURNAMES])
OCCUPATIONS = Weighted(N.OCCUPATIONS)
_COMPANY_FORMS = Weighted(N.COMPANY_FORMS)


@dataclass(frozen=True)
class Person:
    name: str
    surname_pinyin: str
    given_pinyin: str
    male: bool


def person_name(rng: random.Random, male: bool) -> Person:
    """A 2-3 character Chinese name, with pinyin for the e-mail address."""
    surname, surname_py = _SURNAMES.pick(rng)
    pool = N.MALE_GIVEN if male else N.FEMALE_GIVEN
    first, first_py = pick(rng, pool)
    if len(surname) > 1 or rng.random() < 0.22:
        return Person(surname + first, surname_py, first_py, male)
    second, second_py = pick(rng, pool)
    return Person(surname + first + second, surname_py, first_py + second_py, male)


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number on a prefix in real use."""
    return f"{pick(rng, N.MOBILE_PREFIXES)}{below(rng, 100_000_000):08d}"


def id_number(rng: random.Random, region: str, birth: date, male: bool) -> str:
    """A GB 11643 resident ID: region, birth date, sequence (odd = male), check digit."""
    sequence = below(rng, 500) * 2 + (1 if male else 0)
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + check_digit(first17)


def birth_date(rng: random.Random) -> date:
    """1940-2005, most clients born around 1970 (wealth comes with age)."""
    return date.fromordinal(int(rng.triangular(BIRTH_FIRST, BIRTH_LAST + 1, BIRTH_MODE)))


def email(rng: random.Random, who: Person, year: int | None = None) -> str:
    sp, gp = who.surname_pinyin, who.given_pinyin
    pattern = below(rng, 5)
    if pattern == 0:
        local = sp + gp
    elif pattern == 1:
        local = f"{gp}.{sp}"
    elif pattern == 2 and year:
        local = f"{sp}{gp}{year}"
    elif pattern == 3:
        local = f"{sp}_{gp}{randint(rng, 1, 999)}"
    else:
        local = f"{sp[0]}{gp}{randint(rng, 10, 99)}"
    return f"{local}@{pick(rng, N.EMAIL_DOMAINS)}"


def address(rng: random.Random, region: tuple[str, str, str]) -> str:
    _code, city, district = region
    street = f"{city}{district}{pick(rng, N.STREETS)}{randint(rng, 1, 999)}号"
    if rng.random() < 0.2:
        return street
    return (f"{street}{pick(rng, N.COMMUNITIES)}{randint(rng, 1, 30)}栋"
            f"{randint(rng, 1, 4)}单元{randint(rng, 1, 32)}{randint(rng, 1, 6):02d}室")


def company_name(rng: random.Random, kind: str) -> str:
    city = pick(rng, N.COMPANY_CITIES)
    word = pick(rng, N.COMPANY_WORDS)
    if kind == "institution":
        return pick(rng, N.INSTITUTION_PATTERNS).format(city=city, word=word)
    return f"{city}{word}{pick(rng, N.COMPANY_TRADES)}{_COMPANY_FORMS.pick(rng)}"


# --- time -------------------------------------------------------------------------------

def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end], at whole seconds."""
    span = (end - start).total_seconds()
    if span <= 0:
        return start
    return start + timedelta(seconds=int(rng.random() * span))


def office_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end] during Beijing office hours (09-18 local = 01-10 UTC)."""
    day = between(rng, start, end)
    moment = datetime(day.year, day.month, day.day, 1) + timedelta(
        seconds=int(rng.random() * 32400))
    return start if moment < start else end if moment > end else moment


def naive_utc(moment: datetime | None) -> datetime:
    """``moment`` (default: now) as a naive UTC time at whole seconds, as rows store it."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)
