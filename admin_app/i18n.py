"""Interface language: ``?lang=`` switches and is remembered for the session; then the
user's own language (Users screen); Accept-Language is the fallback.
Time zone: the user's own, else the firm's ``TIME_ZONE``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import pytz
from babel import support
from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
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


def time_zone_choices() -> list[tuple[str, str]]:
    """(zone, "zone (UTC+08:00)") for the Users screen."""
    now = datetime.now(UTC)
    choices = []
    for zone in USER_TIME_ZONES:
        offset = now.astimezone(pytz.timezone(zone)).strftime("%z")
        choices.append((zone, f"{zone} (UTC{offset[:3]}:{offset[3:]})"))
    return choices


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
    """WTForms' built-in messages in the interface language (a form's ``Meta`` uses it)."""

    def _catalogue(self) -> support.NullTranslations:
        locale = str(get_locale() or "en")
        return _wtforms_catalogue(WTFORMS_CATALOGUES.get(locale, locale))

    def gettext(self, string: str) -> str:
        return self._catalogue().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalogue().ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()


def current_language_code() -> str:
    locale = select_locale()
    return next(code for code, name in LANGUAGES.items() if name == locale)


def init_app(app: Flask) -> None:
    app.before_request(remember_requested_language)
    app.jinja_env.globals["current_language_code"] = current_language_code
    app.jinja_env.globals["LANGUAGE_CHOICES"] = [
        ("en", "English"), ("zh_Hans", "简体中文"), ("zh_Hant", "繁體中文"),
    ]
