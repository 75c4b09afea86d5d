"""Level files: a therapist's program for a patient, written in YAML.

A level file is plain settings (``levels/README.md`` explains each one for
therapists). It is read with ``yaml.safe_load`` into pydantic models that forbid
unknown keys, then turned into the :class:`~game.program.SessionPlan` the session
runs. Nothing here raises on a bad file: :func:`load_level` returns every problem
found, each with the file, the line, the field and what is allowed, in plain
English, so the level picker can list a broken file with its error while the
others stay playable.

The file is checked before anything is built from it: its size, that it is text
(UTF-8 with or without a byte-order mark, or UTF-16/UTF-32 with one, as Windows
Notepad saves), and (walking the composed YAML nodes, which also gives the line
numbers) that it holds no tags that build Python objects, no alias bombs and no
repeated keys. Building the values is guarded too: an explicit tag on the wrong
kind of value (``!!bool maybe``), a bad ``<<`` merge or a 5,000-digit number is a
problem at its line and setting, and a control character one at its line and
column. ``tests/test_level_fuzz.py`` keeps this true over thousands of damaged files.
"""

from __future__ import annotations

import codecs
import difflib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo

from game.i18n import N_, _, ngettext
from game.therapy.exercises import BY_ID, EXERCISES
from game.game_choices import BY_GAME_ID, choices_for, fits
from game.program import ExercisePlan, SessionPlan
from game.resources import level_dirs, shipped_levels_dir, user_levels_dir  # noqa: F401 - level_dirs: re-exported

log = logging.getLogger(__name__)

SHIPPED_DIR = shipped_levels_dir()  # read-only, shipped with the game (game/resources.py)
# The game uses no pydantic plugin: looking for one reads every installed package's metadata
# when the first model is built (~20 ms of the game's start with a program).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
SCHEMA_FILE = "schema.json"
SCHEMA_COMMENT = f"# yaml-language-server: $schema={SCHEMA_FILE}"

# A level file is a few kilobytes; these limits stop a wrong file (a video, a log,
# an alias bomb) from stalling the game, with room to spare for any real program.
MAX_FILE_BYTES = 256 * 1024
MAX_VALUES = 2_000  # YAML values once anchors and aliases are expanded (a real level: a few hundred)
MAX_DEPTH = 40

ExerciseId = Literal[
    "power_grip", "pinch", "thumb_flex_ext", "table_roll",
    "finger_flexion", "thumb_roll", "finger_squeeze", "thumb_opposition",
]
FingerPair = Literal["index-middle", "middle-ring", "ring-little"]
FINGER_PAIRS: tuple[str, ...] = get_args(FingerPair)
Hand = Literal["left", "right", "either"]
GameId = Literal["bird", "balloon", "boat", "marble"]  # game/game_choices.py; a test keeps the two the same
StageId = Literal[1, 2, 3, 4, 5, "newest"]  # game/therapy/stages.py (STAGE_COUNT, NEWEST)


# ---------------------------------------------------------------- models
class _Settings(BaseModel):
    # strict: a YAML "10" (text) is not quietly taken for the number 10, and yes/no
    # stay booleans; extra="forbid": a misspelt key is an error, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DetectorSettings(_Settings):
    """Fine timings of the repetition counter for force exercises. Leave these out
    unless the defaults miss or split a patient's squeezes."""

    start_pct: float | None = Field(None, ge=1, le=30, description=(
        "Force (% of the patient's strongest squeeze) that counts as the start of a squeeze. "
        "Default 5. Lower it for a very weak hand."))
    start_confirm_s: float | None = Field(None, ge=0.02, le=1, description=(
        "Seconds the force must stay above the start level before a squeeze counts. Default 0.1."))
    end_confirm_s: float | None = Field(None, ge=0.02, le=2, description=(
        "Seconds the force must stay low before the squeeze counts as released. Default 0.15."))
    min_rep_s: float | None = Field(None, ge=0.05, le=5, description=(
        "Shortest squeeze, in seconds, that counts as a repetition. Default 0.25; "
        "quick finger presses need about 0.1."))
    min_gap_s: float | None = Field(None, ge=0.05, le=5, description=(
        "Shortest pause, in seconds, between two repetitions. Default 0.3."))
    no_release_s: float | None = Field(None, ge=2, le=30, description=(
        "Seconds after which a hand that does not let go is logged as 'no full release'. Default 8."))
    dip_tolerance_s: float | None = Field(None, ge=0, le=1, description=(
        "Short dips below the target during a hold, in seconds, that are forgiven (tremor). Default 0.1."))
    rezero_after_s: float | None = Field(None, ge=0.5, le=30, description=(
        "How slowly, in seconds, the rest level follows a sensor that reads higher at rest (drift, creep). "
        "Default 2: a squeeze rises far faster and is never taken for drift."))
    release_share: float | None = Field(None, ge=0.3, le=0.95, description=(
        "A squeeze also counts as released once force has fallen by this share of the squeeze "
        "(0.75 = three quarters) and stays still there, so a sensor that rests a little higher after "
        "a squeeze still ends the rep. Default 0.75."))
    settle_s: float | None = Field(None, ge=0.05, le=3, description=(
        "Seconds force must stay still after falling that far. Default 0.4; quick presses 0.15."))
    valley_split: float | None = Field(None, ge=0.1, le=0.9, description=(
        "Quick presses: a dip of this share of a press, followed by a new rise of the same share, "
        "starts the next press without returning to rest. Default 0.35 for finger press and finger "
        "squeeze; leave it out for slow squeezes (a squeeze that sags and squeezes again is one rep)."))


class AdaptSettings(_Settings):
    """What the game may change for an exercise as the patient plays. Written `adapt: off`
    (nothing: the exercise plays exactly as written), `adapt: on` (all three), or one line
    each: `adapt: {target: true, hold: false, pace: true}`; a line left out is `true`.
    Whatever it changes stays between the lowest and highest you set, and changes between
    sets are said on screen."""

    target: bool = Field(True, description=(
        "Raise the force target after a success and lower it after a squeeze that did not reach it, "
        "between `target_min_pct` and `target_max_pct` (rolling exercises: the roll target, between "
        "`roll_target_min_pct` and `roll_target_max_pct`). A hold too short or a slow release never "
        "lowers it. Default true."))
    hold: bool = Field(True, description=(
        "Between sets, a longer hold after an easy set (once the target is at its highest or fixed), "
        "a shorter one after a set whose holds were too short, between `hold_min_s` and `hold_max_s`. "
        "Default true."))
    pace: bool = Field(True, description=(
        "Between sets, a quicker pace after an easy set (once the hold is at its longest or fixed), "
        "a calmer one after a set of slow releases, and a quicker one if the session would not fit "
        "`session_cap_min`; between `cue_min_s` and `cue_max_s`. Default true."))


