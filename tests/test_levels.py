"""Level files: shipped programs validate, broken files explain themselves, plans are right."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from game.therapy.exercises import BY_ID
from game.levels import (
    FINGER_PAIRS,
    MAX_FILE_BYTES,
    SCHEMA_COMMENT,
    SHIPPED_DIR,
    ExerciseId,
    Level,
    LevelError,
    LevelLibrary,
    level_files,
    level_schema,
    load_level,
    load_level_or_raise,
    parse_level_text,
    resolve_level,
    schema_text,
)
from game.program import ExercisePlan, SessionPlan

BROKEN = Path(__file__).parent / "data" / "levels_broken"
SHIPPED = level_files([SHIPPED_DIR])


def messages(loaded) -> list[str]:
    return [str(p) for p in loaded.problems]


# ------------------------------------------------------------ shipped files
def test_the_five_shipped_programs_are_there():
    names = {p.stem for p in SHIPPED}
    assert {"gentle_start", "classic_home", "strength_block", "finger_squeeze", "clinic_check"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_validates_and_points_at_the_schema(path: Path):
    loaded = load_level(path)
    assert loaded.ok, messages(loaded)
    assert path.read_text().splitlines()[0] == SCHEMA_COMMENT
    plan = loaded.plan()
    assert isinstance(plan, SessionPlan) and plan.exercises and plan.source_file == str(path)
    for ex in plan.exercises:
        assert ex.exercise in BY_ID
        assert ex.target_min_pct <= ex.target_pct <= ex.target_max_pct <= 60
        assert ex.hold_min_s <= ex.hold_s <= ex.hold_max_s
        assert ex.cue_min_s <= ex.cue_s <= ex.cue_max_s
    assert sum(e.sets * e.reps for e in plan.exercises) <= plan.daily_rep_ceiling


def test_the_shipped_schema_is_the_one_the_models_make():
    on_disk = (SHIPPED_DIR / "schema.json").read_text()
    assert on_disk == schema_text(), "run: python main.py levels schema --write"
    schema = json.loads(on_disk)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "exercises"}
    reps = schema["$defs"]["ExerciseEntry"]["properties"]["reps"]
    assert reps["description"] and "maximum" in json.dumps(reps)


def test_classic_home_is_three_by_ten_of_all_eight_exercises():
    plan = load_level(SHIPPED_DIR / "classic_home.yaml").plan()
    done: dict[str, int] = {}
    for ex in plan.exercises:
        assert ex.reps == 10
        done[ex.exercise] = done.get(ex.exercise, 0) + ex.sets
    assert done == {e: 3 for e in BY_ID}  # finger squeeze: one set per pair, three in all
    squeeze = [e for e in plan.exercises if e.exercise == "finger_squeeze"]
    assert [e.finger_pairs for e in squeeze] == [(p,) for p in FINGER_PAIRS]


def test_strength_block_reaches_sixty_percent_and_clinic_check_is_fixed():
    strength = load_level(SHIPPED_DIR / "strength_block.yaml").plan()
    assert max(e.target_max_pct for e in strength.exercises) == 60
    clinic = load_level(SHIPPED_DIR / "clinic_check.yaml").plan()
    assert clinic.calibrate_first and not clinic.adapt and clinic.progression_reps == 0


def test_gentle_start_is_gentle():
    gentle = load_level(SHIPPED_DIR / "gentle_start.yaml").plan()
    home = load_level(SHIPPED_DIR / "classic_home.yaml").plan()
    assert all(e.target_pct <= 10 and e.release_window_s >= 10 for e in gentle.exercises)
    assert all(e.detector.get("start_pct") == 3 for e in gentle.exercises)
    assert sum(e.sets * e.reps for e in gentle.exercises) < sum(e.sets * e.reps for e in home.exercises)
    assert gentle.session_cap_min < home.session_cap_min


def test_exercise_literal_matches_the_exercise_list():
    from typing import get_args

    assert set(get_args(ExerciseId)) == set(BY_ID)


# ------------------------------------------------------------ the broken corpus
CORPUS = {
    # file: (line, words that must be in the message)
    "invalid_yaml.yaml": (4, ["indenting is uneven"]),
    "unknown_key.yaml": (2, ["`colour` is not a setting", "Allowed here:", "exercises"]),
    "misspelt_key.yaml": (5, ["`repz` is not a setting", "Did you mean `reps`?"]),
    "wrong_type.yaml": (12, ["`reps`", "must be a whole number from 1 to 100, got 'ten'"]),
    "out_of_range.yaml": (4, ["`target_pct`", "from 1 to 60", "got 80"]),
    "empty.yaml": (None, ["the file is empty", "`name`", "`exercises`"]),
    "binary_junk.yaml": (None, ["not a text file"]),
    "alias_bomb.yaml": (None, ["aliases", "more than 2,000 values", "not loaded"]),
    "python_tag.yaml": (1, ["`!!python/object/apply:os.system`", "Python object", "not loaded"]),
    "python_name_tag.yaml": (4, ["`!!python/name:os.getcwd`", "Python object"]),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_broken_file_gives_the_right_message(name: str):
    line, words = CORPUS[name]
    t0 = time.perf_counter()
    loaded = load_level(BROKEN / name)
    assert time.perf_counter() - t0 < 2.0  # nothing hangs (a bomb is refused, not expanded)
    assert not loaded.ok and loaded.level is None
    first = loaded.problems[0]
    text = str(first)
    assert text.startswith(f"levels_broken/{name}"), text
    for w in words:
        assert w in text, text
    if line is not None:
        assert first.line == line, text
        assert f"levels_broken/{name} line {line}: " in text


def test_the_brief_example_message_word_for_word():
    loaded = load_level(BROKEN / "wrong_type.yaml", display="levels/home.yaml")
    assert str(loaded.problems[0]) == ("levels/home.yaml line 12: `reps` in exercise 1 (power_grip) must be a "
                                       "whole number from 1 to 100, got 'ten'")
    assert loaded.problems[0].field == "exercises[1].reps"


def test_python_tags_never_run(tmp_path: Path):
    marker = Path("/tmp/squeeze_quest_pwned")
    marker.unlink(missing_ok=True)
    load_level(BROKEN / "python_tag.yaml")
    assert not marker.exists()


def test_the_corpus_covers_every_kind():
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(CORPUS)


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path):
    huge = tmp_path / "huge.yaml"
    with huge.open("w") as f:
        f.write("name: Huge\nexercises:\n")
        line = "  - exercise: pinch\n"
        f.write(line * (2 * 1024 * 1024 // len(line)))
    t0 = time.perf_counter()
    loaded = load_level(huge)
    assert time.perf_counter() - t0 < 0.5
    assert "the file is 2.0 MB" in str(loaded.problems[0]) and "under 256 KB" in str(loaded.problems[0])


def test_a_file_just_under_the_limit_with_too_many_values_is_refused_quickly(tmp_path: Path):
    many = tmp_path / "many.yaml"
    body = "name: Many\nexercises: [" + ",".join(["1"] * 30_000) + "]\n"
    assert len(body) < MAX_FILE_BYTES
    many.write_text(body)
    t0 = time.perf_counter()
    loaded = load_level(many)
    assert time.perf_counter() - t0 < 0.5
    assert "holds more than 2,000 lines and list items" in str(loaded.problems[0])
    # Values hidden from the cheap count (one line, no commas) are still counted on the nodes.
    block = tmp_path / "block.yaml"
    block.write_text("name: B\nexercises: " + "[" * 30 + "]" * 30 + "\n")
    assert load_level(block).problems


def test_deep_nesting_and_self_reference_do_not_crash(tmp_path: Path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    t0 = time.perf_counter()
    assert "nested" in str(load_level(deep).problems[0])
    assert time.perf_counter() - t0 < 0.5
    block = tmp_path / "block_deep.yaml"  # block style has no brackets: caught on the nodes
    block.write_text("name: x\nexercises:\n" + "".join("  " * i + "- \n" for i in range(60)))
    assert "nested" in str(load_level(block).problems[0])
    loop = tmp_path / "loop.yaml"
    loop.write_text("name: x\nexercises: &e [*e]\n")
    assert "refers to the group that contains it" in str(load_level(loop).problems[0])


@pytest.mark.parametrize(("text", "line", "words"), [
    ("name: A\nname: B\nexercises: [{exercise: pinch}]\n", 2, ["`name` is given twice (first on line 1)"]),
    ("name: A\n---\nname: B\n", 2, ["more than one YAML document"]),
    ("name: A\nexercises:\n\t- exercise: pinch\n", 3, ["tab"]),
    ("name: Home: Away\nexercises: []\n", 1, ["`:` is in the wrong place"]),
    ("- a\n- b\n", 1, ["the file holds a list"]),
    ("name: A\nadapt: maybe\nexercises: [{exercise: pinch}]\n", 2, ["`adapt` must be true or false, got 'maybe'"]),
    ("name: A\nexercises:\n  - exercise: pinch\n    sets: \"3\"\n", 4, ["got '3' in quotes"]),
    ("name: A\nexercises:\n  - exercise: pinch\n    reps: 10.5\n", 4, ["whole number", "got 10.5"]),
    ("name: A\nexercises:\n  - exercise: Power Grip\n", 3, ["Did you mean `power_grip`?"]),
    ("name: A\nexercises:\n  - exercise: pinchh\n", 3, ["Did you mean `pinch`?"]),
    ("name: A\nexercises:\n  - exercise: juggling\n", 3, ["must be one of: power_grip"]),
    ("name: A\nexercises:\n  - sets: 3\n", 3, ["has no `exercise:` line"]),
    ("description: x\nexercises: [{exercise: pinch}]\n", 1, ["`name` is missing"]),
    ("name: A\nexercize: []\n", 2, ["Did you mean `exercises`?"]),
    ("name: A\nexercises: []\n", 2, ["at least one exercise"]),
    ("name: A\nexercises:\n  - exercise: finger_squeeze\n    finger_pairs: [thumb-index]\n", 4,
     ["`finger_pairs`", "index-middle"]),
    ("name: A\nexercises:\n  - exercise: pinch\n    finger_pairs: [ring-little]\n", 4, ["finger_squeeze only"]),
    ("name: A\ndefaults:\n  target_max_pct: 30\nexercises:\n  - exercise: pinch\n    target_pct: 35\n", 6,
     ["`target_pct` (35%) must be between `target_min_pct` (5%) and `target_max_pct` (30%)"]),
    ("name: A\nexercises:\n  - exercise: pinch\n    hold_min_s: 3\n    hold_max_s: 2\n", 4,
     ["`hold_min_s` (3 s) is above `hold_max_s` (2 s)"]),
    ("name: A\ntarget_success_pct: 90\nexercises: [{exercise: pinch}]\n", 2, ["between `success_low_pct`"]),
    ("name: A\ndefaults: {sets: 10, reps: 100}\nexercises: [{exercise: pinch}]\n", 1,
     ["asks for 1000 repetitions", "daily ceiling of 300"]),
    ("name: A\nexercises:\n  - exercise: pinch\n    detector:\n      min_rep: 0.1\n", 5,
     ["Did you mean `min_rep_s`?"]),
    ("name: !!set {a}\nexercises: [{exercise: pinch}]\n", 1, ["the tag `!!set` is not allowed"]),
    ("name: !custom x\nexercises: [{exercise: pinch}]\n", 1, ["the tag `!custom` is not allowed"]),
])
def test_common_mistakes_are_explained(text: str, line: int, words: list[str]):
    level, problems = parse_level_text(text, "levels/t.yaml")
    assert level is None and problems
    msg = str(problems[0])
    assert problems[0].line == line, msg
    for w in words:
        assert w in msg, msg


def test_all_problems_are_reported_in_line_order():
    text = "name: A\nexercises:\n  - exercise: pinch\n    reps: 0\n    sets: many\n    colour: red\n"
    _level, problems = parse_level_text(text, "t.yaml")
    assert [p.line for p in problems] == [4, 5, 6]


# ------------------------------------------------------------ plans
def test_defaults_and_per_exercise_settings_merge_into_the_plan():
    text = """
