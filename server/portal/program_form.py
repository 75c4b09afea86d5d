"""The program editor's form, generated from the level file models (game/levels.py).

Every input is one setting of the level file: its name in the form is the setting's path as
`levels check` names it (``exercises[2].reps``), its hint is the field's own description,
bounds and unit. A submitted form becomes the level's data, then YAML text, and that text is
checked by the very function that checks a file (:func:`game.levels.parse_level_text`): the
portal has no validator of its own, and its messages are the words of ``levels check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from game.i18n import N_, _
from game.levels import (  # the exercises too, from wherever the level models take them
    BY_ID,
    EXERCISES,
    FINGER_PAIRS,
    AdaptSettings,
    DetectorSettings,
    ExerciseEntry,
    ExerciseSettings,
    Level,
    LevelProblem,
    _bounds,
    _flatten,
    describe_field,
    parse_level_text,
)
from server.portal.level_words import translated

# Each setting's label (its name in the file, in words), marked for the catalogue; a setting
# added to the level models later shows its name in English until it is added here.
_LABELS = frozenset((
    N_("Name"), N_("Description"), N_("Hand"), N_("Target success"), N_("Success low"), N_("Success high"),
    N_("Adapt"), N_("Session cap"), N_("Warmup"), N_("Calibrate first"), N_("Daily rep ceiling"),
    N_("Progression reps"), N_("Sets"), N_("Reps"), N_("Rest"), N_("Target"), N_("Target min"), N_("Target max"),
    N_("Hold"), N_("Hold min"), N_("Hold max"), N_("Cue"), N_("Cue min"), N_("Cue max"), N_("Release window"),
    N_("Roll target"), N_("Roll target min"), N_("Roll target max"), N_("Stage"), N_("Game"), N_("Start"),
    N_("Start confirm"), N_("End confirm"), N_("Min rep"), N_("Min gap"), N_("No release"), N_("Dip tolerance"),
    N_("Rezero after"), N_("Release share"), N_("Settle"), N_("Valley split"), N_("Pace"),
))


def label_of(name: str) -> str:
    """A setting's name in words, in the request's language: target_min_pct -> Target min."""
    words = re.sub(r"_(pct|s|min)$", "", name).replace("_", " ")
    words = words[:1].upper() + words[1:]
    return _(words) if words in _LABELS else words

SHOWN_AS = "program"  # how the checked text is named in messages ("program line 7: ...")
# Settings kept in their own group on the form: their own models, drawn apart.
_GROUPS = ("detector", "adapt", "finger_pairs", "exercise", "defaults", "exercises")


@dataclass(frozen=True)
class FieldSpec:
    """One input of the form: a level setting, with what the model says about it."""

    path: str  # "exercises[2].reps": the form name, and the problem's field in `levels check`
    name: str  # "reps": the setting's name in the file
    kind: str  # "int", "float", "bool", "text", "longtext", "choice"
    description: str
    allowed: str  # describe_field(): "a whole number from 1 to 100"
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    default: Any = None

    @property
    def dom_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", self.path).strip("-")

    @property
    def label(self) -> str:
        return label_of(self.name)


def _unit(name: str) -> str:
    if name.endswith("_pct"):
        return "%"
    if name.endswith("_s"):
        return _("seconds")
    if name.endswith("_min"):
        return _("minutes")
    return ""


def _spec(path: str, name: str, info: FieldInfo) -> FieldSpec | None:
    kinds = [t for t in _flatten(info.annotation) if t is not type(None)]
    kind_t = kinds[0] if kinds else None
    ge, le, _mn, max_len = _bounds(info)
    default = None if info.is_required() else info.default
    common = dict(path=path, name=name, description=translated(info.description or ""),
                  allowed=describe_field(name, info),
                  required=info.is_required(), default=default)
    if kind_t is bool:
        return FieldSpec(kind="bool", **common)
    if kind_t in (int, float):
        return FieldSpec(kind="int" if kind_t is int else "float", unit=_unit(name), minimum=ge, maximum=le, **common)
    if kind_t is str:
        return FieldSpec(kind="longtext" if (max_len or 0) > 100 else "text", maximum=max_len, **common)
    if get_origin(kind_t) is Literal:
        return FieldSpec(kind="choice", choices=tuple(str(a) for a in get_args(kind_t)), **common)
    return None  # groups (defaults, exercises, detector, adapt, finger_pairs) are drawn by their own parts


def _specs(model: type[BaseModel], prefix: str, skip: Iterable[str] = ()) -> list[FieldSpec]:
    out = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        spec = _spec(f"{prefix}{name}", name, info)
        if spec is not None:
            out.append(spec)
    return out


def program_fields() -> list[FieldSpec]:
    """The program's own settings (name, hand, success band, session cap...)."""
    return _specs(Level, "", skip=("defaults", "exercises"))  # its `adapt` is one switch for the whole program


