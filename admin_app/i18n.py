"""Interface language: ``?lang=`` switches and is remembered for the session; then the
user's own language (Users screen); Accept-Language is the fallback.
Time zone: the user's own, else the firm's ``TIME_ZONE``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import flask_babel
import pytz
from babel import Locale, support
from babel.dates import get_day_names, get_month_names, get_timezone_location, get_timezone_name
from babel.dates import get_timezone as get_babel_timezone
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.i18n import messages_path

from .config import LANGUAGES
from .errors import database_unavailable

# Accept-Language tags (lower-case) -> our catalogue names.
ACCEPT_MAP = {
    "en": "en",
    "zh": "zh_Hans_CN",
    "zh-cn": "zh_Hans_CN",
    "zh-hans": "zh_Hans_CN",
    "zh-sg": "zh_Hans_CN",
    "zh-hans-cn": "zh_Hans_CN",
    "zh-tw": "zh_Hant_TW",
    "zh-hk": "zh_Hant_TW",
    "zh-mo": "zh_Hant_TW",
    "zh-hant": "zh_Hant_TW",
    "zh-hant-tw": "zh_Hant_TW",
}


def select_locale() -> str:
    if not has_request_context():  # CLI commands speak English
        return "en"
    chosen = session.get("lang")
    if chosen in LANGUAGES.values():
        return chosen
    locale = _users_own("locale")
    if locale in LANGUAGES.values():
        return locale  # the language an admin set for this user
    for tag, _quality in request.accept_languages:
        locale = ACCEPT_MAP.get(tag.lower().replace("_", "-"))
        if locale:
            return locale
    return "en"


# The zones a user may choose: where the firm's people work. All keep one offset the whole
# year, which exports rely on (the database renders their times with a single offset).
USER_TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei",
                   "Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Bangkok", "Asia/Tokyo",
                   "Asia/Seoul", "Asia/Kolkata", "Asia/Dubai", "UTC")


def zone_name(zone: str) -> str:
    """A time zone as people call it in the interface language ("中国（上海）时间",
    "China (Shanghai) Time", "协调世界时"); a name Babel does not know, as it is."""
    try:
        tz = get_babel_timezone(zone)
    except LookupError:
        return zone
    locale = get_locale() or "en"
    if zone in ("UTC", "Etc/UTC"):  # no place: CLDR's own name, "Coordinated Universal Time"
        return get_timezone_name(tz, "long", zone_variant="standard", locale=locale)
    return get_timezone_location(tz, locale=locale)


def zone_label(zone: str) -> str:
    """The zone's name and its offset now: "中国（上海）时间 (UTC+08:00)"."""
    try:
        offset = datetime.now(UTC).astimezone(pytz.timezone(zone)).strftime("%z")
    except pytz.UnknownTimeZoneError:
        return zone
    return f"{zone_name(zone)} (UTC{offset[:3]}:{offset[3:]})"


def firm_zone_label() -> str:
    """The choice "the firm's zone", naming it."""
    zone = current_app.config.get("TIME_ZONE") or "UTC"
    return _("The firm's time zone: %(zone)s", zone=zone_label(zone))


def time_zone_choices() -> list[tuple[str, str]]:
    """(zone, "中国（上海）时间 (UTC+08:00)") for the Users screen, in the interface
    language."""
    return [(zone, zone_label(zone)) for zone in USER_TIME_ZONES]


# Each language named in itself, as language menus do.
LANGUAGE_NAMES = {"en": "English", "zh_Hans_CN": "简体中文", "zh_Hant_TW": "繁體中文"}


def select_timezone() -> str | None:
    """The signed-in user's own zone; None means the firm's TIME_ZONE."""
    return _users_own("timezone") if has_request_context() else None


def _users_own(setting: str) -> str | None:
    """A setting of the signed-in user's own; None for a visitor, or when this request
    found the database unusable (the error page still needs a language)."""
    if database_unavailable() or not current_user or not current_user.is_authenticated:
        return None
    return getattr(current_user, setting) or None


def remember_requested_language() -> None:
    """``?lang=en|zh_Hans|zh_Hant`` on any page; kept in the signed session cookie."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = LANGUAGES[lang]


# Our catalogue names -> the folder WTForms ships its own messages in ("This field is
# required."). gettext reduces ``zh_Hant_TW`` to ``zh``, and WTForms' ``zh`` is Simplified.
WTFORMS_CATALOGUES = {"zh_Hans_CN": "zh", "zh_Hant_TW": "zh_TW"}


@cache
def _wtforms_catalogue(name: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [name], domain="wtforms")


class WTFormsTranslations:
    """WTForms' built-in messages in the interface language (a form's ``Meta`` uses it).

    Our own catalogue comes first: where it has the same message ("This field is
    required."), its wording follows the glossary (docs/glossary.md) and WTForms' does not."""

    def _catalogue(self) -> support.NullTranslations:
        locale = str(get_locale() or "en")
        return _wtforms_catalogue(WTFORMS_CATALOGUES.get(locale, locale))

    def gettext(self, string: str) -> str:
        ours = flask_babel.get_translations().ugettext(string)
        return ours if ours != string else self._catalogue().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        ours = flask_babel.get_translations().ungettext(singular, plural, n)
        if ours != (singular if n == 1 else plural):
            return ours
        return self._catalogue().ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()


def current_language_code() -> str:
    locale = select_locale()
    return next(code for code, name in LANGUAGES.items() if name == locale)


# The day a week starts on (babel counts 0 = Monday ... 6 = Sunday), by language: Monday in
# Chinese, as calendars in mainland China print it; Sunday in English, as US calendars do.
# CLDR alone would start Taiwan's weeks on Sunday and bare English ones on Monday.
FIRST_WEEKDAY = {"zh": 0, "en": 6}


def date_picker_locale() -> dict[str, Any]:
    """What the date pickers (static/js/pickers.js) need in the interface language: babel's
    month and day names, the first day of the week, whether the year is written first
    ("2026年1月") and the button labels from our catalogue."""
    locale = get_locale() or Locale("en")
    days = get_day_names("narrow", locale=locale)
    if len(set(days.values())) < 7:  # English narrow names repeat (S M T W T F S)
        days = get_day_names("short", locale=locale)
    months = get_month_names("abbreviated", locale=locale)
    first = FIRST_WEEKDAY.get(locale.language, locale.first_week_day)
    return {
        # The picker counts days from Sunday (0), babel from Monday (0).
        "daysOfWeek": [days[6], *(days[day] for day in range(6))],
        "monthNames": [months[month] for month in range(1, 13)],
        "firstDay": (first + 1) % 7,
        "yearFirst": locale.datetime_skeletons["yMMM"].pattern.startswith("y"),
        "applyLabel": _("Apply"),
        "cancelLabel": _("Cancel"),
        "fromLabel": _("From:"),
        "toLabel": _("To:"),
    }


def init_app(app: Flask) -> None:
    app.before_request(remember_requested_language)
    app.jinja_env.globals["current_language_code"] = current_language_code
    app.jinja_env.globals["date_picker_locale"] = date_picker_locale
    app.jinja_env.globals["LANGUAGE_CHOICES"] = [
        ("en", "English"), ("zh_Hans", "简体中文"), ("zh_Hant", "繁體中文"),
    ]