class ExerciseSettings(_Settings):
    """Settings that can be given once under ``defaults`` or for each exercise."""

    sets: int | None = Field(None, ge=1, le=10, description=(
        "How many sets. A set is a run of repetitions, then a rest. Default 3."))
    reps: int | None = Field(None, ge=1, le=100, description="Repetitions in each set. Default 10.")
    rest_s: float | None = Field(None, ge=0, le=600, description="Rest between sets, in seconds. Default 60.")
    target_pct: float | None = Field(None, ge=1, le=60, description=(
        "Starting force target, as % of the patient's strongest squeeze (MVC). Default 20. "
        "Force exercises only."))
    target_min_pct: float | None = Field(None, ge=1, le=60, description=(
        "The lowest the game may lower the target to, % of the strongest squeeze. Default 5."))
    target_max_pct: float | None = Field(None, ge=1, le=60, description=(
        "The highest the game may raise the target to, % of the strongest squeeze. Default 40; "
        "up to 60 for strength work."))
    hold_s: float | None = Field(None, ge=0, le=10, description=(
        "Seconds the squeeze must be held at the target. Default 0.5."))
    hold_min_s: float | None = Field(None, ge=0, le=10, description=(
        "Shortest hold the game may ask for, in seconds. Default 0.5."))
    hold_max_s: float | None = Field(None, ge=0, le=10, description=(
        "Longest hold the game may ask for, in seconds. Default 5."))
    cue_s: float | None = Field(None, ge=1, le=20, description=(
        "Seconds from one repetition's cue to the next: the game's pace. Default 3."))
    cue_min_s: float | None = Field(None, ge=1, le=20, description="Fastest pace the game may use, in seconds. "
                                    "Default 2.")
    cue_max_s: float | None = Field(None, ge=1, le=20, description="Slowest pace the game may use, in seconds. "
                                    "Default 6.")
    release_window_s: float | None = Field(None, ge=1, le=30, description=(
        "Seconds the hand has to let go after the hold for the repetition to count as a success. "
        "Default 6 (weak hands release slowly)."))
    roll_target_pct: float | None = Field(None, ge=10, le=100, description=(
        "Rolling exercises: how far to roll, as % of the patient's calibrated range. Default 50."))
    roll_target_min_pct: float | None = Field(None, ge=10, le=100, description=(
        "Rolling exercises: the shortest roll the game may lower the target to, % of the calibrated "
        "range. Default 20."))
    roll_target_max_pct: float | None = Field(None, ge=10, le=100, description=(
        "Rolling exercises: the longest roll the game may raise the target to, % of the calibrated "
        "range. Default 90; at most 100, the patient's whole comfortable range."))
    detector: DetectorSettings | None = Field(None, description=(
        "Fine timings of the repetition counter (force exercises). Usually left out."))
    adapt: AdaptSettings | None = Field(None, description=(
        "What the game may adapt for this exercise: `off` (nothing: it plays exactly as written), `on` "
        "(target, hold and pace), or each on its own: `{target: true, hold: false, pace: true}`. "
        "Default on (unless the program's `adapt` is false). When tired, the game may still lower the "
        "target 10% for safety, never below `target_min_pct`."),
        json_schema_extra=lambda schema: schema.update(
            anyOf=[{"type": "boolean"}, *schema.get("anyOf", [])]))
    stage: StageId | None = Field(None, description=(
        "Which place (stage) of the game is shown: 1 (the first, the plainest) to 5, or `newest` (the "
        "newest the patient's practice has opened). Only the picture changes, never the targets or the "
        "pace. Leave it out to let the patient choose among the places they have opened (newest unless "
        "they chose another); set it, e.g. `stage: 1` for low vision or visual neglect, and it wins over "
        "their choice."))

    @field_validator("stage", mode="before")
    @classmethod
    def _stage_as_typed(cls, value: Any) -> Any:
        # The program form sends its choice as text ("2"); a YAML `stage: Newest` means newest too.
        if isinstance(value, str) and (value.strip().isdigit() or value.strip().lower() == "newest"):
            return int(value) if value.strip().isdigit() else "newest"
        return value

    @field_validator("adapt", mode="before")
    @classmethod
    def _adapt_on_or_off(cls, value: Any) -> Any:
        # `adapt: off` / `adapt: on` (YAML's booleans) set all three at once.
        if isinstance(value, bool):
            return {"target": value, "hold": value, "pace": value}
        return value


class ExerciseEntry(ExerciseSettings):
    """One exercise in the program, done in the order listed."""

    exercise: ExerciseId = Field(description=(
        "Which exercise: power_grip, pinch, thumb_flex_ext, table_roll, finger_flexion, thumb_roll, "
        "finger_squeeze or thumb_opposition."))
    finger_pairs: list[FingerPair] | None = Field(None, min_length=1, max_length=6, description=(
        "finger_squeeze only: the finger pairs to work, in order (index-middle, middle-ring, ring-little). "
        "Each pair gets its own sets and reps. Default: all three."))
    game: GameId | None = Field(None, description=(
        "Which game the patient plays this exercise with, where it has more than one: power_grip: bird or "
        "balloon; table_roll: boat or marble. The movement, the counting and the targets are the same in "
        "each; only the picture differs. Leave it out to let the patient choose (the game remembers their "
        "choice)."))


