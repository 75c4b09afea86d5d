"""Patient profiles: who is playing, their program, their hand and their settings.

A profile is a row of the ``patients`` table (migration 3 added the profile
fields). It holds the assigned level file, the hand trained, settings as JSON, the
look of the patient's tile (colour, shape, initials: a patient can find their tile
without reading), the calibration in use and the difficulty state per exercise.
Profiles are archived, never deleted: their sessions and reps stay on record.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from game.i18n import _
from game.game_choices import PROFILE_SETTINGS as GAME_SETTINGS
from game.game_choices import check_game_setting
from game.therapy.exercises import EXERCISES
from game.therapy.stages import check_stage_choice, stage_setting_key
from game.settings import SETTINGS_INFO, AccessSettings, check_setting
from game.records.storage import Store
from game.therapy.calibration import Calibration

T = TypeVar("T")

HANDS = ("left", "right")
# Okabe-Ito hues (colour-blind safe) for tiles; each tile also has its own shape.
TILE_COLOURS = ("orange", "sky", "green", "yellow", "blue", "vermillion", "purple")
TILE_ICONS = ("circle", "square", "triangle", "diamond", "star", "heart", "moon", "leaf")
MAX_NAME = 40
# Settings a profile may hold, with what each accepts; anything else is refused so a
# typo on the command line does not silently do nothing.
SETTINGS: dict[str, tuple[type, str]] = {
    "sound": (bool, "sound on or off (true or false)"),
    "keyboard_effort_pct": (int, "the imitated hand's strength for the keyboard, 10 to 100"),
    "text_scale": (float, "text size, 1.0 normal up to 1.6"),
    "show_full_name": (bool, "show the full name on the tile (true or false)"),
    # Access settings (game/settings.py checks them and explains their ranges).
    "scan": (str, "the moving frame: auto (with the ball), on or off"),
    "scan_s": (float, "seconds the moving frame stays on each choice, 0.6 to 8"),
    "game_speed": (float, "game speed, 0.5 (slow) to 1.5 (quick), 1 is normal"),
    "cue_volume": (float, "volume of the sound cues, 0 to 1"),
    "music_volume": (float, "volume of the background music, 0 (off) to 1"),
    "speech": (bool, "spoken words on or off (true or false)"),
    "speech_volume": (float, "volume of the spoken words, 0 to 1"),
    "ask_after_s": (float, "seconds without a squeeze before a set asks 'Keep going?', 5 to 300, or off"),
    "language": (str, "the language of the words on screen: auto (the computer's), en, es, de or zh_Hans"),
    # The game a patient chose for an exercise with more than one (game_power_grip=balloon).
    **GAME_SETTINGS,
    # The place a patient chose to play an exercise at (stage_power_grip=2), else the newest opened.
    **{stage_setting_key(e.id): (str, "the place played for " + e.id.replace("_", " ") + ": newest, or 1 to 5 "
                                 "(never past the newest opened)") for e in EXERCISES},
}


class ProfileError(ValueError):
    """A request about a profile that cannot be done; the message says why, plainly."""


# Profile columns a change of which is written to the events (one ``profile_change`` row each);
# last_used_at and the difficulty state are the game's own bookkeeping (adaptation logs its own).
LOGGED_COLUMNS = ("name", "initials", "hand", "level", "colour", "icon", "archived", "calibration_id")
HELD_ATTR = "profiles_held_for"  # set on a Store by hold_profiles()


def hold_profiles(store: Store, reason: str) -> None:
    """From now on this store's profiles are read only, for ``reason`` (e.g. "a simulator run"):
    a run played by a script must never change a patient's settings, hand, program or targets."""
    setattr(store, HELD_ATTR, reason)


def profiles_held(store: Store) -> str | None:
    """Why this store's profiles are read only, or None when they may be changed."""
    return getattr(store, HELD_ATTR, None)


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    hand: str
    level: str | None
    settings: dict[str, Any]
    colour: str
    icon: str
    initials: str
    calibration_id: int | None
    difficulty: dict[str, Any]
    archived: bool
    created_at: float
    last_used_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Profile:
        return cls(
            id=int(row["id"]), name=row["name"], hand=row["hand"], level=row["level"],
            settings=_json(row["settings"]), colour=row["colour"] or TILE_COLOURS[(row["id"] - 1) % len(TILE_COLOURS)],
            icon=row["icon"] or TILE_ICONS[(row["id"] - 1) % len(TILE_ICONS)],
            initials=row["initials"] or initials_for(row["name"]), calibration_id=row["calibration_id"],
            difficulty=_json(row["difficulty"]), archived=bool(row["archived"]), created_at=float(row["created_at"]),
            last_used_at=row["last_used_at"],
        )


