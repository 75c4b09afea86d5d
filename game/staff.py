"""The staff PIN that guards the clinic kiosk, and the kiosk's own settings.

The PIN is never stored: only a random salt and an scrypt hash of it (scrypt is
memory-hard, so guessing a short PIN from a stolen database file is slow; it is in
the standard library). A try is compared in constant time. Wrong tries are
counted in the database and lock entry for a while; each lockout in a row is
twice as long as the one before (capped), and a restart resets nothing, so
pulling the plug does not buy more guesses. Time is the store's injected wall
clock: a lockout is real time, not game time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from game.storage import Store

MIN_DIGITS, MAX_DIGITS = 4, 12
MAX_TRIES = 5  # wrong tries in a row before entry locks
LOCKOUT_S = 300.0  # the first lockout; each one in a row doubles it
MAX_LOCKOUT_S = 3600.0
# scrypt cost: 2**14 x 8 x 128 bytes = 16 MB of memory and ~50 ms a try (OWASP's
# minimum is N=2**17 for passwords; a PIN is also guarded by the lockout, and the
# kiosk PC must check a try without a visible stall).
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
SALT_BYTES = 16


class PinError(ValueError):
    """A PIN that cannot be used; the message says why, plainly."""


def check_new_pin(pin: str) -> str:
    """The PIN if it is good enough to guard patients' records; else PinError."""
    pin = pin.strip()
    if not pin.isdigit() or not pin.isascii():
        raise PinError("the PIN must be digits only (0 to 9)")
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        raise PinError(f"the PIN must have {MIN_DIGITS} to {MAX_DIGITS} digits, this one has {len(pin)}")
    if len(set(pin)) == 1:
        raise PinError("the PIN is one digit repeated; choose one that is harder to guess")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    if steps in ({1}, {-1}):
        raise PinError("the PIN is a run of digits (like 1234); choose one that is harder to guess")
    return pin


def hash_pin(pin: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=params["n"], r=params["r"], p=params["p"],
                          dklen=params["dklen"], maxmem=256 * 1024 * 1024)


@dataclass(frozen=True)
class PinCheck:
    """The answer to one try: ``ok``, or why not and how long entry stays locked."""

    ok: bool
    locked_for_s: float = 0.0  # > 0: entry is locked for this many more seconds
    tries_left: int = MAX_TRIES
    no_pin: bool = False

    @property
    def message(self) -> str:
        if self.ok:
            return ""
        if self.no_pin:
            return "No staff PIN is set. Set one with: main.py staff set-pin"
        if self.locked_for_s > 0:
            return f"Too many wrong tries. Locked for {format_wait(self.locked_for_s)}."
        return f"Wrong PIN. {self.tries_left} {'try' if self.tries_left == 1 else 'tries'} left."


def format_wait(seconds: float) -> str:
    s = max(1, int(seconds + 0.999))
    if s < 60:
        return f"{s} second{'s' if s != 1 else ''}"
    m = (s + 59) // 60
    return f"{m} minute{'s' if m != 1 else ''}"