class Level(_Settings):
    """A patient's exercise program for one session."""

    name: str = Field(min_length=1, max_length=60, description="The program's name, as shown in the game.")
    description: str = Field("", max_length=600, description="A sentence or two for the therapist and patient.")
    hand: Hand = Field("either", description="The hand this program is written for: left, right or either.")
    defaults: ExerciseSettings | None = Field(None, description=(
        "Settings shared by every exercise below, unless an exercise gives its own."))
    exercises: list[ExerciseEntry] = Field(min_length=1, max_length=24, description=(
        "The exercises, in order. Each starts with `- exercise:` and its name."))
    target_success_pct: float = Field(75, ge=50, le=95, description=(
        "How often the patient should succeed, in %: the game makes the target easier or harder to "
        "keep success near this. Default 75."))
    success_low_pct: float = Field(65, ge=30, le=95, description=(
        "Below this success rate (%) in a set, the game makes the next set easier. Default 65."))
    success_high_pct: float = Field(85, ge=50, le=100, description=(
        "Above this success rate (%) in a set, the game makes the next set harder. Default 85."))
    adapt: bool = Field(True, description="Let the game adjust the difficulty (true or false). Default true.")
    session_cap_min: float = Field(45, ge=1, le=120, description=(
        "The session stops after this many minutes, whatever is left. Default 45."))
    warmup: bool = Field(True, description="Start with a short, easy warm-up (true or false). Default true.")
    calibrate_first: bool = Field(False, description=(
        "Measure the patient's strongest squeeze before the exercises (true or false). Default false."))
    daily_rep_ceiling: int = Field(300, ge=10, le=1000, description=(
        "Most repetitions in one day, across all sessions. Default 300."))
    progression_reps: int = Field(2, ge=0, le=10, description=(
        "Repetitions added to each set after a good session (success met, no fatigue, pain 3 or less). "
        "0 keeps the dose fixed. Default 2."))

    # ------------------------------------------------------------ plan
    def exercise_plans(self) -> tuple[ExercisePlan, ...]:
        plans: list[ExercisePlan] = []
        for entry in self.exercises:
            values = _merged(self.defaults, entry)
            if entry.exercise == "finger_squeeze":
                # One plan per pair, so each pair gets its own sets and reps and the
                # records name the pair.
                for pair in entry.finger_pairs or FINGER_PAIRS:
                    plans.append(ExercisePlan(entry.exercise, finger_pairs=(pair,), **values))
            else:
                plans.append(ExercisePlan(entry.exercise, game=entry.game, **values))
        return tuple(plans)

    def to_plan(self, source_file: str | None = None) -> SessionPlan:
        return SessionPlan(
            name=self.name,
            exercises=self.exercise_plans(),
            target_success=self.target_success_pct / 100,
            success_band=(self.success_low_pct / 100, self.success_high_pct / 100),
            adapt=self.adapt,
            session_cap_min=float(self.session_cap_min),
            warmup=self.warmup,
            calibrate_first=self.calibrate_first,
            daily_rep_ceiling=self.daily_rep_ceiling,
            progression_reps=self.progression_reps,
            hand=None if self.hand == "either" else self.hand,
            source_file=source_file,
        )

    @property
    def total_reps(self) -> int:
        return sum(p.sets * p.reps for p in self.exercise_plans())


_PLAN_DEFAULTS = ExercisePlan("power_grip")
# Level settings in % that the plan keeps as fractions of the calibrated roll range.
ROLL_PCT_FIELDS = {"roll_target_pct": "roll_target", "roll_target_min_pct": "roll_target_min",
                   "roll_target_max_pct": "roll_target_max"}


def _plan_default(name: str) -> Any:
    """The plan's default for a level setting, in the level's unit."""
    if name in ROLL_PCT_FIELDS:
        return round(getattr(_PLAN_DEFAULTS, ROLL_PCT_FIELDS[name]) * 100, 6)
    return getattr(_PLAN_DEFAULTS, name)


def _setting(defaults: ExerciseSettings | None, entry: ExerciseSettings, name: str) -> Any:
    value = getattr(entry, name)
    if value is None and defaults is not None:
        value = getattr(defaults, name)
    return value


def _merged(defaults: ExerciseSettings | None, entry: ExerciseSettings) -> dict[str, Any]:
    """The ExercisePlan keyword arguments: the entry's value, else ``defaults``, else the plan default."""
    out: dict[str, Any] = {}
    for name in ExerciseSettings.model_fields:
        value = _setting(defaults, entry, name)
        if value is None:
            continue
        if name in ROLL_PCT_FIELDS:
            out[ROLL_PCT_FIELDS[name]] = value / 100
        elif name == "detector":
            # The entry's timings override the shared ones one by one.
            timings = {}
            for src in (defaults.detector if defaults else None, entry.detector):
                if src is not None:
                    timings.update(src.model_dump(exclude_none=True))
            out["detector"] = {k: float(v) for k, v in timings.items()}
        elif name == "adapt":
            # Line by line too: the exercise's own lines override the shared ones.
            allowed: dict[str, bool] = {}
            for src in (defaults.adapt if defaults else None, entry.adapt):
                if src is not None:
                    allowed.update({k: getattr(src, k) for k in src.model_fields_set})
            out.update({f"adapt_{k}": v for k, v in allowed.items()})
        else:
            out[name] = value
    return out


# ------------------------------------------------------------- problems
@dataclass(frozen=True)
class LevelProblem:
    """One thing wrong with a level file, in words a therapist can act on."""

    file: str
    line: int | None
    message: str
    field: str | None = None  # where in the file, e.g. "exercises[2].reps"
    column: int | None = None  # given where the line alone does not show the spot (an invisible character)

    @property
    def position(self) -> str:
        """'line 7, column 10', 'line 7' or '' for a problem with the whole file."""
        if not self.line:
            return ""
        return _('line {line}, column {column}').format(line=self.line, column=self.column) if self.column else _('line {line}').format(line=self.line)

    def __str__(self) -> str:
        where = f"{self.file} {self.position}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LoadedLevel:
    """A level file as read from disk: the level, or the problems that stop it."""

    path: Path
    display: str  # how the file is named in messages, e.g. "levels/home.yaml"
    level: Level | None
    problems: tuple[LevelProblem, ...] = ()
    stamp: tuple[int, int, int] = (0, 0, 0)  # (mtime_ns, size, inode) when read

    @property
    def ok(self) -> bool:
        return self.level is not None and not self.problems

    @property
    def title(self) -> str:
        return self.level.name if self.level is not None else self.path.stem.replace("_", " ").capitalize()

    def plan(self) -> SessionPlan:
        if self.level is None:
            raise LevelError(self.problems)
        return self.level.to_plan(str(self.path))


