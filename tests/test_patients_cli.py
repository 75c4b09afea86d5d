"""``main.py patients ...`` and ``main.py levels ...`` from a shell, in-process (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from game.cli import main
from game.levels import SHIPPED_DIR, schema_text

BROKEN = Path(__file__).parent / "data" / "levels_broken"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_patients_round_trip(tmp_path: Path, capsys):
    d = str(tmp_path)
    code, out, _ = run(capsys, "patients", "--data-dir", d, "list")
    assert code == 0 and "no patients yet" in out
    code, out, _ = run(capsys, "patients", "--data-dir", d, "add", "Ann Marie", "--hand", "left",
                       "--level", "gentle_start")
    assert code == 0 and "added patient 1: Ann Marie (AM, left hand, level gentle_start.yaml)" in out
    assert run(capsys, "patients", "--data-dir", d, "add", "Bob")[0] == 0
    code, out, _ = run(capsys, "patients", "--data-dir", d, "list")
    assert "Ann Marie" in out and "gentle_start.yaml" in out and "Bob" in out
    code, out, _ = run(capsys, "patients", "--data-dir", d, "show", "ann marie")
    assert code == 0 and "hand trained: left" in out and "(Gentle start)" in out and "not calibrated yet" in out
    assert run(capsys, "patients", "--data-dir", d, "rename", "2", "Robert")[0] == 0
    assert run(capsys, "patients", "--data-dir", d, "assign", "Robert", "classic_home.yaml")[0] == 0
    assert run(capsys, "patients", "--data-dir", d, "hand", "Robert", "left")[0] == 0
    assert run(capsys, "patients", "--data-dir", d, "set", "Robert", "sound=off")[0] == 0
    code, out, _ = run(capsys, "patients", "--data-dir", d, "select", "Robert")
    assert code == 0 and "start with Robert" in out
    code, out, _ = run(capsys, "patients", "--data-dir", d, "show", "2")
    assert "Robert" in out and "(Classic home routine)" in out and "hand trained: left" in out and "sound=False" in out
    code, out, _ = run(capsys, "patients", "--data-dir", d, "list")
    assert "*   2  Robert" in out
    assert run(capsys, "patients", "--data-dir", d, "archive", "Robert")[0] == 0
    code, out, _ = run(capsys, "patients", "--data-dir", d, "list")
    assert "Robert" not in out
    code, out, _ = run(capsys, "patients", "--data-dir", d, "list", "--all")
    assert "Robert" in out and "(archived)" in out
    assert run(capsys, "patients", "--data-dir", d, "restore", "2")[0] == 0


@pytest.mark.parametrize(("args", "words"), [
    (["add", "Ann", "--hand", "both"], "the hand must be left or right, got 'both'"),
    (["add", "Ann", "--level", "nope"], "there is no level 'nope'; the levels are: classic_home"),
    (["add", "Ann", "--level", str(BROKEN / "misspelt_key.yaml")], "Did you mean `reps`?"),
    (["show", "Zed"], "there is no patient called 'Zed'"),
    (["assign", "Ann", str(BROKEN / "alias_bomb.yaml")], "so it was not assigned"),
    (["set", "Ann", "colour=red"], "'colour' is not a patient setting"),
    (["rename", "Ann", ""], "needs a name"),
])
def test_patients_mistakes_exit_2_with_a_plain_message(tmp_path: Path, capsys, args, words):
    d = str(tmp_path)
    if args[0] != "add":
        run(capsys, "patients", "--data-dir", d, "add", "Ann")
    code, _out, err = run(capsys, "patients", "--data-dir", d, *args)
    assert code == 2 and words in err, err


def test_levels_check_shipped_and_broken(capsys):
    code, out, _ = run(capsys, "levels", "check")
    assert code == 0 and "5 fine, 0 with problems" in out and "ok   levels/classic_home.yaml" in out
    files = sorted(str(p) for p in BROKEN.iterdir())
    code, out, _ = run(capsys, "levels", "check", *files)
    assert code == 1
    assert f"{len(files)} files checked: 0 fine, {len(files)} with problems" in out
    assert "levels_broken/wrong_type.yaml line 12: `reps`" in out
    code, out, _ = run(capsys, "levels", "check", str(SHIPPED_DIR / "gentle_start.yaml"), str(BROKEN / "empty.yaml"))
    assert code == 1 and "1 fine, 1 with problems" in out


def test_levels_schema_prints_and_writes(tmp_path: Path, capsys):
    code, out, _ = run(capsys, "levels", "schema")
    assert code == 0 and out == schema_text() and json.loads(out)["title"] == "Squeeze Quest level"
    target = tmp_path / "schema.json"
    code, out, _ = run(capsys, "levels", "schema", "--out", str(target))
    assert code == 0 and target.read_text() == schema_text()