def _json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}  # a damaged settings cell must not lock a patient out
    return value if isinstance(value, dict) else {}


def initials_for(name: str) -> str:
    """Up to three initials: 'Ann Marie Byrne' -> 'AMB', 'Bob' -> 'BO'."""
    words = [w for w in re.split(r"[\s\-_.]+", name.strip()) if w]
    letters = [w[0] for w in words if w[0].isalnum()]
    if len(letters) >= 2:
        return "".join(letters[:3]).upper()
    word = words[0] if words else "?"
    return word[:2].upper() or "?"


def clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", " ".join(str(name).split()))
    if not name:
        raise ProfileError(_("a patient needs a name (a first name or a nickname is enough)"))
    if len(name) > MAX_NAME:
        raise ProfileError(_("the name is {n} characters long; keep it to {most} at most").format(n=len(name),
                                                                                                  most=MAX_NAME))
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ProfileError(_("the name holds control characters; use letters, numbers and spaces"))
    return name


def check_hand(hand: str) -> str:
    h = str(hand).strip().lower()
    if h not in HANDS:
        raise ProfileError(f"the hand must be left or right, got '{hand}'")
    return h


class Profiles:
    """Create, find, select, rename and archive patients in a :class:`Store`.

    Every change is written to the events as ``profile_change`` (what, old, new, the
    patient, and ``where``: the screen or command it was made from), so a therapist can
    see who changed what and when. A store held with :func:`hold_profiles` refuses changes.
    """

    def __init__(self, store: Store, *, where: str = "game") -> None:
        self.store = store
        self.where = where

    # ------------------------------------------------------------ reading
    def list(self, *, include_archived: bool = False) -> list[Profile]:
        sql = "SELECT * FROM patients" + ("" if include_archived else " WHERE archived=0") + " ORDER BY name COLLATE NOCASE, id"
        return [Profile.from_row(r) for r in self.store.db.execute(sql).fetchall()]

    def get(self, patient_id: int) -> Profile:
        row = self.store.db.execute("SELECT * FROM patients WHERE id=?", (int(patient_id),)).fetchone()
        if row is None:
            raise ProfileError(f"there is no patient number {patient_id}")
        return Profile.from_row(row)

    def find(self, ref: str | int, *, include_archived: bool = True) -> Profile:
        """A patient by number or by name (any case). Names of archived patients are
        found only if no active patient has that name."""
        text = str(ref).strip()
        if text.isdigit():
            return self.get(int(text))
        rows = self.store.db.execute(
            "SELECT * FROM patients WHERE name=? COLLATE NOCASE ORDER BY archived, id", (text,)
        ).fetchall()
        rows = [r for r in rows if include_archived or not r["archived"]]
        active = [r for r in rows if not r["archived"]]
        if len(active) == 1 or (not active and len(rows) == 1):
            return Profile.from_row(active[0] if active else rows[0])
        if len(rows) > 1:
            ids = ", ".join(str(r["id"]) for r in rows)
            raise ProfileError(f"more than one patient is called '{text}' (numbers {ids}); use the number")
        names = [p.name for p in self.list()]
        import difflib

        starts = [n for n in names if n.lower().startswith(text.lower())]
        close = starts[:1] if len(starts) == 1 else difflib.get_close_matches(text, names, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ("" if names else "; there are no patients yet")
        raise ProfileError(f"there is no patient called '{text}'{hint}")

    def current(self) -> Profile | None:
        """The patient used most recently (the one the game starts with)."""
        row = self.store.db.execute(
            "SELECT * FROM patients WHERE archived=0 ORDER BY last_used_at IS NULL, last_used_at DESC, id LIMIT 1"
        ).fetchone()
        return Profile.from_row(row) if row else None

    # ------------------------------------------------------------ writing
    def _now(self) -> float:
        now = getattr(self.store, "now", None)
        return float(now()) if callable(now) else float(self.store._wall())

    def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        # Profile changes are rare and made outside play; one transaction each.
        with self.store.transaction() as db:
            return job(db)

    def _name_free(self, name: str, except_id: int | None = None) -> None:
        row = self.store.db.execute(
            "SELECT id, name FROM patients WHERE name=? COLLATE NOCASE AND archived=0 AND id IS NOT ?",
            (name, except_id),
        ).fetchone()
        if row is not None:
            raise ProfileError(_("there is already a patient called '{name}' (number {number}); "
                                 "add something to tell them apart, like an initial").format(name=row["name"],
                                                                                             number=row["id"]))

    def create(self, name: str, *, hand: str = "right", level: str | None = None, initials: str | None = None,
               colour: str | None = None, icon: str | None = None, settings: dict[str, Any] | None = None) -> Profile:
        name = clean_name(name)
        hand = check_hand(hand)
        self._name_free(name)
        ini = self._check_initials(initials) if initials else None
        if colour is not None and colour not in TILE_COLOURS:
            raise ProfileError(f"the tile colour must be one of {', '.join(TILE_COLOURS)}, got '{colour}'")
        if icon is not None and icon not in TILE_ICONS:
            raise ProfileError(f"the tile shape must be one of {', '.join(TILE_ICONS)}, got '{icon}'")
        checked = self._check_settings(settings or {})
        now = self._now()

        def insert(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "INSERT INTO patients(name, hand, created_at, level, settings, initials, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, hand, now, level, json.dumps(checked), ini, now),
            )
            pid = int(cur.lastrowid)
            # A new patient gets the next colour and shape, so neighbouring tiles differ.
            db.execute("UPDATE patients SET colour=?, icon=? WHERE id=?",
                       (colour or TILE_COLOURS[(pid - 1) % len(TILE_COLOURS)],
                        icon or TILE_ICONS[(pid - 1) % len(TILE_ICONS)], pid))
            return pid

        if profiles_held(self.store):
            raise ProfileError(f"not saved: this is {profiles_held(self.store)}, so no patient is added")
        p = self.get(self._write(insert))
        self.log_change(p, "patient added", None, {"name": p.name, "hand": p.hand, "level": p.level,
                                                   "settings": p.settings})
        return p

    def _refuse_if_held(self, patient_id: int) -> None:
        reason = profiles_held(self.store)
        if reason:
            who = self.get(patient_id).name
            raise ProfileError(f"not saved: this is {reason}, so {who}'s profile stays as it was")

    def _update(self, patient_id: int, **cols: Any) -> Profile:
        old = self.get(patient_id)  # a clear error for a wrong number
        self._refuse_if_held(patient_id)
        now = self._now()
        sets = ", ".join(f"{c}=?" for c in cols)
        self._write(lambda db: db.execute(f"UPDATE patients SET {sets}, updated_at=? WHERE id=?",
                                          (*cols.values(), now, int(patient_id))))
        new = self.get(patient_id)
        self._log_changes(old, new, cols)
        return new

    def _log_changes(self, old: Profile, new: Profile, cols: dict[str, Any]) -> None:
        """One event row per changed field: what, old value, new value, where from (the row's time is when)."""
        changes: list[tuple[str, Any, Any]] = []
        for col in cols:
            if col in LOGGED_COLUMNS:
                before, after = getattr(old, col), getattr(new, col)
                if col == "archived":
                    before, after = bool(before), bool(after)
                if before != after:
                    changes.append((col, before, after))
            elif col == "settings":
                for key in sorted(set(old.settings) | set(new.settings)):
                    # A setting never set is its default: the event says which value that was.
                    default = getattr(AccessSettings(), key, None) if key in SETTINGS_INFO else None
                    before, after = old.settings.get(key, default), new.settings.get(key, default)
                    if before != after or type(before) is not type(after):
                        changes.append((key, before, after))
        for what, before, after in changes:
            self.log_change(new, what, before, after)

    def log_change(self, profile: Profile, what: str, old: Any, new: Any) -> None:
        self.store.log_event(None, "profile_change", {
            "patient_id": profile.id, "patient": profile.name, "what": what, "old": old, "new": new,
            "where": self.where})

    def rename(self, patient_id: int, new_name: str, *, initials: str | None = None) -> Profile:
        name = clean_name(new_name)
        self._name_free(name, except_id=int(patient_id))
        old = self.get(patient_id)
        # Initials follow the name unless they were chosen by hand.
        keep = initials or (old.initials if old.initials != initials_for(old.name) else None)
        return self._update(patient_id, name=name, initials=self._check_initials(keep) if keep else None)

    def archive(self, patient_id: int) -> Profile:
        """Hide a patient from the picker; their records stay."""
        return self._update(patient_id, archived=1)

    def restore(self, patient_id: int) -> Profile:
        p = self.get(patient_id)
        self._name_free(p.name, except_id=p.id)
        return self._update(patient_id, archived=0)

    def select(self, patient_id: int) -> Profile:
        """Make this the patient the game starts with next time."""
        p = self.get(patient_id)
        if p.archived:
            raise ProfileError(f"{p.name} is archived; restore them first (main.py patients restore {p.id})")
        if profiles_held(self.store):
            return p  # a scripted run plays as this patient without marking them as the last one
        now = self._now()
        self._write(lambda db: db.execute("UPDATE patients SET last_used_at=? WHERE id=?", (now, p.id)))
        return self.get(p.id)

    def assign_level(self, patient_id: int, level: str | None) -> Profile:
        return self._update(patient_id, level=level)

    def set_hand(self, patient_id: int, hand: str) -> Profile:
        return self._update(patient_id, hand=check_hand(hand))

    def set_tile(self, patient_id: int, *, colour: str | None = None, icon: str | None = None,
                 initials: str | None = None) -> Profile:
        cols: dict[str, Any] = {}
        if colour is not None:
            if colour not in TILE_COLOURS:
                raise ProfileError(f"the tile colour must be one of {', '.join(TILE_COLOURS)}, got '{colour}'")
            cols["colour"] = colour
        if icon is not None:
            if icon not in TILE_ICONS:
                raise ProfileError(f"the tile shape must be one of {', '.join(TILE_ICONS)}, got '{icon}'")
            cols["icon"] = icon
        if initials is not None:
            cols["initials"] = self._check_initials(initials)
        return self._update(patient_id, **cols) if cols else self.get(patient_id)

    def update_settings(self, patient_id: int, **changes: Any) -> Profile:
        merged = {**self.get(patient_id).settings, **self._check_settings(changes)}
        return self._update(patient_id, settings=json.dumps(merged))

    def set_calibration(self, patient_id: int, calibration_id: int | None) -> Profile:
        return self._update(patient_id, calibration_id=calibration_id)

    def set_difficulty(self, patient_id: int, exercise: str, state: dict[str, Any]) -> Profile:
        """Store one exercise's difficulty state (the session code decides its contents)."""
        merged = {**self.get(patient_id).difficulty, exercise: state}
        return self._update(patient_id, difficulty=json.dumps(merged, default=float))

    # ------------------------------------------------------------ calibration
    def calibration(self, profile: Profile) -> Calibration | None:
        """The calibration this patient plays with: the one chosen in the profile,
        else the newest for the hand trained; None if never calibrated."""
        db = self.store.db
        row = None
        if profile.calibration_id is not None:
            row = db.execute("SELECT * FROM calibrations WHERE id=? AND patient_id=?",
                             (profile.calibration_id, profile.id)).fetchone()
        if row is None:
            row = db.execute("SELECT * FROM calibrations WHERE patient_id=? AND hand=? "
                             "ORDER BY recorded_at DESC, id DESC LIMIT 1", (profile.id, profile.hand)).fetchone()
        if row is None:
            return None
        return Calibration(baseline=row["baseline"], mvc=row["mvc"], noise_sd=row["noise_sd"], units=row["units"])

    # ------------------------------------------------------------ checks
    @staticmethod
    def _check_initials(initials: str) -> str:
        ini = "".join(str(initials).split()).upper()
        if not 1 <= len(ini) <= 3 or not ini.isalnum():
            raise ProfileError(f"initials are 1 to 3 letters or digits, got '{initials}'")
        return ini

    @staticmethod
    def _check_settings(settings: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in settings.items():
            if key not in SETTINGS:
                import difflib

                close = difflib.get_close_matches(key, list(SETTINGS), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; settings are: {', '.join(SETTINGS)}"
                raise ProfileError(f"'{key}' is not a patient setting{hint}")
            kind, what = SETTINGS[key]
            if key in GAME_SETTINGS:
                try:
                    out[key] = check_game_setting(key, value)
                except ValueError as exc:
                    raise ProfileError(str(exc)) from None
                continue
            if key.startswith("stage_"):
                try:
                    out[key] = check_stage_choice(value)
                except ValueError as exc:
                    raise ProfileError(f"'{key}' {exc}") from None
                continue
            if key in SETTINGS_INFO and key != "text_scale":
                try:
                    out[key] = check_setting(key, value)
                except ValueError as exc:
                    raise ProfileError(str(exc)) from None
                continue
            ok = isinstance(value, bool) if kind is bool else (
                isinstance(value, (int, float)) and not isinstance(value, bool) and (kind is float or float(value).is_integer()))
            if ok and key == "keyboard_effort_pct":
                ok = 10 <= value <= 100
            if ok and key == "text_scale":
                ok = 1.0 <= value <= 1.6
            if not ok:
                raise ProfileError(f"'{key}' must be {what}, got {value!r}")
            out[key] = kind(value)
        return out


def parse_setting(text: str) -> tuple[str, Any]:
    """'sound=false' from the command line -> ('sound', False)."""
    if "=" not in text:
        raise ProfileError(f"write a setting as name=value (like sound=false), got '{text}'")
    key, raw = (s.strip() for s in text.split("=", 1))
    low = raw.lower()
    value: Any
    if low in ("true", "yes", "on"):
        value = True
    elif low in ("false", "no", "off"):
        value = False
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return key, value


@dataclass(frozen=True)
class StartingPatient:
    """Who plays when the game starts, their program, and any note about it."""

    patient_id: int
    plan: Any  # game.program.SessionPlan
    level_path: str | None
    note: str = ""  # e.g. the assigned level file is broken, so the default program is used


def plan_for(profile: Profile, dirs: tuple[Any, ...]) -> tuple[Any, str | None, str]:
    """(SessionPlan, level file, note) for a profile: its level if that loads,
    else the default program with a note saying why."""
    from game.program import SessionPlan

    if not profile.level:
        return SessionPlan(), None, ""
    from game.levels import load_level, resolve_level  # here: a player without a program needs no level models
    path = resolve_level(profile.level, dirs)
    if path is None:
        return SessionPlan(), None, _("{name}'s program '{program}' is not there; playing the default program").format(
            name=profile.name, program=profile.level)
    loaded = load_level(path)
    if not loaded.ok:
        return SessionPlan(), str(path), _("{name}'s program has a problem, so the default program is used. {problem}"
                                           ).format(name=profile.name, problem=loaded.problems[0])
    return loaded.plan(), str(path), ""


def starting_patient(store: Store, patient: str | None, level: str | None, dirs: tuple[Any, ...]) -> StartingPatient:
    """The patient and program at start: ``--patient`` and ``--level`` if given (a
    wrong one is a ValueError with a plain message), else the last patient used and
    their assigned level. A game with no patients makes a first one, 'Player'."""
    profiles = Profiles(store)
    try:
        if patient:
            prof = profiles.select(profiles.find(patient, include_archived=False).id)
        else:
            prof = profiles.current() or profiles.get(store.ensure_patient())
    except ProfileError as exc:
        raise ValueError(str(exc)) from exc
    if level:
        from game.levels import load_level, resolve_level

        path = resolve_level(level, dirs)
        if path is None:
            raise ValueError(f"there is no level '{level}' (see: main.py levels check)")
        loaded = load_level(path)
        if not loaded.ok:
            raise ValueError("the level file has problems:\n" + "\n".join(str(p) for p in loaded.problems))
        return StartingPatient(prof.id, loaded.plan(), str(path))
    plan, path, note = plan_for(prof, dirs)
    return StartingPatient(prof.id, plan, path, note)


def keep_choice(store: Store, patient_id: int, key: str, value: Any, *, default: Any = None, where: str) -> bool:
    """Keep a patient's choice in their profile's settings (``update_settings`` logs the
    ``profile_change``); False when it could not be kept: the profiles are held (scripted play) or
    the profile cannot be changed, so the caller holds the choice for this run only."""
    if profiles_held(store):
        return False
    try:
        profiles = Profiles(store, where=where)
        if profiles.get(patient_id).settings.get(key, default) != value:
            profiles.update_settings(patient_id, **{key: value})
    except ProfileError:
        return False
    return True