class StaffLock:
    """Set and check the staff PIN in a :class:`Store`."""

    def __init__(self, store: Store, *, max_tries: int = MAX_TRIES, lockout_s: float = LOCKOUT_S,
                 max_lockout_s: float = MAX_LOCKOUT_S) -> None:
        self.store = store
        self.max_tries = max_tries
        self.lockout_s = lockout_s
        self.max_lockout_s = max_lockout_s

    def _row(self):  # noqa: ANN202
        return self.store.db.execute("SELECT * FROM staff_pin WHERE id=1").fetchone()

    @property
    def has_pin(self) -> bool:
        return self._row() is not None

    def set_pin(self, pin: str) -> None:
        """Store a new PIN (checked first); clears wrong tries and any lockout."""
        pin = check_new_pin(pin)
        salt = os.urandom(SALT_BYTES)
        digest = hash_pin(pin, salt, SCRYPT)
        now = self.store.now()
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO staff_pin(id, kdf, salt, hash, set_at, failed_tries, lockouts, "
                       "locked_until) VALUES (1, ?, ?, ?, ?, 0, 0, NULL)",
                       (json.dumps({"name": "scrypt", **SCRYPT}), salt, digest, now))
        self.store.log_event(None, "staff_pin_set", {})

    def locked_for(self) -> float:
        """Seconds until a try is allowed again (0: now)."""
        row = self._row()
        if row is None or row["locked_until"] is None:
            return 0.0
        return max(0.0, float(row["locked_until"]) - self.store.now())

    def tries_left(self) -> int:
        row = self._row()
        return self.max_tries - int(row["failed_tries"]) if row is not None else self.max_tries

    def check(self, pin: str) -> PinCheck:
        """One try. A locked PIN is not even hashed: a try while locked changes nothing."""
        row = self._row()
        if row is None:
            return PinCheck(False, no_pin=True)
        now = self.store.now()
        wait = self.locked_for()
        if wait > 0:
            return PinCheck(False, locked_for_s=wait, tries_left=0)
        params = json.loads(row["kdf"])
        digest = hash_pin(pin.strip(), bytes(row["salt"]), params)
        if hmac.compare_digest(digest, bytes(row["hash"])):
            with self.store.transaction() as db:
                db.execute("UPDATE staff_pin SET failed_tries=0, lockouts=0, locked_until=NULL WHERE id=1")
            self.store.log_event(None, "staff_unlocked", {})
            return PinCheck(True)
        tries = int(row["failed_tries"]) + 1
        if tries >= self.max_tries:
            lockouts = int(row["lockouts"]) + 1
            span = min(self.max_lockout_s, self.lockout_s * 2 ** (lockouts - 1))
            with self.store.transaction() as db:
                db.execute("UPDATE staff_pin SET failed_tries=0, lockouts=?, locked_until=? WHERE id=1",
                           (lockouts, now + span))
            self.store.log_event(None, "staff_locked", {"seconds": span, "lockouts": lockouts})
            return PinCheck(False, locked_for_s=span, tries_left=0)
        with self.store.transaction() as db:
            db.execute("UPDATE staff_pin SET failed_tries=? WHERE id=1", (tries,))
        self.store.log_event(None, "staff_pin_wrong", {"tries": tries})
        return PinCheck(False, tries_left=self.max_tries - tries)


# --------------------------------------------------------------- kiosk settings
# Clinic-wide kiosk settings, with their defaults. Names on tiles are off: in a shared
# room a tile shows colour, shape and initials only, unless the clinic turns names on.
KIOSK_DEFAULTS: dict[str, object] = {"show_names": False}


class KioskSettings:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str) -> object:
        if key not in KIOSK_DEFAULTS:
            raise KeyError(f"'{key}' is not a kiosk setting; settings are: {', '.join(KIOSK_DEFAULTS)}")
        row = self.store.db.execute("SELECT value FROM kiosk_settings WHERE key=?", (key,)).fetchone()
        if row is None:
            return KIOSK_DEFAULTS[key]
        try:
            return json.loads(row["value"])
        except ValueError:
            return KIOSK_DEFAULTS[key]  # a damaged cell falls back to the safe default

    def set(self, key: str, value: object) -> None:
        default = KIOSK_DEFAULTS.get(key)
        if key not in KIOSK_DEFAULTS or type(value) is not type(default):
            raise KeyError(f"'{key}' is not a kiosk setting of type {type(default).__name__}")
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO kiosk_settings(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    @property
    def show_names(self) -> bool:
        return bool(self.get("show_names"))


def name_on_tile(profile, clinic_shows_names: bool) -> bool:  # noqa: ANN001
    """Whether a tile shows the full name: the patient's own choice wins, else the clinic's."""
    own = profile.settings.get("show_full_name")
    return bool(own) if own is not None else clinic_shows_names