def exercise_fields(prefix: str) -> list[FieldSpec]:
    """Sets, reps, rest, targets, holds, pace and their bounds, for ``defaults.`` or ``exercises[n].``."""
    return _specs(ExerciseSettings, prefix, skip=_GROUPS)


def entry_fields(prefix: str) -> list[FieldSpec]:
    """An exercise entry's own settings beyond the shared ones (e.g. which game it is played with)."""
    return _specs(ExerciseEntry, prefix, skip=(*_GROUPS, *ExerciseSettings.model_fields))


def detector_fields(prefix: str) -> list[FieldSpec]:
    return _specs(DetectorSettings, f"{prefix}detector.")


ADAPT_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (name, info.description or "") for name, info in AdaptSettings.model_fields.items())
ADAPT_HELP = AdaptSettings.__doc__ or ""
FINGER_PAIRS_HELP = ExerciseEntry.model_fields["finger_pairs"].description or ""


# ------------------------------------------------------------- form -> level data
def _number(text: str, kind: str) -> Any:
    """The typed number, or the text as typed (the level check then says what is wrong with it).
    A whole number stays whole (a strict float setting takes it; YAML shows `30`, not `30.0`)."""
    t = text.strip()
    if re.fullmatch(r"-?\d+,\d+", t):  # a decimal comma, as many therapists type it
        t = t.replace(",", ".")
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    try:
        return float(t)
    except ValueError:
        return text.strip()


def _value(spec: FieldSpec, raw: str) -> Any:
    if spec.kind in ("int", "float"):
        return _number(raw, spec.kind)
    if spec.kind == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    return raw if spec.kind == "longtext" else raw.strip()


class FormData(Mapping[str, str]):
    """The submitted form as plain text values, plus the multi-valued finger pairs."""

    def __init__(self, values: Mapping[str, str], pairs: Mapping[str, list[str]] | None = None) -> None:
        self.values = {k: v for k, v in values.items() if isinstance(v, str)}
        self.pairs = dict(pairs or {})

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def entry_count(form: Mapping[str, str]) -> int:
    found = [int(m.group(1)) for k in form if (m := re.match(r"exercises\[(\d+)\]\.", k))]
    return max(found, default=0)