name: Mixed
hand: left
adapt: false
target_success_pct: 70
success_low_pct: 60
success_high_pct: 80
defaults:
  sets: 2
  reps: 12
  detector: {start_pct: 4, min_rep_s: 0.2}
exercises:
  - exercise: power_grip
    reps: 5
    detector: {min_rep_s: 0.1}
  - exercise: table_roll
    roll_target_pct: 40
  - exercise: finger_squeeze
    finger_pairs: [ring-little, index-middle]
"""
    level, problems = parse_level_text(text)
    assert not problems and level is not None
    plan = level.to_plan("x.yaml")
    grip, roll, sq1, sq2 = plan.exercises
    assert (grip.sets, grip.reps) == (2, 5) and grip.detector == {"start_pct": 4.0, "min_rep_s": 0.1}
    assert roll.roll_target == pytest.approx(0.4) and roll.reps == 12
    assert sq1.finger_pairs == ("ring-little",) and sq2.finger_pairs == ("index-middle",)
    assert plan.hand == "left" and not plan.adapt and plan.source_file == "x.yaml"
    assert plan.target_success == pytest.approx(0.7) and plan.success_band == pytest.approx((0.6, 0.8))
    # Anything not written takes the plan's own default.
    assert grip.rest_s == ExercisePlan("power_grip").rest_s


def test_a_minimal_level_is_the_default_program():
    level, _ = parse_level_text("name: Just grip\nexercises:\n  - exercise: power_grip\n")
    plan = level.to_plan()
    assert plan.exercises == (ExercisePlan("power_grip"),)
    assert plan.hand is None and plan.target_success == 0.75


def test_load_level_or_raise_and_missing_files(tmp_path: Path):
    with pytest.raises(LevelError) as err:
        load_level_or_raise(BROKEN / "unknown_key.yaml")
    assert "colour" in str(err.value)
    gone = load_level(tmp_path / "gone.yaml")
    assert "not there" in str(gone.problems[0])
    folder = load_level(tmp_path)
    assert "folder" in str(folder.problems[0])


def test_resolve_level_by_name_file_or_path(tmp_path: Path):
    own = tmp_path / "levels"
    own.mkdir()
    (own / "classic_home.yaml").write_text("name: Ours\nexercises: [{exercise: pinch}]\n")
    dirs = (SHIPPED_DIR, own)
    assert resolve_level("classic_home", dirs) == own / "classic_home.yaml"  # the clinic's own comes first
    assert resolve_level("gentle_start.yaml", dirs) == SHIPPED_DIR / "gentle_start.yaml"
    assert resolve_level(str(own / "classic_home.yaml"), dirs) == own / "classic_home.yaml"
    assert resolve_level("nope", dirs) is None


def test_library_reloads_changed_new_and_removed_files(tmp_path: Path):
    a = tmp_path / "a.yaml"
    a.write_text("name: First\nexercises: [{exercise: pinch}]\n")
    lib = LevelLibrary((tmp_path,))
    assert [e.title for e in lib.entries] == ["First"]
    assert lib.refresh() is False  # nothing changed, nothing reread
    a.write_text("name: Second\nexercises: [{exercise: pinch}]\n")
    (tmp_path / "b.yaml").write_text("name: B\nexercises: [{exercise: nope}]\n")
    assert lib.refresh() is True
    assert [e.title for e in lib.entries] == ["Second", "B"]
    assert lib.entries[0].ok and not lib.entries[1].ok
    a.unlink()
    assert lib.refresh() is True and [e.path.name for e in lib.entries] == ["b.yaml"]


def test_schema_describes_every_field():
    schema = level_schema()
    for model in schema["$defs"].values():
        for name, prop in model["properties"].items():
            assert prop.get("description"), name
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    assert set(Level.model_fields) == set(schema["properties"])


def test_the_therapists_readme_explains_every_setting_and_shipped_file():
    from game.levels import AdaptSettings, DetectorSettings, ExerciseEntry

    readme = (SHIPPED_DIR / "README.md").read_text()
    for model in (Level, ExerciseEntry, DetectorSettings, AdaptSettings):
        for name in model.model_fields:
            assert f"`{name}`" in readme, name
    for path in SHIPPED:
        assert f"`{path.name}`" in readme, path.name
