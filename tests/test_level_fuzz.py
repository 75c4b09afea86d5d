"""Level files that would crash a YAML loader: each fault issue 19 names is explained by
file, line (and column) and setting, and a seeded fuzz of the shipped files finds no
exception and no message without a line.

The fuzz runs 600 mutations here; ``SQ_FUZZ_FULL=1`` runs 5,000 (seeded, about 5 s).
"""

from __future__ import annotations

import codecs
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.cli import main
from game.levels import (
    SHIPPED_DIR,
    LevelError,
    LevelLibrary,
    load_level,
    load_level_or_raise,
    parse_level_bytes,
    parse_level_text,
)
from game.profiles import Profiles, starting_patient
from game.program import SessionPlan
from tests.level_mutations import BAD_MERGES, BAD_TAGS, mutations, shipped_texts

GENTLE = (SHIPPED_DIR / "gentle_start.yaml").read_text(encoding="utf-8")
SHOWN = "levels/home.yaml"
FULL = os.environ.get("SQ_FUZZ_FULL") == "1"
N_FUZZ = 5_000 if FULL else 600

# The only problems that concern the whole file rather than a place in it.
WHOLE_FILE = ("the file is empty", "it holds more than", "the file is ")


def gentle_with(old: str, new: str) -> str:
    assert old in GENTLE
    return GENTLE.replace(old, new, 1)


def first(text: str) -> tuple[str, object]:
    level, problems = parse_level_text(text, SHOWN)
    assert level is None and problems, "expected a problem"
    return str(problems[0]), problems[0]


# ------------------------------------------------------- the faults issue 19 names
@pytest.mark.parametrize(("old", "new", "line", "field", "words"), [
    ("hand: either", "hand: !!bool maybe", 7, "hand",
     ["`hand` is marked `!!bool`, which must be true or false, but it holds 'maybe'", "Remove `!!bool`"]),
    ("session_cap_min: 20", "session_cap_min: !!float abc", 11, "session_cap_min",
     ["`session_cap_min` is marked `!!float`, which must be a number, but it holds 'abc'"]),
    ("hand: either", "hand: !!map abc", 7, "hand", ["`!!map`", "a group of settings", "'abc'"]),
    ("hand: either", "hand: !!str [1, 2]", 7, "hand", ["`!!str`", "must be text, but it holds a list"]),
    ("daily_rep_ceiling: 150", "daily_rep_ceiling: !!int 1.5", 12, "daily_rep_ceiling",
     ["`!!int`", "a whole number", "'1.5'"]),
    ("  target_pct: 10", "  target_pct: !!float abc", 19, "defaults.target_pct",
     ["`target_pct` in `defaults` is marked `!!float`"]),
    ("    start_pct: 3", "    start_pct: !!bool maybe", 31, "defaults.detector.start_pct",
     ["`start_pct` in `defaults` is marked `!!bool`"]),
    ("    roll_target_pct: 30", "    roll_target_pct: !!int x", 37, "exercises[2].roll_target_pct",
     ["`roll_target_pct` in exercise 2 is marked `!!int`"]),
    ("hand: either", "hand: !!timestamp x", 7, None, ["the tag `!!timestamp` is not allowed"]),
    ("hand: either", "hand: !!binary ###", 7, None, ["the tag `!!binary` is not allowed"]),
    ("hand: either", "<<: 5", 7, None, ["`<<:` merges a group of settings", "got '5'"]),
    ("hand: either", "<<: [{hand: left}, 5]", 7, None, ["`<<:` merges", "got '5'"]),
    ("daily_rep_ceiling: 150", "daily_rep_ceiling: " + "9" * 5000, 12, "daily_rep_ceiling",
     ["`daily_rep_ceiling` must be a whole number from 10 to 1000, got a number 5,000 digits long"]),
    ("daily_rep_ceiling: 150", "daily_rep_ceiling: 0x" + "f" * 5000, 12, "daily_rep_ceiling",
     ["`daily_rep_ceiling` must be a whole number from 10 to 1000, got a number about 6,021 digits long"]),
    ("hand: either", "[a]: b", 7, None, ["a list is written where a setting's name belongs"]),
])
def test_a_value_yaml_cannot_build_is_explained_by_line_and_setting(old, new, line, field, words):
    text, problem = first(gentle_with(old, new))
    assert text.startswith(f"{SHOWN} line {line}: "), text
    assert problem.line == line and problem.field == field, text
    for w in words:
        assert w in text, text