class LevelError(ValueError):
    def __init__(self, problems: Sequence[LevelProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# ------------------------------------------------------------- loading
def display_name(path: Path) -> str:
    """``levels/home.yaml``: the folder and file, short enough for a message."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def file_stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def load_level(path: str | Path, display: str | None = None) -> LoadedLevel:
    """Read and check one level file. Never raises for anything in or about the file."""
    path = Path(path)
    shown = display or display_name(path)
    try:
        stamp = file_stamp(path)
        if stamp[1] > MAX_FILE_BYTES:
            return _bad(path, shown, stamp, None, _too_big(stamp[1]))
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return _bad(path, shown, (0, 0, 0), None, _("the file is not there (was it moved or renamed?)"))
    except IsADirectoryError:
        return _bad(path, shown, (0, 0, 0), None, _("this is a folder, not a level file"))
    except OSError as exc:
        return _bad(path, shown, (0, 0, 0), None, _('the file cannot be read ({value})').format(value=exc.strerror or exc))
    if len(data) > MAX_FILE_BYTES:
        return _bad(path, shown, stamp, None, _too_big(len(data)))
    try:
        level, problems = parse_level_bytes(data, shown)
    except Exception as exc:  # noqa: BLE001 - last guard: a level file must never stop the game
        # Every known fault has its own message above (tests/test_level_fuzz.py keeps
        # it so); this only keeps a kiosk from restarting forever on an unforeseen one.
        log.exception("level file %s could not be checked", path)
        return _bad(path, shown, stamp, None, _('the file could not be read as a level ({name}); check it with `python main.py levels check` or send it to support').format(name=type(exc).__name__))
    return LoadedLevel(path, shown, level, tuple(problems), stamp)


def load_level_or_raise(path: str | Path) -> Level:
    loaded = load_level(path)
    if not loaded.ok:
        raise LevelError(loaded.problems)
    assert loaded.level is not None
    return loaded.level


def _bad(path: Path, shown: str, stamp: tuple[int, int, int], line: int | None, message: str) -> LoadedLevel:
    return LoadedLevel(path, shown, None, (LevelProblem(shown, line, message),), stamp)


def _too_big(n: int) -> str:
    return (_('the file is {value}; a level file is a few kilobytes and must be under {value2}. Is this the right file?').format(value=_size(n), value2=_size(MAX_FILE_BYTES)))


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


# Byte-order marks, longest first (UTF-32-LE's begins with UTF-16-LE's). Windows
# Notepad saves "Unicode" as UTF-16 with a BOM, and "UTF-8 with BOM" too.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))
_SAVE_AS_UTF8 = N_("save it as UTF-8 text (in Notepad: File, Save as, Encoding: UTF-8)")


def parse_level_bytes(data: bytes, shown: str = "level") -> tuple[Level | None, list[LevelProblem]]:
    """Check the raw bytes of a level file and build the level. UTF-8 (with or
    without a byte-order mark) and UTF-16/UTF-32 with a byte-order mark are read."""
    codec, label = "utf-8", "UTF-8"
    for bom, name, shown_name in _BOMS:
        if data.startswith(bom):
            codec, label = name, shown_name
            break
    if codec == "utf-8" and b"\x00" in data:  # no UTF-8 text holds a NUL byte: a picture, a program...
        at = data.index(b"\x00")
        line, col = _byte_position(data, at, codec)
        if _looks_like_utf16(data):
            msg = _('this looks like UTF-16 text saved without a byte-order mark, which cannot be read; {save_as_utf8}').format(save_as_utf8=_(_SAVE_AS_UTF8))
        else:
            msg = _("this is not a text file (it holds binary data); a level file is plain text written in a text editor")
        return None, [LevelProblem(shown, line, msg, column=col)]
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start, codec)
        return None, [LevelProblem(shown, line,
                                   _('this is not plain text in {label} (it holds binary data or an unusual text encoding); {save_as_utf8}').format(label=label, save_as_utf8=_(_SAVE_AS_UTF8)), column=col)]
    return parse_level_text(text, shown)


def _byte_position(data: bytes, at: int, codec: str) -> tuple[int, int]:
    """The line and column (both from 1) of byte ``at``, counting characters as an
    editor shows them. The bytes before ``at`` decode (a decoder stops at the first
    bad byte); "ignore" only drops a half character at the very end."""
    before = data[:at].decode(codec, errors="ignore")
    return _text_position(before, len(before))


def _looks_like_utf16(data: bytes) -> bool:
    """Mostly ASCII text with a NUL after (or before) every character."""
    head = data[:400]
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    return odd.count(0) >= 0.9 * len(odd) or even.count(0) >= 0.9 * len(even)


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a new line


def _text_position(text: str, at: int) -> tuple[int, int]:
    """Line and column (both from 1) of character ``at``, counting lines as YAML does."""
    line, start = 1, 0
    for m in _LINE_BREAK.finditer(text, 0, at):
        line, start = line + 1, m.end()
    return line, at - start + 1


def parse_level_text(text: str, shown: str = "level") -> tuple[Level | None, list[LevelProblem]]:
    """Check YAML text and build the level; returns (level or None, problems)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return None, [LevelProblem(shown, None, _too_big(size))]
    # Cheap bounds before the (pure Python) parser sees the text, so no file makes
    # the picker stall: every YAML value needs a line, a comma or a bracket.
    if text.count("\n") + text.count(",") > MAX_VALUES:
        return None, [LevelProblem(shown, None, _('it holds more than {max_values:,} lines and list items; a level file needs a few hundred at most, so it was not loaded').format(max_values=MAX_VALUES))]
    if text.count("[") + text.count("{") > MAX_DEPTH:
        too_deep = _too_deep_at(text)
        if too_deep is not None:
            line, col = _text_position(text, too_deep)
            return None, [LevelProblem(shown, line, _('lists or groups are nested more than {max_depth} deep').format(max_depth=MAX_DEPTH),
                                       column=col)]
    try:
        root = yaml.compose(text, Loader=_LevelLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_problem(shown, exc)]
    except yaml.reader.ReaderError as exc:
        return None, [_character_problem(shown, text, exc)]
    except yaml.YAMLError as exc:
        return None, [LevelProblem(shown, None, _('this is not valid YAML ({exc})').format(exc=exc))]
    except RecursionError:
        return None, [LevelProblem(shown, None, _('lists or groups are nested too deeply (a level needs no more than {max_depth} levels)').format(max_depth=MAX_DEPTH))]
    if root is None:
        return None, [LevelProblem(shown, None, _("the file is empty. A level needs at least a `name` and a list "
                                                "of `exercises`; see levels/README.md for an example"))]
    problems = list(_check_nodes(root, shown))
    if problems:
        return None, problems
    if not isinstance(root, yaml.MappingNode):
        kind = _("a list") if isinstance(root, yaml.SequenceNode) else _("just the value '{value}'").format(value=_short(root.value))
        return None, [LevelProblem(shown, _line(root), _('the file holds {kind}; a level is a set of settings, one per line like `name: Home routine`').format(kind=kind))]
    # Safe: the nodes were checked above (only plain tags, bounded size, no cycles);
    # a value that does not fit its tag (`!!bool maybe`, `<<: 5`) is a problem here.
    try:
        data = _construct(root)
    except _NodeProblem as p:
        return None, [_construct_problem(shown, root, p)]
    try:
        level = Level.model_validate(data)
    except ValidationError as exc:
        return None, sorted(_validation_problems(exc, root, data, shown), key=lambda p: p.line or 0)
    problems = [LevelProblem(shown, _line(_find(root, loc)[0]), msg, _dotted(loc)) for loc, msg in _consistency(level)]
    return (None if problems else level), problems


def _too_deep_at(text: str) -> int | None:
    """Where brackets first nest deeper than MAX_DEPTH (an index in ``text``), or None."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return i
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


def _short(value: Any, n: int = 40) -> str:
    if isinstance(value, int) and value.bit_length() > 128:  # str() refuses over 4,300 digits
        return _('a number about {value:,} digits long').format(value=int(value.bit_length() * 0.30103) + 1)
    s = str(value)
    return s if len(s) <= n else s[: n - 1] + "…"


def _yaml_problem(shown: str, exc: yaml.MarkedYAMLError) -> LevelProblem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = (exc.problem or "").strip()
    if "expected a single document" in (exc.context or "") or "expected a single document" in problem:
        msg = _("the file holds more than one YAML document (a second `---` line); a level file is one document")
    elif "'\\t'" in problem:
        msg = _("a tab is used for indenting; YAML needs spaces (set your editor to insert spaces)")
    elif "unacceptable character" in problem or "special characters are not allowed" in problem:
        msg = _("the file holds a character that is not allowed in text; is this really a level file?")
    elif "mapping values are not allowed" in problem:
        msg = (_("a `:` is in the wrong place. Each setting goes on its own line as `name: value`, and a value "
               "containing `: ` needs quotes"))
    elif "could not find expected ':'" in problem:
        msg = _("a line has no `:`. Each setting is written `name: value`")
    elif "did not find expected key" in problem or "expected <block end>" in problem or "did not find expected '-'" in problem:
        msg = _("the indenting is uneven here. Settings in the same group must start in the same column")
    elif "found undefined alias" in problem or "found undefined anchor" in problem:
        msg = _('a `*` alias names an anchor that is not defined ({problem})').format(problem=problem)
    elif "found duplicate anchor" in problem:
        msg = _("the same `&` anchor name is defined twice")
    else:
        msg = _('this is not valid YAML: {value}').format(value=problem or exc)
    return LevelProblem(shown, line, msg)


_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")}
_MERGE = "tag:yaml.org,2002:merge"
# What a value must look like for each tag, in the words of describe_field.
_TAG_NEEDS = {"str": N_("text"), "int": N_("a whole number"), "float": N_("a number"), "bool": N_("true or false"),
              "null": N_("empty"), "map": N_("a group of settings"), "seq": N_("a list"), "merge": N_("a group of settings")}


class _LevelLoader(yaml.SafeLoader):
    """SafeLoader that reads a level the way a therapist means it.

    A date (``2024-05-01``) and a lone ``=`` stay text instead of becoming a date or
    YAML's obscure "value" type; a setting's name is its text as written (``1:`` and
    ``yes:`` are names, not a number and a boolean), so a wrong one is reported as
    an unknown setting; a value that does not fit its explicit tag, and a ``<<``
    merge of something other than a group, become a :class:`_NodeProblem` that
    names the node, instead of the constructor's bare ``KeyError``/``ValueError``.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers
                if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (_NodeProblem, RecursionError):
            raise
        except (yaml.YAMLError, ValueError, LookupError, TypeError, OverflowError) as exc:
            # `!!bool maybe` is a KeyError, `!!float ''` an IndexError, `!!binary ###` a
            # ValueError (binascii.Error), and so is int("9" * 5000) (Python's digit limit).
            raise _NodeProblem(node, "", cause=exc) from exc

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for sub in merged:
                    if not isinstance(sub, yaml.MappingNode):
                        raise _NodeProblem(sub, _merge_message(sub))
        super().flatten_mapping(node)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise _NodeProblem(node, "")
        self.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = _("a list") if isinstance(key_node, yaml.SequenceNode) else _("a group of settings")
                raise _NodeProblem(key_node, _("{kind} is written where a setting's name belongs; each setting is written `name: value`").format(kind=kind))
            out[key_node.value] = self.construct_object(value_node, deep=deep)
        return out

    # The base class raises a ConstructorError for the wrong kind of node from inside
    # a generator that runs after construct_object returned; raising here keeps the node.
    def construct_sequence(self, node: yaml.Node, deep: bool = False) -> list[Any]:
        if not isinstance(node, yaml.SequenceNode):
            raise _NodeProblem(node, "")
        return super().construct_sequence(node, deep)

    def construct_scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _NodeProblem(node, "")
        return super().construct_scalar(node)


# A lone `<<` written as a value is text, not a merge.
_LevelLoader.add_constructor(_MERGE, lambda loader, node: loader.construct_scalar(node))


def _construct(root: yaml.Node) -> Any:
    loader = _LevelLoader("")
    try:
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:  # anything the overrides above did not place: found by its mark
        mark = exc.problem_mark or exc.context_mark
        raise _NodeProblem(_node_at(root, mark.index if mark else -1) or root, "", cause=exc) from exc
    except (ValueError, LookupError, TypeError, OverflowError) as exc:
        raise _NodeProblem(root, "", cause=exc) from exc
    finally:
        loader.dispose()


def _node_at(root: yaml.Node, index: int) -> yaml.Node | None:
    """The innermost node that starts at character ``index``."""
    found = None
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.start_mark.index == index:
            found = node
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return found


def _merge_message(node: yaml.Node) -> str:
    got = _node_got(node)
    return (_('`<<:` merges a group of settings into this one (written `<<: *name`, with `&name` on the group); it must be followed by a group or a list of groups, got {got}').format(got=got))


def _node_got(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return _("a list")
    if isinstance(node, yaml.MappingNode):
        return _("a group of settings")
    value = str(node.value)
    if len(value) > 60 and value.isdigit():
        return _('a number {n:,} digits long').format(n=len(value))
    return f"'{_short(value)}'" if value else _("nothing (the value is empty)")


def _path_to(root: yaml.Node, target: yaml.Node) -> tuple[int | str, ...] | None:
    """The settings path (as pydantic writes it) from the root to ``target``."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[int | str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k is target:
                    return path
                name = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, (*path, name)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return None


def _construct_problem(shown: str, root: yaml.Node, p: _NodeProblem) -> LevelProblem:
    """A value YAML could not build, explained by the setting it belongs to."""
    node = p.node
    loc = _path_to(root, node) or ()
    name = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
    fi = _field_info(loc) if loc else None
    where = _where(loc, None)
    subject = f"`{name}`{where}" if name else _("the value on this line")
    if p.message:
        msg = p.message
    else:
        tag = (node.tag or "").rsplit(":", 1)[-1]
        got = _node_got(node)
        if tag == "int" and isinstance(node, yaml.ScalarNode) and len(str(node.value)) > 60:
            need = describe_field(*fi) if fi else _("a number of a few digits")
            msg = _('{subject} must be {need}, got {got}').format(subject=subject, need=need, got=got)
        elif tag in _TAG_NEEDS:
            msg = (_('{subject} is marked `!!{tag}`, which must be {value}, but it holds {got}. Remove `!!{tag}` (a level file needs no `!!` marks) or correct the value').format(subject=subject, tag=tag, value=_(_TAG_NEEDS[tag]), got=got))
        else:
            msg = _('{subject} cannot be read ({value}); write it as plain text').format(subject=subject, value=_short(p.cause or 'unknown value', 80))
    return LevelProblem(shown, _line(node), msg, _dotted(loc) if loc and "<<" not in loc else None)


def _character_problem(shown: str, text: str, exc: yaml.reader.ReaderError) -> LevelProblem:
    """A character YAML does not allow (a control character, usually invisible), by line and column."""
    at = exc.position if isinstance(exc.position, int) and 0 <= exc.position <= len(text) else 0
    line, col = _text_position(text, at)
    ch = exc.character
    code = f"U+{ch:04X}" if isinstance(ch, int) else "?"
    return LevelProblem(shown, line, _('there is an invisible control character ({code}) here, which a level file cannot hold; delete it (retyping the line removes it)').format(code=code), column=col)


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _check_nodes(root: yaml.Node, shown: str) -> Iterator[LevelProblem]:
    """Tags, size after alias expansion, depth and repeated keys: checked on the node
    graph before anything is constructed, so none of it can build an object or hang."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    seen_alias = False

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal seen_alias
        key = id(node)
        if key in sizes:
            seen_alias = True  # a node reached twice is shared through an alias
            return sizes[key]
        if key in on_path:
            raise _NodeProblem(node, _("an alias (`*`) refers to the group that contains it, which would never end"))
        if depth > MAX_DEPTH:
            raise _NodeProblem(node, _('lists or groups are nested more than {max_depth} deep').format(max_depth=MAX_DEPTH))
        tag = node.tag or ""
        if tag not in _PLAIN_TAGS:
            if tag.startswith("tag:yaml.org,2002:python/"):
                raise _NodeProblem(node, _('the tag `!!{value}` tries to build a Python object; a level file holds plain settings only, so it was not loaded').format(value=tag.split(':', 2)[2]))
            shown_tag = "!!" + tag.split(":", 2)[2] if tag.startswith("tag:yaml.org,2002:") else tag
            raise _NodeProblem(node, _('the tag `{shown_tag}` is not allowed in a level file; remove it').format(shown_tag=shown_tag))
        on_path.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in keys and k.tag != "tag:yaml.org,2002:merge":
                        raise _NodeProblem(k, _('`{value}` is given twice (first on line {value2}); keep one').format(value=_short(k.value), value2=keys[k.value]))
                    keys[k.value] = _line(k) or 0
                total += size(k, depth + 1) + size(v, depth + 1)
                if total > MAX_VALUES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > MAX_VALUES:
                    break
        on_path.discard(key)
        sizes[key] = total
        if total > MAX_VALUES:
            what = (_("its anchors (`&`) and aliases (`*`) expand to") if seen_alias else _("it holds"))
            raise _NodeProblem(node, _('{what} more than {max_values:,} values; a level file needs a few hundred at most, so it was not loaded').format(what=what, max_values=MAX_VALUES))
        return total

    try:
        size(root, 0)
    except _NodeProblem as p:
        yield LevelProblem(shown, _line(p.node), p.message)


class _NodeProblem(Exception):
    def __init__(self, node: yaml.Node, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.node, self.message, self.cause = node, message, cause


# ---------------------------------------------- validation -> plain words
def _find(root: yaml.Node, loc: Sequence[int | str]) -> tuple[yaml.Node, bool]:
    """The YAML node at a pydantic error location (or the deepest one found), and
    whether the whole path was found."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    node = v
                    break
            else:
                return node, False
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return node, False
    return node, True


def _key_node(root: yaml.Node, loc: Sequence[int | str]) -> yaml.Node | None:
    parent, found = _find(root, loc[:-1])
    if found and isinstance(parent, yaml.MappingNode):
        for k, _v in parent.value:
            if isinstance(k, yaml.ScalarNode) and k.value == loc[-1]:
                return k
    return None


def _dotted(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (None if ``loc`` is not a model)."""
    model: type[BaseModel] | None = Level
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _inner_model(info.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    for t in _flatten(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _flatten(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin in (Union, list) or (origin is not None and str(origin) == "types.UnionType"):
        out = []
        for a in get_args(annotation):
            out.extend(_flatten(a))
        return out
    import types

    if isinstance(annotation, types.UnionType):
        out = []
        for a in get_args(annotation):
            out.extend(_flatten(a))
        return out
    return [annotation]


def _field_info(loc: Sequence[int | str]) -> tuple[str, FieldInfo] | None:
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return None
    # The field is the last name in the path; its model is the one holding it.
    idx = max(i for i, p in enumerate(loc) if isinstance(p, str))
    model = _model_at(loc[:idx])
    if model is None:
        return None
    info = model.model_fields.get(str(loc[idx]))
    return (str(loc[idx]), info) if info is not None else None


def _bounds(info: FieldInfo) -> tuple[float | None, float | None, int | None, int | None]:
    ge = le = min_len = max_len = None
    for m in info.metadata:
        ge = getattr(m, "ge", ge)
        le = getattr(m, "le", le)
        min_len = getattr(m, "min_length", min_len)
        max_len = getattr(m, "max_length", max_len)
    return ge, le, min_len, max_len


def _num(v: float) -> str:
    return f"{v:g}"


def _unit(name: str) -> str:
    return " (%)" if name.endswith("_pct") else ""


def _plural_n(v: float) -> int:
    """The number that picks a plural form: a whole number as it is, any other (0.5) as many."""
    return int(v) if float(v).is_integer() else 2


def _with_unit(word: str, name: str, ge: float | None, le: float | None) -> str:
    """'a number from 0 to 600 seconds', its unit's plural chosen by the highest number."""
    if ge is None or le is None:
        if name.endswith("_s"):
            return _("{word}, in seconds").format(word=word)
        if name.endswith("_min"):
            return _("{word}, in minutes").format(word=word)
        return word + _unit(name)
    if name.endswith("_s"):
        return ngettext("{word} from {value} to {value2} second", "{word} from {value} to {value2} seconds",
                        _plural_n(le)).format(word=word, value=_num(ge), value2=_num(le))
    if name.endswith("_min"):
        return ngettext("{word} from {value} to {value2} minute", "{word} from {value} to {value2} minutes",
                        _plural_n(le)).format(word=word, value=_num(ge), value2=_num(le))
    return _('{word} from {value} to {value2}{value3}').format(word=word, value=_num(ge), value2=_num(le),
                                                               value3=_unit(name))


def describe_field(name: str, info: FieldInfo) -> str:
    """What a field accepts, in plain words: 'a whole number from 1 to 100'."""
    kinds = [t for t in _flatten(info.annotation) if t is not type(None)]
    ge, le, min_len, max_len = _bounds(info)
    kind = kinds[0] if kinds else None
    if kind is bool:
        return _("true or false")
    if kind is int or kind is float:
        word = _("a whole number") if kind is int else _("a number")
        return _with_unit(word, name, ge, le)
    if kind is str:
        return _('text of up to {max_len} characters').format(max_len=max_len) if max_len else _("text")
    if get_origin(kind) is Literal:
        return _("one of: ") + ", ".join(str(a) for a in get_args(kind))
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        if kind is AdaptSettings:
            return (_("`off`, `on`, or a group of `target`, `hold` and `pace`, each true or false "
                    "(like `{target: true, hold: false, pace: true}`)"))
        if kind is ExerciseEntry:
            return _("a list of exercises, each starting with `- exercise:`")
        return _("a group of settings, each on its own indented line (like `  sets: 3`)")
    if get_origin(kind) is list or name in ("exercises", "finger_pairs"):
        if name == "finger_pairs":
            return _("a list of finger pairs, from: ") + ", ".join(FINGER_PAIRS)
        return _("a list of exercises, each starting with `- exercise:`")
    return _("a different value")


def _got(value: Any) -> str:
    if value is None:
        return _("nothing (the value is empty)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{_short(value)}'" + (_(" in quotes (write the number without quotes)") if _looks_numeric(value) else "")
    if isinstance(value, dict):
        return _("a group of settings")
    if isinstance(value, list):
        return _('a list of {n}').format(n=len(value))
    return _short(value)


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _suggest(word: str, options: Iterable[str]) -> str | None:
    options = list(options)
    norm = {o.lower().replace("-", "_").replace(" ", "_"): o for o in options}
    w = str(word).lower().replace("-", "_").replace(" ", "_")
    if w in norm:
        return norm[w]
    close = difflib.get_close_matches(w, list(norm), n=1, cutoff=0.6)
    return norm[close[0]] if close else None


def _exercise_suggestion(value: str) -> str | None:
    by_name = {e.name.lower(): e.id for e in EXERCISES}
    if str(value).lower() in by_name:
        return by_name[str(value).lower()]
    hit = _suggest(value, list(BY_ID) + list(by_name))
    return by_name.get(hit, hit) if hit else None


def _where(loc: Sequence[int | str], data_root: Any) -> str:
    """' in exercise 2 (pinch)' for a location inside the exercise list."""
    if len(loc) >= 2 and loc[0] == "exercises" and isinstance(loc[1], int):
        ex = None
        if isinstance(data_root, dict) and isinstance(data_root.get("exercises"), list):
            items = data_root["exercises"]
            if 0 <= loc[1] < len(items) and isinstance(items[loc[1]], dict):
                ex = items[loc[1]].get("exercise")
        return _(' in exercise {value}').format(value=loc[1] + 1) + (f" ({_short(ex)})" if isinstance(ex, str) else "")
    if loc and loc[0] == "defaults":
        return _(" in `defaults`")
    return ""


def _validation_problems(exc: ValidationError, root: yaml.Node, data: Any, shown: str) -> list[LevelProblem]:
    problems: list[LevelProblem] = []
    seen: set[tuple] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        key = (loc, kind)
        if key in seen:
            continue
        seen.add(key)
        line: int | None
        name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        where = ""
        if kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = list(model.model_fields) if model else []
            knode = _key_node(root, loc)
            line = _line(knode) if knode is not None else _line(_find(root, loc)[0])
            where = _where(loc[:-1], data) or (_(" at the top of the file") if len(loc) == 1 else "")
            bad = loc[-1]
            guess = _suggest(str(bad), allowed)
            if guess:
                msg = _('`{value}` is not a setting{where}. Did you mean `{guess}`?').format(value=_short(bad), where=where, guess=guess)
            else:
                msg = _('`{value}` is not a setting{where}. Allowed here: ').format(value=_short(bad), where=where) + ", ".join(allowed)
            problems.append(LevelProblem(shown, line, msg, _dotted(loc)))
            continue
        node, found = _find(root, loc)
        line = _line(node)
        where = _where(loc, data)
        fi = _field_info(loc)
        if kind == "missing":
            need = describe_field(*fi) if fi else _("a value")
            if name == "exercise":
                msg = _('an exercise{value} has no `exercise:` line; it must say which one: {value2}').format(value=where.replace(' in ', ' (', 1) + ')' if where else '', value2=', '.join(BY_ID))
            else:
                msg = _('`{name}` is missing{where}; it must be {need}').format(name=name, where=where, need=need)
            problems.append(LevelProblem(shown, line, msg, _dotted(loc)))
            continue
        if kind in ("too_short", "too_long") and fi:
            n_name, info = fi
            _ge, _le, mn, mx = _bounds(info)
            if n_name == "exercises":
                msg = (_("`exercises` must list at least one exercise") if kind == "too_short"
                       else _('`exercises` lists too many; the most is {mx}').format(mx=mx))
            elif n_name == "finger_pairs":
                msg = (_('`finger_pairs`{where} must name at least one pair ({value})').format(where=where, value=', '.join(FINGER_PAIRS))
                       if kind == "too_short" else _('`finger_pairs`{where} names too many; the most is {mx}').format(where=where, mx=mx))
            else:
                limit = _('at least {mn}').format(mn=mn) if kind == "too_short" else _('at most {mx}').format(mx=mx)
                msg = _('`{n_name}`{where} must be {limit} characters long').format(n_name=n_name, where=where, limit=limit)
            problems.append(LevelProblem(shown, line, msg, _dotted(loc)))
            continue
        if fi is None:
            msg = f"{err.get('msg', 'this value is not allowed')}"
            problems.append(LevelProblem(shown, line, msg, _dotted(loc)))
            continue
        fname, info = fi
        list_item = isinstance(loc[-1], int)
        need = describe_field(fname, info)
        if list_item and fname == "finger_pairs":
            need = _("one of: ") + ", ".join(FINGER_PAIRS)
        if list_item and fname == "exercises":
            need = _("an exercise with its settings, starting with `exercise:`")
        subject = _('every entry in `{fname}`').format(fname=fname) if list_item else f"`{fname}`"
        msg = _('{subject}{where} must be {need}, got {value}').format(subject=subject, where=where, need=need, value=_got(value))
        if kind == "literal_error" and isinstance(value, str):
            guess = _exercise_suggestion(value) if fname == "exercise" else _suggest(
                value, [str(a) for t in _flatten(info.annotation) for a in get_args(t)] or FINGER_PAIRS)
            if guess and guess != value:
                msg += _('. Did you mean `{guess}`?').format(guess=guess)
        problems.append(LevelProblem(shown, line, msg, _dotted(loc)))
    # A misspelt key already says "did you mean `exercises`?"; saying `exercises`
    # is missing as well would be noise.
    meant = {p.message.rsplit("`", 2)[-2] for p in problems if "Did you mean `" in p.message and " is not a setting" in p.message}
    return [p for p in problems if not (p.message.startswith("`") and "` is missing" in p.message
                                        and p.message[1:].split("`", 1)[0] in meant)]


def _consistency(level: Level) -> list[tuple[tuple[int | str, ...], str]]:
    """Checks across fields: each start value inside its bounds, the success band
    around the aim, finger pairs only for finger squeeze, and the dose under the
    daily ceiling. Each points at the setting the therapist wrote."""
    out: list[tuple[tuple[int | str, ...], str]] = []
    d = level.defaults

    def loc_of(i: int, name: str) -> tuple[int | str, ...]:
        if getattr(level.exercises[i], name) is not None:
            return ("exercises", i, name)
        if d is not None and getattr(d, name) is not None:
            return ("defaults", name)
        return ("exercises", i)

    for i, entry in enumerate(level.exercises):
        label = _('exercise {value} ({exercise})').format(value=i + 1, exercise=entry.exercise)
        for start, lo, hi, unit in (("target_pct", "target_min_pct", "target_max_pct", "%"),
                                    ("hold_s", "hold_min_s", "hold_max_s", " s"),
                                    ("cue_s", "cue_min_s", "cue_max_s", " s"),
                                    ("roll_target_pct", "roll_target_min_pct", "roll_target_max_pct", "%")):
            v = {n: _setting(d, entry, n) for n in (start, lo, hi)}
            v = {n: (x if x is not None else _plan_default(n)) for n, x in v.items()}
            if v[lo] > v[hi]:
                out.append((loc_of(i, lo), _('{label}: `{lo}` ({value}{unit}) is above `{hi}` ({value2}{unit}); the lowest must not be above the highest').format(label=label, lo=lo, value=_num(v[lo]), unit=unit, hi=hi, value2=_num(v[hi]))))
            elif not v[lo] <= v[start] <= v[hi]:
                out.append((loc_of(i, start), _('{label}: `{start}` ({value}{unit}) must be between `{lo}` ({value2}{unit}) and `{hi}` ({value3}{unit})').format(label=label, start=start, value=_num(v[start]), unit=unit, lo=lo, value2=_num(v[lo]), hi=hi, value3=_num(v[hi]))))
        adapt = _setting(d, entry, "adapt")
        if not level.adapt and adapt is not None:
            on = [k for k in AdaptSettings.model_fields if getattr(adapt, k)]
            if on:
                out.append((loc_of(i, "adapt"), _("{label}: `adapt` lets the game change {value}, but the program's `adapt: false` turns all adapting off; remove one of them").format(label=label, value=', '.join(on))))
        if entry.game is not None and not fits(entry.exercise, entry.game):
            owner = BY_GAME_ID[entry.game].exercise
            own = choices_for(entry.exercise)
            fix = (_('for {exercise} choose {value}').format(exercise=entry.exercise, value=' or '.join((g.id for g in own))) if own
                   else _('{exercise} has one game, so remove `game` here').format(exercise=entry.exercise))
            out.append((("exercises", i, "game"), _('{label}: `game: {game}` is a {owner} game; {fix}').format(label=label, game=entry.game, owner=owner, fix=fix)))
        if entry.finger_pairs is not None:
            if entry.exercise != "finger_squeeze":
                out.append((("exercises", i, "finger_pairs"),
                            _('{label}: `finger_pairs` is for finger_squeeze only; remove it here').format(label=label)))
            elif len(set(entry.finger_pairs)) != len(entry.finger_pairs):
                twice = next(p for p in entry.finger_pairs if entry.finger_pairs.count(p) > 1)
                out.append((("exercises", i, "finger_pairs"), _('{label}: the pair {twice} is listed twice').format(label=label, twice=twice)))
    if not level.success_low_pct < level.target_success_pct < level.success_high_pct:
        out.append((("target_success_pct",),
                    _('`target_success_pct` ({value}%) must be between `success_low_pct` ({value2}%) and `success_high_pct` ({value3}%)').format(value=_num(level.target_success_pct), value2=_num(level.success_low_pct), value3=_num(level.success_high_pct))))
    if not out and level.total_reps > level.daily_rep_ceiling:
        out.append((("daily_rep_ceiling",),
                    _('the program asks for {total_reps} repetitions, more than the daily ceiling of {daily_rep_ceiling}; use fewer sets or reps, or raise `daily_rep_ceiling`').format(total_reps=level.total_reps, daily_rep_ceiling=level.daily_rep_ceiling)))
    return out


# ------------------------------------------------------------- schema
def level_schema() -> dict[str, Any]:
    """JSON Schema for level files (editors use it to autocomplete and check)."""
    schema = Level.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Squeeze Quest level"
    return schema


def schema_text() -> str:
    return json.dumps(level_schema(), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------- library
def level_files(dirs: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        if d.is_dir():
            out.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml")))
    return out


def resolve_level(ref: str, dirs: Iterable[Path]) -> Path | None:
    """The file a level reference names: a path, a file name or a name without
    ``.yaml`` in one of the level folders (the clinic's own first)."""
    p = Path(ref).expanduser()
    if p.is_file():
        return p
    for d in reversed(list(dirs)):
        for cand in (d / ref, d / f"{ref}.yaml", d / f"{ref}.yml"):
            if cand.is_file():
                return cand
    return None


def level_ref(path: Path, dirs: Iterable[Path]) -> str:
    """How a patient's profile names a level: the file name if it is in a level
    folder, else the full path."""
    path = Path(path)
    for d in dirs:
        if path.parent.resolve() == Path(d).resolve():
            return path.name
    return str(path.resolve())


@dataclass
class LevelLibrary:
    """Every level file in the level folders, reloaded when one changes on disk.

    ``refresh`` only stats the files and rereads the ones whose time, size or inode
    changed; it is called by the level picker, never during a session.
    """

    dirs: tuple[Path, ...]
    entries: list[LoadedLevel] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dirs = tuple(Path(d) for d in self.dirs)
        self.entries = [load_level(p) for p in level_files(self.dirs)]

    def refresh(self) -> bool:
        """Reload changed, new and removed files; True if anything changed."""
        old = {e.path: e for e in self.entries}
        new: list[LoadedLevel] = []
        changed = False
        for p in level_files(self.dirs):
            prev = old.pop(p, None)
            try:
                stamp = file_stamp(p)
            except OSError:
                stamp = (0, 0, 0)
            if prev is not None and prev.stamp == stamp:
                new.append(prev)
            else:
                new.append(load_level(p))
                changed = True
        changed = changed or bool(old)
        self.entries = new
        return changed

    def get(self, path: Path) -> LoadedLevel | None:
        return next((e for e in self.entries if e.path == Path(path)), None)


def check_files(paths: Iterable[str | os.PathLike[str]]) -> list[LoadedLevel]:
    return [load_level(p) for p in paths]
