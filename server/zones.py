"""A clinic's time zone: the portal counts days, weeks and "today" in it.

The zone is an IANA name ("Europe/Berlin") kept in the clinic's settings (``clinics.settings``,
key ``timezone``). A new clinic gets the server machine's own zone (tzlocal reads it from
``TZ``, ``/etc/timezone``, ``/etc/localtime`` or, on Windows, the registry's zone mapped to
its IANA name), or UTC when that cannot be found; a clinic with none recorded reads as UTC.
PostgreSQL turns times into the clinic's days (``AT TIME ZONE``); Python's :mod:`zoneinfo`
does the same for the times a page shows, from the same IANA database.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timezone
from functools import cache

from game.i18n import _

SETTING = "timezone"
FALLBACK = "UTC"
EXAMPLE = "Europe/Berlin"
_NOT_ZONES = {"localtime", "posixrules"}  # files beside the zones, not zones of their own


@cache
def _known() -> dict[str, str]:
    """Every IANA zone name Python knows, by its lower-case spelling."""
    return {n.lower(): n for n in zoneinfo.available_timezones() if n not in _NOT_ZONES}


class UnknownZone(ValueError):
    """A time zone name that is not in the IANA database, in plain words."""


def unknown_zone_message(name: str) -> str:
    return _("There is no time zone called {name!r}. Give its IANA name, for example {example} "
             "(see the list with: timedatectl list-timezones).").format(name=name, example=EXAMPLE)


def canonical(name: str) -> str:
    """The zone's IANA name as the database spells it ("europe/berlin" -> "Europe/Berlin");
    UnknownZone if there is none."""
    found = _known().get(str(name).strip().lower())
    if found is None:
        raise UnknownZone(unknown_zone_message(str(name).strip()))
    return found


def machine_zone() -> str:
    """The server machine's own zone, or UTC when it cannot be found or is not an IANA name."""
    try:
        from tzlocal import get_localzone_name

        return canonical(get_localzone_name() or "")
    except Exception:  # noqa: BLE001 - tzlocal raises its own errors on odd set-ups; UTC is the rule then
        return FALLBACK


def zone_name(settings: object) -> str:
    """The zone named in a clinic's settings (UTC if none, or one that is no longer known)."""
    raw = settings.get(SETTING) if isinstance(settings, dict) else None
    try:
        return canonical(raw) if raw else FALLBACK
    except UnknownZone:
        return FALLBACK


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def today_in(name: str, now: datetime | None = None) -> date:
    """The clinic's date at ``now`` (default: this moment)."""
    return (now or datetime.now(timezone.utc)).astimezone(zone(name)).date()


def midnight(day: date, name: str) -> datetime:
    """The moment the clinic's day begins (aware; where a zone skips midnight, the first moment after)."""
    local = datetime.combine(day, datetime.min.time(), zone(name))
    # A skipped midnight (a zone whose clocks jump 00:00 -> 01:00) goes forward through UTC.
    return local.astimezone(timezone.utc).astimezone(zone(name))
