"""The game's words in the patient's own language (standard-library gettext).

Every user-visible string goes through this module::

    from game.i18n import _, ngettext, N_

    _("Squeeze the ball")                                   # translated now
    ngettext("{n} squeeze", "{n} squeezes", n).format(n=n)  # plural forms of the language
    TITLE = N_("Rest")                                      # marked; translate where drawn: _(TITLE)

Catalogues (domain ``squeeze_quest``) live inside the package, ``game/locale/<code>/
LC_MESSAGES/squeeze_quest.po`` with the compiled ``.mo`` beside it, so an installed wheel and
the PyInstaller folder find them without Babel. Babel extracts, updates and compiles them
(README, "Languages"); tests/test_i18n.py checks that each ``.mo`` matches its ``.po``.

The language is chosen per patient (their profile's ``language``), else by the computer's
locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, then :func:`locale.getlocale`),
else English. :func:`set_language` switches at run time; text is translated when drawn, and
the canvas keys its text cache by :func:`current_language`, so the next frame is in the new
language.
"""

from __future__ import annotations

import gettext as _gettext
import locale
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "squeeze_quest"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
# Each language's own name, so a patient recognises theirs whatever the screen's language.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "zh_Hans": "中文（简体）"}
# Locale codes of the computer that mean one of our catalogues (Simplified Chinese is zh_Hans;
# Traditional-script locales fall back to English until a zh_Hant catalogue exists).
_ALIASES = {"zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans": "zh_Hans", "zh": "zh_Hans",
            "zh_hans_cn": "zh_Hans", "zh_hans_sg": "zh_Hans"}
_TRADITIONAL = {"zh_tw", "zh_hk", "zh_mo", "zh_hant"}

_current: _gettext.NullTranslations = _gettext.NullTranslations()
_current_code = SOURCE_LANGUAGE
_listeners: list = []
# A language for one thread or task only (a web request of the clinic server's portal):
# set by :func:`language_for`, it wins over the process-wide language of set_language(),
# so concurrent requests in different languages never see each other's words.
_scoped: ContextVar[tuple[str, _gettext.NullTranslations] | None] = ContextVar("sq_language", default=None)


@cache
def available_languages() -> tuple[str, ...]:
    """Codes with a catalogue, English (the source language) first."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")) if LOCALE_DIR.is_dir() else []
    return (SOURCE_LANGUAGE, *(c for c in found if c != SOURCE_LANGUAGE))


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def normalize(code: str | None) -> str | None:
    """One of :func:`available_languages` for a locale or language code (``de_AT.UTF-8``,
    ``zh-CN``, ``es``), or None when none fits."""
    if not code:
        return None
    raw = code.split(".")[0].split("@")[0].replace("-", "_").strip()
    if not raw or raw in ("C", "POSIX"):
        return None
    avail = available_languages()
    low = raw.lower()
    for c in avail:
        if c.lower() == low:
            return c
    if low in _TRADITIONAL or low.startswith("zh_hant"):
        return None
    alias = _ALIASES.get(low)
    if alias in avail:
        return alias
    base = low.split("_")[0]
    for c in avail:
        if c.lower() == base:
            return c
    return _ALIASES.get(base) if _ALIASES.get(base) in avail else None


def system_language(environ: dict | None = None) -> str:
    """The computer's language if we have it, else English."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if not value:
            continue
        for part in value.split(":"):  # LANGUAGE may list several, best first
            found = normalize(part)
            if found:
                return found
        if var != "LANGUAGE":
            break  # the first locale variable set decides, as in gettext
    if environ is None:
        try:
            found = normalize(locale.getlocale()[0])  # Windows and macOS set no variables
        except (ValueError, TypeError):
            found = None
        if found:
            return found
    return SOURCE_LANGUAGE


@cache
def translations(code: str) -> _gettext.NullTranslations:
    if code == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    mo = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with open(mo, "rb") as fp:
        return _gettext.GNUTranslations(fp)


def set_language(code: str | None) -> str:
    """Switch every later ``_()`` to ``code`` (None or an unknown code: the computer's
    language, else English). Returns the language now in use."""
    global _current, _current_code
    chosen = normalize(code) or system_language()
    if chosen != _current_code:
        _current = translations(chosen)
        _current_code = chosen
        for listener in list(_listeners):
            listener(chosen)
    return chosen


def current_language() -> str:
    scoped = _scoped.get()
    return scoped[0] if scoped else _current_code


@contextmanager
def language_for(code: str | None) -> Iterator[str]:
    """Translate in ``code`` inside this block, in this thread or task only (a context
    variable; the process-wide language is untouched). None or an unknown code: English."""
    chosen = normalize(code) or SOURCE_LANGUAGE
    token = _scoped.set((chosen, translations(chosen)))
    try:
        yield chosen
    finally:
        _scoped.reset(token)


def _active() -> _gettext.NullTranslations:
    scoped = _scoped.get()
    return scoped[1] if scoped else _current


def on_language_change(listener) -> None:
    """Call ``listener(code)`` after each switch (e.g. to drop words kept from before)."""
    _listeners.append(listener)


def _(message: str) -> str:
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For a short word whose translation depends on where it stands (e.g. 'Left' hand vs side)."""
    return _active().pgettext(context, message)


def mid_sentence(word: str) -> str:
    """A setting's or choice's name inside a sentence: lower case, except in German, whose
    nouns keep their capital (and Chinese has no case)."""
    return word if current_language() == "de" else word.lower()


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it now (module-level constants)."""
    return message


gettext = _