def test_the_issue_repro_no_longer_crashes_levels_check(tmp_path: Path, capsys):
    bad = tmp_path / "x.yaml"
    bad.write_text(gentle_with("hand: either", "hand: !!bool maybe"))
    assert main(["levels", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path.name}/x.yaml line 7: `hand` is marked `!!bool`" in out
    assert "1 file checked: 0 fine, 1 with problems" in out
    assert "Traceback" not in out


def test_dates_equals_signs_and_odd_keys_are_plain_words():
    # A date and a lone `=` stay text (not YAML's timestamp and "value" types)...
    assert "`hand` must be one of: left, right, either, got '2024-01-01'" in first(
        gentle_with("hand: either", "hand: 2024-01-01"))[0]
    assert "got '='" in first(gentle_with("hand: either", "hand: ="))[0]
    level, problems = parse_level_text(gentle_with("name: Gentle start", "name: 2024-05-01"), SHOWN)
    assert not problems and level.name == "2024-05-01"
    # ...and a key is the name as written: `1:` and `yes:` are unknown settings, not "Keys should be strings".
    for key in ("1", "yes", "~", "1.5"):
        text, problem = first(gentle_with("hand: either", f"{key}: x"))
        assert f"line 7: `{key}` is not a setting at the top of the file" in text, text
    # A working merge key still merges.
    level, problems = parse_level_text(
        "name: M\nshared: &s {sets: 2, reps: 4}\nexercises:\n  - {exercise: pinch, <<: *s}\n", SHOWN)
    assert problems and "`shared` is not a setting" in str(problems[0])
    merged = "name: M\nexercises:\n  - &p {exercise: pinch, sets: 2}\n  - {<<: *p, reps: 4}\n"
    level, problems = parse_level_text(merged, SHOWN)
    assert not problems and level.exercises[1].sets == 2 and level.exercises[1].reps == 4


@pytest.mark.parametrize(("char", "code"), [("\x07", "U+0007"), ("\x1b", "U+001B"), ("\x7f", "U+007F"),
                                            ("\ufffe", "U+FFFE")])
def test_a_control_character_is_shown_by_line_and_column(char: str, code: str):
    text, problem = first(gentle_with("hand: either", f"hand: ei{char}ther"))
    assert text.startswith(f"{SHOWN} line 7, column 9: "), text
    assert (problem.line, problem.column) == (7, 9)
    assert f"invisible control character ({code})" in text and "delete it" in text


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_text_in_every_unicode_encoding_with_a_byte_order_mark_loads(codec: str):
    data = GENTLE.encode(codec)
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-be": codecs.BOM_UTF32_BE}
    data = bom.get(codec, b"") + data  # Notepad's "Unicode" and "Unicode big endian" carry a BOM
    level, problems = parse_level_bytes(data, SHOWN)
    assert not problems and level is not None and level.name == "Gentle start"


def test_utf16_without_a_mark_and_broken_bytes_say_where_and_what_to_do():
    level, problems = parse_level_bytes(GENTLE.encode("utf-16-le"), SHOWN)
    assert "UTF-16 text saved without a byte-order mark" in str(problems[0])
    assert "save it as UTF-8 text (in Notepad: File, Save as, Encoding: UTF-8)" in str(problems[0])
    data = gentle_with("hand: either", "hand: eith\udcffer").encode("utf-8", "surrogateescape")  # a stray 0xFF byte
    _level, problems = parse_level_bytes(data, SHOWN)
    assert str(problems[0]).startswith(f"{SHOWN} line 7, column 11: this is not plain text in UTF-8"), problems
    data = codecs.BOM_UTF16_LE + gentle_with("hand: either", "hand: ei").encode("utf-16-le") + b"\x00\xdc"
    _level, problems = parse_level_bytes(data, SHOWN)  # a lone low surrogate at the end: not UTF-16
    assert "this is not plain text in UTF-16" in str(problems[0]) and problems[0].line is not None
    _level, problems = parse_level_bytes(b"name: x\nhand: \x00\x01\x02", SHOWN)
    assert str(problems[0]).startswith(f"{SHOWN} line 2, column 7: this is not a text file")


def test_the_picker_and_a_patient_whose_level_breaks_show_the_error(tmp_path: Path):
    from game.records.storage import Store

    folder = tmp_path / "levels"
    folder.mkdir()
    (folder / "mine.yaml").write_text(gentle_with("hand: either", "hand: !!bool maybe"))
    (folder / "merge.yaml").write_text(gentle_with("hand: either", "<<: 5"))
    (folder / "huge.yaml").write_text(gentle_with("daily_rep_ceiling: 150", "daily_rep_ceiling: " + "9" * 5000))
    lib = LevelLibrary((folder,))
    assert [e.ok for e in lib.entries] == [False, False, False]
    assert all(e.problems[0].line for e in lib.entries)
    store = Store(tmp_path / "db.sqlite3")
    try:
        pr = Profiles(store)
        ann = pr.create("Ann", level="mine.yaml")
        got = starting_patient(store, "ann", None, (SHIPPED_DIR, folder))
        assert got.plan == SessionPlan()
        assert "default program is used" in got.note
        assert "levels/mine.yaml line 7: `hand` is marked `!!bool`" in got.note
        assert ann.id == got.patient_id
        with pytest.raises(ValueError, match="line 7"):
            starting_patient(store, None, str(folder / "mine.yaml"), (SHIPPED_DIR, folder))
    finally:
        store.close()


def test_the_picker_draws_files_with_every_fault(tmp_path: Path):
    from game.scene import Push
    from game.scenes.levels import LevelPickerScene
    from tests.helpers import make_app

    folder = tmp_path / "mine"
    folder.mkdir()
    faults = {"tag": gentle_with("hand: either", "hand: !!bool maybe").encode(),
              "control": gentle_with("hand: either", "hand: e\x07").encode(),
              "utf16": GENTLE.encode("utf-16"), "nobom16": GENTLE.encode("utf-16-le"),
              "cut": GENTLE.encode()[:77] + b"\xff\xfe\x00"}
    for name, data in faults.items():
        (folder / f"{name}.yaml").write_bytes(data)
    app = make_app(tmp_path, exercise=None)
    picker = LevelPickerScene(LevelLibrary((folder,)))
    app.apply(Push(picker))
    try:
        by_name = {e.path.stem: e for e in picker.entries}
        assert by_name["utf16"].ok and not by_name["tag"].ok
        for i, e in enumerate(picker.entries):
            picker.focus = i
            app.draw(0.0)  # each broken file drawn with its message; nothing raises
            if not e.ok:
                assert e.problems[0].line is not None
    finally:
        app.shutdown()  # the scenes, the input, the records (their writer thread) and pygame


# --------------------------------------------------------------------- fuzz
def _check(name: str, data: bytes, failures: list[str]) -> float:
    t0 = time.perf_counter()
    try:
        level, problems = parse_level_bytes(data, SHOWN)
    except Exception as exc:  # noqa: BLE001 - the property under test: nothing escapes
        failures.append(f"{name}: raised {type(exc).__name__}: {exc!s:.200}")
        return time.perf_counter() - t0
    elapsed = time.perf_counter() - t0
    if level is None and not problems:
        failures.append(f"{name}: neither a level nor a problem")
    for p in problems:
        text = str(p)
        if not text.startswith(SHOWN):
            failures.append(f"{name}: no file name in {text!r}")
        if p.line is None and not p.message.startswith(WHOLE_FILE):
            failures.append(f"{name}: no line in {text!r}")
        if "could not be read as a level" in text or "this is not valid YAML (" in text:
            failures.append(f"{name}: a fallback message {text!r}")
    return elapsed


def test_seeded_mutations_of_the_shipped_files_load_or_explain_themselves():
    failures: list[str] = []
    worst = 0.0
    kinds = {"tag": 0, "merge": 0, "number": 0, "unicode": 0, "bytes": 0, " as ": 0}
    for m in mutations(N_FUZZ, seed=19):
        worst = max(worst, _check(m.name, m.data, failures))
        for k in kinds:
            kinds[k] += k in m.name
    assert not failures, f"{len(failures)} of {N_FUZZ}:\n" + "\n".join(failures[:20])
    assert worst < 2.0  # no file stalls (a hang guard, not a speed target: benchmarks/bench_levels.py)
    assert all(n >= N_FUZZ // 40 for n in kinds.values()), kinds  # every kind of damage was tried


def test_a_mutated_file_on_disk_is_a_level_or_a_level_error(tmp_path: Path):
    path = tmp_path / "mutated.yaml"
    outcomes = {"level": 0, "error": 0}
    for m in mutations(60, seed=5):
        path.write_bytes(m.data)
        try:
            load_level_or_raise(path)
            outcomes["level"] += 1
        except LevelError as exc:
            assert str(exc).startswith(f"{tmp_path.name}/mutated.yaml"), str(exc)
            outcomes["error"] += 1
    assert outcomes["error"] > 30


def test_every_bad_tag_and_merge_on_every_line_of_every_shipped_file():
    failures: list[str] = []
    for name, text in shipped_texts().items():
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if ":" not in line or line.lstrip().startswith("#"):
                continue
            key = line.split(":", 1)[0]
            for bad in BAD_TAGS:
                damaged = "\n".join([*lines[:i], f"{key}: {bad}", *lines[i + 1:]])
                _check(f"{name} line {i + 1} {bad}", damaged.encode(), failures)
            indent = " " * (len(key) - len(key.lstrip(" -")))
            for merge in BAD_MERGES:
                damaged = "\n".join([*lines[:i], indent + merge, *lines[i:]])
                _check(f"{name} line {i + 1} {merge}", damaged.encode(), failures)
    assert not failures, f"{len(failures)}:\n" + "\n".join(failures[:20])


_HYP = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_HYP
@given(st.binary(max_size=3000))
def test_any_bytes(data: bytes):
    failures: list[str] = []
    _check("bytes", data, failures)
    assert not failures, failures


@_HYP
@given(st.sampled_from(sorted(shipped_texts())), st.integers(min_value=0), st.text(min_size=1, max_size=20),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_any_unicode_inserted_anywhere_in_a_shipped_file(name: str, at: int, s: str, codec: str):
    text = shipped_texts()[name]
    at %= len(text) + 1
    failures: list[str] = []
    _check(name, (text[:at] + s + text[at:]).encode(codec, "surrogatepass"), failures)
    assert not failures, failures


@_HYP
@given(st.text(alphabet=st.sampled_from(list("!&*<>|{}[]?:-,#'\"%@` \n\tabc019.~")), max_size=200))
def test_any_yaml_punctuation(text: str):
    failures: list[str] = []
    _check("punctuation", text.encode(), failures)
    assert not failures, failures


def test_a_file_of_one_kind_of_fault_keeps_its_message_through_load_level(tmp_path: Path):
    # load_level's last guard exists, but no known fault reaches it.
    p = tmp_path / "t.yaml"
    p.write_text(gentle_with("hand: either", "hand: !!bool maybe"))
    loaded = load_level(p)
    assert "could not be read as a level" not in str(loaded.problems[0])
    assert loaded.problems[0].field == "hand"
