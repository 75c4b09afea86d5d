"""The portal in the therapist's language: which language a request gets, and dates and
numbers written the way that language writes them.

The language of a request is, in order: the therapist's own choice (the header's picker,
kept on their account, ``therapists.language``), else the browser's last choice (the
``sq_lang`` cookie the picker and the login set, so the login page after a logout speaks
it too), else the browser's ``Accept-Language`` (negotiated with Babel), else English.

The words come from the game's catalogues (``game/locale``, domain ``squeeze_quest``) by
:func:`game.i18n.language_for`: a context variable, so each request (each thread or task)
has its own language and concurrent requests never switch each other's. The game's own
words shown here (exercise names, level-file problems, the PDF report) follow it too.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, lru_cache

from babel import Locale
from babel.core import UnknownLocaleError, negotiate_locale, parse_locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal, format_percent

from game import i18n
from server import zones

COOKIE = "sq_lang"
# Babel's locale for each catalogue: the portal's English is British (as its words are).
_BABEL = {"en": "en_GB", "zh_Hans": "zh_Hans_CN"}
_TRADITIONAL = {"TW", "HK", "MO"}


def languages() -> list[tuple[str, str]]:
    """(code, the language's own name) for the picker, English first."""
    return [(c, i18n.language_name(c)) for c in i18n.available_languages()]


def valid(code: str | None) -> str | None:
    """``code`` if the portal has that language exactly (a cookie or a form value), else None."""
    return code if code in i18n.available_languages() else None


def _accepted(header: str) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 left out)."""
    tags = []
    for i, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _eq, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            tags.append((-q, i, tag.strip()))
    return [t for _q, _i, t in sorted(tags)]


def _catalogue_code(tag: str) -> str | None:
    """The catalogue a browser's language tag means: zh-CN, zh-Hans, zh -> zh_Hans; a
    Traditional-script Chinese (zh-TW, zh-Hant) has no catalogue yet; de-AT -> de."""
    try:
        lang, territory, script, _variant = parse_locale(tag, sep="-")
    except ValueError:
        return None
    if lang == "zh":
        if script == "Hant" or (script is None and territory in _TRADITIONAL):
            return None
        return "zh_Hans"
    return lang


def from_accept_language(header: str | None) -> str | None:
    """The best of our languages for the browser's Accept-Language header, or None."""
    if not header:
        return None
    wanted = [c for c in (_catalogue_code(t) for t in _accepted(header)) if c]
    found = negotiate_locale(wanted, list(i18n.available_languages()), sep="_", aliases=None)
    return i18n.normalize(found) if found else None


def choose(account: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's language: the account's choice, the browser's cookie, its
    Accept-Language, else English."""
    return valid(account) or valid(cookie) or from_accept_language(accept_language) or i18n.SOURCE_LANGUAGE


def html_lang(code: str | None = None) -> str:
    """The BCP 47 tag for ``<html lang>``: en, es, de, zh-Hans."""
    return (code or i18n.current_language()).replace("_", "-")


# ------------------------------------------------------------------ dates and numbers
@cache
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(_BABEL.get(code, code))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def locale() -> Locale:
    """Babel's locale of the language in use (this request's)."""
    return _locale(i18n.current_language())


# Babel takes 10-15 us a date or number; a year's progress page writes thousands (every chart
# point's tooltip), mostly the same few hundred days and values: kept, per language.
@lru_cache(maxsize=8192)
def _day(code: str, d: date, short: bool) -> str:
    if short:
        return format_skeleton("MMMd", d, locale=_locale(code))
    return format_date(d, "medium", locale=_locale(code))


@lru_cache(maxsize=16384)
def _number(code: str, v: float, decimals: int, fixed: bool) -> str:
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * decimals if decimals > 0 else "")
    return format_decimal(v, format=pattern, locale=_locale(code))


def day_month(d: date) -> str:
    """A short day: 3 Nov, 3. Nov., 11月3日."""
    return _day(i18n.current_language(), d if type(d) is date else d.date(), True)


def day(d: date | datetime, tz: str | None = None) -> str:
    """A date: 3 Nov 2026, 03.11.2026, 2026年11月3日 (a moment's day in the zone ``tz``)."""
    if type(d) is not date:
        d = (d.astimezone(zones.zone(tz)) if tz and d.tzinfo else d).date()
    return _day(i18n.current_language(), d, False)


def when(dt: datetime, tz: str | None = None) -> str:
    """A date and time in the zone ``tz`` (else the datetime's own) with the zone's abbreviation
    or offset: 3 Nov 2026 14:05 PST, 3 Nov 2026 14:05 -03."""
    if tz and dt.tzinfo:
        dt = dt.astimezone(zones.zone(tz))
    abbreviation = f" {dt.tzname()}" if dt.tzinfo and dt.tzname() else ""
    return f"{format_date(dt, 'medium', locale=locale())} {format_time(dt, 'short', locale=locale())}{abbreviation}"


def number(v: float, decimals: int = 1, fixed: bool = False) -> str:
    """A number with at most ``decimals`` decimals (exactly, when ``fixed``): 1,234.5 / 1.234,5."""
    return _number(i18n.current_language(), round(v, decimals), decimals, fixed)


def percent(share: float) -> str:
    """A share as a whole percentage: 42%, 42 %."""
    return format_percent(share, locale=locale())
