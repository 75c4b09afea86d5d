"""The staff PIN that guards the clinic kiosk, and the kiosk's own settings.

The PIN is never stored: only a random salt and an Argon2id hash of it. The
lockout below stops guessing at the kiosk; the hash is what stops guessing from a
copied database file, where nothing limits the tries but the cost of each one. So
each try costs about a third of a second and 64 MiB of memory (see PIN_KDF), and a
new PIN has at least 6 digits: a million PINs at 1/3 s is about 4 days of one core
per PIN, where the old 4 digits and scrypt at N=2**14 fell in 6 minutes. A PIN set
with the old parameters still opens the kiosk, and is hashed again with the new
ones the first time it is typed right; a PIN shorter than 6 digits still works, but
staff are told on the staff menu to set a longer one. A try is compared in constant
time. Wrong tries are counted in the database and lock entry for a while; each
lockout in a row is twice as long as the one before (capped), and a restart resets
nothing, so pulling the plug does not buy more guesses. Time is the store's injected
wall clock: a lockout is real time, not game time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from game.records.storage import Store

MIN_DIGITS, MAX_DIGITS = 6, 12  # for a new PIN; an older PIN of 4 or 5 digits still opens (see above)
MAX_TRIES = 5  # wrong tries in a row before entry locks
LOCKOUT_S = 300.0  # the first lockout; each one in a row doubles it
MAX_LOCKOUT_S = 3600.0
SALT_BYTES = 16


@dataclass(frozen=True)
class PinKdf:
    """Argon2id parameters (RFC 9106) for the staff PIN.

    Argon2id rather than more scrypt: it is the first choice of RFC 9106 and OWASP,
    its memory and time costs are set separately (scrypt's time only grows with its
    memory: 250 ms took N=2**16, 64 MiB, and a margin 2**17, 128 MiB on the kiosk
    PC), and its first pass does not depend on the PIN (no cache-timing leak).
    """

    time_cost: int = 7  # passes over the memory
    memory_kib: int = 64 * 1024  # 64 MiB, the memory of RFC 9106's second recommended setting
    parallelism: int = 1  # one lane: the kiosk's own check gets no help from more cores, nor does a guesser's
    hash_len: int = 32

    def as_json(self) -> dict[str, object]:
        return {"name": "argon2id", "v": 19, "t": self.time_cost, "m": self.memory_kib, "p": self.parallelism,
                "len": self.hash_len}

    @property
    def work_mib_passes(self) -> float:
        """Memory times passes: what a guess costs, whatever the machine."""
        return self.memory_kib / 1024 * self.time_cost


# What a guess costs. Measured by benchmarks/bench_pin.py on the machine in the
# README (AMD EPYC, 2 cores): one pass over 64 MiB takes 47 ms of CPU or more, so 7
# passes take 330-365 ms; 250 ms needs at least MIN_WORK_MIB_PASSES (tests/test_staff.py
# checks PIN_KDF against it, so a change that makes guessing cheap fails there).
PIN_KDF = PinKdf()
MS_PER_MIB_PASS = 47 / 64
CLAIMED_MIN_MS_PER_GUESS = 250
MIN_WORK_MIB_PASSES = CLAIMED_MIN_MS_PER_GUESS / MS_PER_MIB_PASS  # about 340 MiB-passes
# The hash before issue 19, still read so existing PINs open (and are then re-hashed).
OLD_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


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


def hash_pin(pin: str, salt: bytes, params: dict[str, object]) -> bytes:
    """The hash of ``pin`` with the stored parameters (``kdf`` column): Argon2id,
    or scrypt for a PIN set before Argon2id. ValueError for anything else."""
    name = params.get("name")
    if name == "argon2id":
        from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw

        if int(params.get("v", ARGON2_VERSION)) != ARGON2_VERSION:
            raise ValueError(f"Argon2 version {params.get('v')}")
        return hash_secret_raw(pin.encode(), salt, time_cost=int(params["t"]), memory_cost=int(params["m"]),
                               parallelism=int(params["p"]), hash_len=int(params["len"]), type=Type.ID)
    if name == "scrypt":
        return hashlib.scrypt(pin.encode(), salt=salt, n=int(params["n"]), r=int(params["r"]), p=int(params["p"]),
                              dklen=int(params["dklen"]), maxmem=256 * 1024 * 1024)
    raise ValueError(f"unknown PIN hash {name!r}")


@dataclass(frozen=True)
class PinCheck:
    """The answer to one try: ``ok``, or why not and how long entry stays locked."""

    ok: bool
    locked_for_s: float = 0.0  # > 0: entry is locked for this many more seconds
    tries_left: int = MAX_TRIES
    no_pin: bool = False
    short_pin: bool = False  # right, but shorter than a new PIN may be: staff should set a longer one
    unreadable: bool = False  # the stored PIN record cannot be used (damaged): set the PIN again

    @property
    def message(self) -> str:
        if self.ok:
            return SHORT_PIN_NOTE if self.short_pin else ""
        if self.no_pin:
            return "No staff PIN is set. Set one with: main.py staff set-pin"
        if self.unreadable:
            return "The staff PIN record cannot be read. Set the PIN again with: main.py staff set-pin"
        if self.locked_for_s > 0:
            return f"Too many wrong tries. Locked for {format_wait(self.locked_for_s)}."
        return f"Wrong PIN. {self.tries_left} {'try' if self.tries_left == 1 else 'tries'} left."


SHORT_PIN_NOTE = (f"This staff PIN is shorter than {MIN_DIGITS} digits, which is too easy to guess. Please set a "
                  f"new one of {MIN_DIGITS} digits or more: main.py staff set-pin")


def format_wait(seconds: float) -> str:
    s = max(1, int(seconds + 0.999))
    if s < 60:
        return f"{s} second{'s' if s != 1 else ''}"
    m = (s + 59) // 60
    return f"{m} minute{'s' if m != 1 else ''}"


class StaffLock:
    """Set and check the staff PIN in a :class:`Store`."""

    def __init__(self, store: Store, *, max_tries: int = MAX_TRIES, lockout_s: float = LOCKOUT_S,
                 max_lockout_s: float = MAX_LOCKOUT_S, kdf: PinKdf | None = None) -> None:
        self.store = store
        self.max_tries = max_tries
        self.lockout_s = lockout_s
        self.max_lockout_s = max_lockout_s
        # None: the module's PIN_KDF when hashing (tests swap in cheap parameters there).
        self._kdf = kdf

    @property
    def kdf(self) -> PinKdf:
        return self._kdf or PIN_KDF

    def _new_hash(self, pin: str) -> tuple[str, bytes, bytes]:
        """(kdf column, salt, hash) for ``pin`` with the current parameters."""
        params = self.kdf.as_json()
        salt = os.urandom(SALT_BYTES)
        return json.dumps(params), salt, hash_pin(pin, salt, params)

    def _row(self):  # noqa: ANN202
        return self.store.db.execute("SELECT * FROM staff_pin WHERE id=1").fetchone()

    @property
    def has_pin(self) -> bool:
        return self._row() is not None

    def set_pin(self, pin: str) -> None:
        """Store a new PIN (checked first); clears wrong tries and any lockout."""
        pin = check_new_pin(pin)
        kdf, salt, digest = self._new_hash(pin)
        now = self.store.now()
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO staff_pin(id, kdf, salt, hash, set_at, failed_tries, lockouts, "
                       "locked_until) VALUES (1, ?, ?, ?, ?, 0, 0, NULL)", (kdf, salt, digest, now))
        self.store.log_event(None, "staff_pin_set", {})

    def needs_rehash(self) -> bool:
        """True if the stored hash is not made with the current parameters (an old
        scrypt hash): it is redone the next time the PIN is typed right."""
        row = self._row()
        if row is None:
            return False
        try:
            return json.loads(row["kdf"]) != self.kdf.as_json()
        except ValueError:
            return True

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
        pin = pin.strip()
        try:
            params = json.loads(row["kdf"])
            digest = hash_pin(pin, bytes(row["salt"]), params)
        except (ValueError, TypeError, KeyError, AttributeError):
            return PinCheck(False, unreadable=True)
        if hmac.compare_digest(digest, bytes(row["hash"])):
            upgrade = params != self.kdf.as_json()
            with self.store.transaction() as db:
                db.execute("UPDATE staff_pin SET failed_tries=0, lockouts=0, locked_until=NULL WHERE id=1")
                if upgrade:  # an old hash: redone with today's parameters while the PIN is at hand
                    kdf, salt, digest = self._new_hash(pin)
                    db.execute("UPDATE staff_pin SET kdf=?, salt=?, hash=? WHERE id=1", (kdf, salt, digest))
            if upgrade:
                self.store.log_event(None, "staff_pin_rehashed", {"from": params.get("name"), "to": "argon2id"})
            self.store.log_event(None, "staff_unlocked", {})
            return PinCheck(True, short_pin=len(pin) < MIN_DIGITS)
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