def _settings_from_form(form: FormData, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in exercise_fields(prefix):
        raw = form.get(spec.path, "")
        if raw.strip():
            out[spec.name] = _value(spec, raw)
    timings = {s.name: _value(s, form.get(s.path, "")) for s in detector_fields(prefix) if form.get(s.path, "").strip()}
    if timings:
        out["detector"] = timings
    adapt = {name: {"yes": True, "no": False}[form[f"{prefix}adapt.{name}"]] for name, _d in ADAPT_FIELDS
             if form.get(f"{prefix}adapt.{name}") in ("yes", "no")}
    if adapt:
        out["adapt"] = adapt
    return out


def level_data(form: FormData) -> dict[str, Any]:
    """The level file's data, in the order a therapist would write it."""
    data: dict[str, Any] = {}
    for spec in program_fields():
        raw = form.get(spec.path, "")
        if raw.strip() or (spec.required and spec.kind == "text"):
            data[spec.name] = _value(spec, raw)
    defaults = _settings_from_form(form, "defaults.")
    if defaults:
        data["defaults"] = defaults
    exercises = []
    for i in range(1, entry_count(form) + 1):
        prefix = f"exercises[{i}]."
        if f"{prefix}exercise" not in form:
            continue
        entry: dict[str, Any] = {"exercise": form[f"{prefix}exercise"]}
        for spec in entry_fields(prefix):
            raw = form.get(spec.path, "")
            if raw.strip():
                entry[spec.name] = _value(spec, raw)
        entry.update(_settings_from_form(form, prefix))
        pairs = form.pairs.get(f"{prefix}finger_pairs")
        if pairs:
            entry["finger_pairs"] = [p for p in FINGER_PAIRS if p in pairs]
        exercises.append(entry)
    data["exercises"] = exercises
    return data


def to_yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


@dataclass
class Checked:
    """A program checked as `levels check` checks a file."""

    yaml_text: str
    level: Level | None
    problems: list[LevelProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.level is not None and not self.problems

    def problems_for(self, path: str) -> list[LevelProblem]:
        return [p for p in self.problems if p.field == path]

    def unplaced(self, paths: Iterable[str]) -> list[LevelProblem]:
        known = set(paths)
        return [p for p in self.problems if p.field not in known]


def check_text(text: str) -> Checked:
    level, problems = parse_level_text(text, SHOWN_AS)
    return Checked(text, level, list(problems))


def check_form(form: FormData) -> Checked:
    return check_text(to_yaml(level_data(form)))


# ------------------------------------------------------------- level data -> form
def _put_settings(out: dict[str, str], pairs: dict[str, list[str]], prefix: str, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if name == "detector" and isinstance(value, Mapping):
            for k, v in value.items():
                if v is not None:
                    out[f"{prefix}detector.{k}"] = _text(v)
        elif name == "adapt" and isinstance(value, Mapping):
            for k, v in value.items():
                out[f"{prefix}adapt.{k}"] = "yes" if v else "no"
        elif name == "finger_pairs" and isinstance(value, list):
            pairs[f"{prefix}finger_pairs"] = [str(p) for p in value]
        elif value is not None:
            out[f"{prefix}{name}"] = _text(value)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def form_from_level(level: Level) -> FormData:
    """The form's values for a checked level: only what the file says (unset stays empty)."""
    data = level.model_dump(exclude_unset=True, exclude_none=True)
    out: dict[str, str] = {}
    pairs: dict[str, list[str]] = {}
    for name, value in data.items():
        if name == "defaults":
            _put_settings(out, pairs, "defaults.", value)
        elif name == "exercises":
            for i, entry in enumerate(value, start=1):
                _put_settings(out, pairs, f"exercises[{i}].", entry)
        else:
            out[name] = _text(value)
    # adapt lines given as `adapt: off` arrive as three lines set: keep them as written
    return FormData(out, pairs)


def new_program_form(name: str) -> FormData:
    """A first program: the exercise sheet's three sets of ten power grips (CLINICAL.md, Dose)."""
    return FormData({"name": name, "exercises[1].exercise": "power_grip", "exercises[1].sets": "3",
                     "exercises[1].reps": "10"})


def exercise_choices() -> list[tuple[str, str, str]]:
    """(id, name, what the hand does) for the eight exercises, in the game's order."""
    return [(e.id, _(e.name), _(e.what_the_hand_does)) for e in EXERCISES]


def exercise_name(exercise_id: str) -> str:
    e = BY_ID.get(exercise_id)
    return _(e.name) if e else exercise_id


def uses_roll(exercise_id: str) -> bool:
    e = BY_ID.get(exercise_id)
    return bool(e and e.channel == "roll")
