"""Unit tests of the form validators and of resident-ID checking.

Each validator runs in a tiny wtforms Form inside a request context (so the lazy_gettext
messages resolve); no database is needed, so one app serves the whole module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask_babel import LazyString
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    Form,
    IntegerField,
    StringField,
)
from wtforms.validators import Length

from admin_app import create_app
from admin_app.forms.validators import (
    Code,
    Email,
    FitsInteger,
    IdNumber,
    Money,
    NonNegative,
    NotBefore,
    PastDate,
    Phone,
    RequiredIf,
    Score,
)
from admin_app.services.identity import check_digit, is_valid_id_number

PHONE_MSG = ("Enter a mainland mobile (e.g. 138 1234 5678), a mainland landline with its "
             "area code (e.g. 010-1234 5678), or a number with its country or region code "
             "(e.g. +852 9123 4567).")
EMAIL_MSG = "Enter a valid e-mail address, e.g. name@example.com."
ID_MSG = ("Enter a valid 18-character resident ID number; "
          "the birth date or the check digit is wrong.")
NEGATIVE_MSG = "The amount cannot be negative."
TOO_LARGE_MSG = "The amount is too large."
DECIMALS_MSG = "Use at most two decimal places."
VALUE_NEGATIVE_MSG = "The value cannot be negative."
SCORE_MSG = "Choose a score from 1 to 5."
CODE_MSG = "Use 2 to 32 letters, digits, hyphens or underscores."
FUTURE_MSG = "The date cannot be in the future."
BEFORE_1900_MSG = "The date cannot be before 1900."
END_MSG = "The end cannot be before the start."


@pytest.fixture(scope="module")
def validators_app():
    return create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture(autouse=True)
def request_context(validators_app):
    with validators_app.test_request_context("/"):
        yield


def check(validator: Any, value: Any, field: type = StringField) -> tuple[list[str], Any]:
    """Run ``validator`` on one posted ``value``; returns (messages, cleaned data).

    Every message must be a lazily translated string that renders non-empty."""

    class OneField(Form):
        f = field(validators=[validator])

    form = OneField(MultiDict({"f": value}) if isinstance(value, str) else None, f=value)
    valid = form.validate()
    assert valid == (not form.f.errors)
    for message in form.f.errors:
        assert isinstance(message, LazyString) and str(message)
    return [str(m) for m in form.f.errors], form.f.data


def id_number(born: str, region: str = "110105", sequence: str = "123") -> str:
    """A resident ID with the right check digit for the given birth date (YYYYMMDD)."""
    first17 = region + born + sequence
    return first17 + check_digit(first17)


# --- Phone ------------------------------------------------------------------------------------

# However a number is typed -> its canonical form (services/phones.py): a mainland mobile
# as 11 digits, every other number in E.164.
PHONE_FORMS = [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("138.1234.5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("+86 13812345678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("86-13812345678", "13812345678"),
    ("008613812345678", "13812345678"),
    ("(+86)13812345678", "13812345678"),
    ("  19912345678 ", "19912345678"),
    ("１３８ １２３４ ５６７８", "13812345678"),  # full-width, as input methods type
    ("010-12345678", "+861012345678"),  # a mainland landline: +86, area code without 0
    ("(010) 1234 5678", "+861012345678"),
    ("01012345678", "+861012345678"),
    ("+86 10 1234 5678", "+861012345678"),
    ("0571-8888 8888", "+8657188888888"),
    ("400-820-8820", "+864008208820"),
    ("+852 9123 4567", "+85291234567"),  # Hong Kong
    ("00852 9123 4567", "+85291234567"),
    ("+852 2123 4567", "+85221234567"),
    ("+853 6612 3456", "+85366123456"),  # Macau
    ("+886 912 345 678", "+886912345678"),  # Taiwan
    ("+886 2 2345 6789", "+886223456789"),
    ("+44 20 7946 0958", "+442079460958"),
]


@pytest.mark.parametrize(("value", "stored"), PHONE_FORMS)
def test_phone_is_kept_in_its_canonical_form(value, stored):
    assert check(Phone(), value) == ([], stored)


@pytest.mark.parametrize("value", [
    "12345678901", "1381234567", "138123456789", "23812345678", "abc", "14012345678",
    "+1 13812345678", "010-123456", "0755-123456789", "1381234567x", "+852 1234",
    "85291234567",  # Hong Kong without its "+": read as a mainland number, which it isn't
    "010-12345678 ext. 12", "tel:13812345678", "1-800-FLOWERS", "+86 138 1234 567８9",
])
def test_phone_refuses(value):
    errors, data = check(Phone(), value)
    assert errors == [PHONE_MSG]
    assert data == value  # what was typed stays in the field to be corrected


def test_phone_message_is_translated(validators_app):
    from flask_babel import force_locale
    for locale, words in (("zh_Hans_CN", "大陆手机号码"), ("zh_Hant_TW", "大陸手機號碼")):
        with force_locale(locale):
            message = check(Phone(), "12345")[0][0]
        assert words in message and "+852 9123 4567" in message, message


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_is_left_to_required(value):
    for validator in (Phone(), Email(), IdNumber(), Code()):
        assert check(validator, value)[0] == []


# --- Email ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "name@example.com", "first.last+tag@sub.example.com.cn", "a_b-c@example.org",
])
def test_email_accepts(value):
    assert check(Email(), f" {value} ") == ([], value)


@pytest.mark.parametrize("value", [
    "name", "name@", "@example.com", "name@example", "name@example.c", "na me@example.com",
    "name@@example.com", "name@exa mple.com", "name@example.123",
    "a" * 243 + "@example.com",  # 255 characters: over the 254 limit
])
def test_email_refuses(value):
    assert check(Email(), value)[0] == [EMAIL_MSG]


def test_email_length_limit_is_254():
    assert check(Email(), "a" * 242 + "@example.com")[0] == []


# --- IdNumber and the identity service --------------------------------------------------------

def test_known_check_digits():
    """The worked examples of GB 11643-1999."""
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    assert is_valid_id_number("11010519491231002X")


@pytest.mark.parametrize("value", [
    "11010519491231002X",
    id_number("19900228"),
    id_number("20000229"),  # leap day
    id_number("19000101"),
    id_number("19851010", region="440305", sequence="001"),
])
def test_id_number_accepts(value):
    assert check(IdNumber(), value) == ([], value)
    assert is_valid_id_number(value)


def test_id_number_takes_lower_case_x_and_space():
    assert check(IdNumber(), " 11010519491231002x ") == ([], "11010519491231002X")


def _wrong_check_digit(value: str) -> str:
    return value[:17] + next(c for c in "0123456789X" if c != value[17])


@pytest.mark.parametrize("value", [
    pytest.param(_wrong_check_digit("11010519491231002X"), id="wrong-check-digit"),
    pytest.param(_wrong_check_digit(id_number("19900228")), id="wrong-check-digit-2"),
    pytest.param(id_number("19900230"), id="february-30"),
    pytest.param(id_number("19991301"), id="month-13"),
    pytest.param(id_number("19990100"), id="day-0"),
    pytest.param(id_number("19010229"), id="not-a-leap-year"),
    pytest.param(id_number("18991231"), id="before-1900"),
    pytest.param(id_number((date.today() + timedelta(days=1)).strftime("%Y%m%d")), id="future"),
    pytest.param("11010519491231002", id="17-digits"),
    pytest.param("11010519491231002X1", id="19-characters"),
    pytest.param("11010519491231002A", id="letter-check-digit"),
    pytest.param("1101051949123100AX", id="letter-inside"),
    pytest.param("ABCDEFGHIJKLMNOPQR", id="letters"),
    pytest.param("110105 19491231002X", id="inner-space"),
])
def test_id_number_refuses(value):
    assert check(IdNumber(), value)[0] == [ID_MSG]
    assert not is_valid_id_number(value)


def test_id_birth_date_may_be_today_but_not_tomorrow():
    today = date(2020, 5, 17)
    assert is_valid_id_number(id_number("20200517"), today=today)
    assert not is_valid_id_number(id_number("20200518"), today=today)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_identity_check_accepts_ascii_digits_only():
    assert not is_valid_id_number("11010519491231002X".translate(FULL_WIDTH))


@pytest.mark.parametrize(("validator", "value"), [
    pytest.param(IdNumber(), "11010519491231002X".translate(FULL_WIDTH), id="id-number"),
    pytest.param(Phone(), "13" + "812345678".translate(FULL_WIDTH), id="phone"),
])
def test_validators_never_keep_non_ascii_digits(validator, value):
    """Full-width digits are either normalised to ASCII or refused -- never stored."""
    errors, data = check(validator, value)
    assert errors or data.isascii()


# --- Money, NonNegative, Score ---------------------------------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    ("-0.01", NEGATIVE_MSG),
    ("-1000", NEGATIVE_MSG),
    ("1.234", DECIMALS_MSG),
    ("0.001", DECIMALS_MSG),
    ("10000000000000000", TOO_LARGE_MSG),  # NUMERIC(18,2) holds 16 integer digits
    ("1E+30", TOO_LARGE_MSG),
    ("Infinity", TOO_LARGE_MSG),
    ("-Infinity", NEGATIVE_MSG),
])
def test_money_refuses(value, message):
    assert check(Money(), value, DecimalField)[0] == [message]


@pytest.mark.parametrize("value", ["0", "0.00", "1234.56", "1.5", "1.230", "9999999999999999.99"])
def test_money_accepts(value):
    assert check(Money(), value, DecimalField) == ([], Decimal(value))


def test_money_accepts_none():
    assert check(Money(), None, DecimalField) == ([], None)


@pytest.mark.parametrize("value", ["NaN", "sNaN"])
def test_money_refuses_not_a_number(value):
    assert check(Money(), value, DecimalField)[0]


@pytest.mark.parametrize(("value", "errors"), [
    ("-1", [VALUE_NEGATIVE_MSG]), ("0", []), ("7", []),
])
def test_non_negative(value, errors):
    assert check(NonNegative(), value, IntegerField)[0] == errors


@pytest.mark.parametrize(("value", "errors"), [
    ("2147483647", []), ("-2147483648", []), ("0", []),
    ("2147483648", ["The number is too large."]), ("-2147483649", ["The number is too large."]),
])
def test_fits_integer(value, errors):
    """The INTEGER both engines store; beyond it the engine would refuse with its own words."""
    assert check(FitsInteger(), value, IntegerField)[0] == errors


@pytest.mark.parametrize(("value", "errors"), [
    ("-1", [SCORE_MSG]), ("0", [SCORE_MSG]), ("6", [SCORE_MSG]), ("10", [SCORE_MSG]),
    ("1", []), ("3", []), ("5", []),
])
def test_score(value, errors):
    assert check(Score(), value, IntegerField) == (errors, int(value))


def test_score_accepts_none():
    assert check(Score(), None, IntegerField) == ([], None)


# --- Code ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "cleaned"), [
    ("AB", "AB"), ("c-001", "C-001"), (" vip_01 ", "VIP_01"), ("9" * 32, "9" * 32),
])
def test_code_accepts_and_upper_cases(value, cleaned):
    assert check(Code(), value) == ([], cleaned)


@pytest.mark.parametrize("value", ["A", "9" * 33, "-AB", "_AB", "AB CD", "A.B", "客户01", "AB/1"])
def test_code_refuses(value):
    assert check(Code(), value)[0] == [CODE_MSG]


# --- PastDate -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "errors"), [
    (date.today(), []),
    (date(1900, 1, 1), []),
    (date(1980, 6, 15), []),
    (date.today() + timedelta(days=1), [FUTURE_MSG]),
    (date(1899, 12, 31), [BEFORE_1900_MSG]),
])
def test_past_date(value, errors):
    assert check(PastDate(), value.isoformat(), DateField) == (errors, value)


def test_past_date_takes_datetimes():
    tomorrow = datetime.combine(date.today() + timedelta(days=1), datetime.min.time())
    assert check(PastDate(), tomorrow, DateTimeLocalField)[0] == [FUTURE_MSG]
    assert check(PastDate(), datetime(1990, 1, 1, 12), DateTimeLocalField)[0] == []
    assert check(PastDate(), None, DateField)[0] == []


# --- NotBefore ------------------------------------------------------------------------------

class Period(Form):
    starts = DateTimeLocalField()
    ends = DateTimeLocalField(validators=[NotBefore("starts")])


class NamedPeriod(Form):
    starts = DateField()
    ends = DateField(validators=[NotBefore("starts", message="Ends too early.")])


class Orphan(Form):
    ends = DateTimeLocalField(validators=[NotBefore("starts")])


START = datetime(2024, 6, 1, 10, 0)


def _period_errors(form_cls: type[Form] = Period, **data: Any) -> list[str]:
    form = form_cls(**data)
    form.validate()
    return [str(m) for m in form.ends.errors]


@pytest.mark.parametrize(("ends", "errors"), [
    (START - timedelta(minutes=1), [END_MSG]),
    (START - timedelta(days=3), [END_MSG]),
    (START, []),
    (START + timedelta(hours=2), []),
    (None, []),
])
def test_not_before(ends, errors):
    assert _period_errors(starts=START, ends=ends) == errors


def test_not_before_posted_strings():
    form = Period(MultiDict({"starts": "2024-06-01 10:00:00", "ends": "2024-06-01 09:59:00"}))
    assert not form.validate() and [str(m) for m in form.ends.errors] == [END_MSG]
    assert isinstance(form.ends.errors[0], LazyString)


def test_not_before_ignores_missing_start():
    assert _period_errors(starts=None, ends=START) == []
    assert _period_errors(Orphan, ends=START) == []


def test_not_before_custom_message_and_dates():
    assert _period_errors(NamedPeriod, starts=date(2024, 6, 2), ends=date(2024, 6, 1)) == [
        "Ends too early."]
    assert _period_errors(NamedPeriod, starts=date(2024, 6, 2), ends=date(2024, 6, 2)) == []


def test_not_before_with_aware_datetimes_in_the_same_zone():
    utc_start = START.replace(tzinfo=UTC)
    assert _period_errors(starts=utc_start, ends=utc_start - timedelta(seconds=1)) == [END_MSG]
    assert _period_errors(starts=utc_start, ends=utc_start) == []


def test_not_before_compares_aware_datetimes_as_instants():
    shanghai = timezone(timedelta(hours=8))
    start = START.replace(tzinfo=UTC)                                  # 10:00 UTC
    assert _period_errors(starts=start, ends=START.replace(hour=17, tzinfo=shanghai)) == [
        END_MSG]                                                       # 09:00 UTC
    assert _period_errors(starts=start.astimezone(shanghai), ends=START.replace(hour=11)) == []


# --- RequiredIf -----------------------------------------------------------------------------

class Lock(Form):
    locked = BooleanField()
    reason = StringField(validators=[RequiredIf("locked", "Give a reason for locking the tier."),
                                     Length(min=5, message="Too short.")])


@pytest.mark.parametrize(("data", "errors"), [
    ({"locked": "y"}, ["Give a reason for locking the tier."]),
    ({"locked": "y", "reason": ""}, ["Give a reason for locking the tier."]),
    ({"locked": "y", "reason": "   "}, ["Give a reason for locking the tier."]),
    ({"locked": "y", "reason": "Board decision"}, []),
    ({"locked": "y", "reason": "abc"}, ["Too short."]),
    ({"reason": "Board decision"}, []),
])
def test_required_if(data, errors):
    form = Lock(MultiDict(data))
    form.validate()
    assert [str(m) for m in form.reason.errors] == errors


def test_required_if_steps_aside_when_the_flag_is_off():
    """With the flag off, RequiredIf steps aside and later validators decide."""
    form = Lock(MultiDict({"reason": ""}))
    form.validate()
    assert [str(m) for m in form.reason.errors] == ["Too short."]


def test_required_if_ignores_missing_flag_field():
    class NoFlag(Form):
        reason = StringField(validators=[RequiredIf("locked", "Give a reason.")])

    form = NoFlag(MultiDict({}))
    assert form.validate()
