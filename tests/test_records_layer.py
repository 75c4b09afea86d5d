"""The layers of STYLE.md: the records (and the therapy logic under them) load without the
game. A fresh interpreter imports every module of game.records and game.therapy and must
end up with no pygame and nothing of game/ above them, so the clinic server and the
command-line tools can use the records alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the records may load of game/: the package itself, the therapy logic, the
# translations (plain gettext) and where shipped files are (the report's font).
ALLOWED = {"game", "game.i18n", "game.resources"}
ALLOWED_PREFIXES = ("game.records", "game.therapy")

PROBE = """
import importlib, json, pkgutil, sys
import {package}
names = []
for info in pkgutil.iter_modules({package}.__path__, "{package}."):
    importlib.import_module(info.name)
    names.append(info.name)
print(json.dumps({{"imported": names, "loaded": sorted(sys.modules)}}))
"""
# The game's screens and loop: what neither layer may ever pull in.
UI = ("game.app", "game.loop", "game.ui", "game.widgets", "game.scene", "game.scenes", "game.games", "game.kiosk",
      "game.input", "game.audio", "game.context")


def _probe(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _game_modules(loaded: list[str]) -> list[str]:
    return [m for m in loaded if m == "game" or m.startswith("game.")]


def test_records_load_no_pygame_and_nothing_of_the_game_above_them():
    got = _probe(PROBE.format(package="game.records"))
    # The probe really imported the records layer, not an empty package.
    for name in ("game.records.storage", "game.records.records", "game.records.record_writer",
                 "game.records.export", "game.records.report", "game.records.provenance",
                 "game.records.spill_journal", "game.records.storage_faults"):
        assert name in got["imported"]
    loaded = got["loaded"]
    assert not [m for m in loaded if m == "pygame" or m.startswith("pygame.")]
    above = [m for m in _game_modules(loaded) if m not in ALLOWED and not m.startswith(ALLOWED_PREFIXES)]
    assert above == [], f"the records layer imports game modules above it: {above}"


def test_therapy_loads_no_pygame_and_no_screen():
    """The therapy logic still leans on two plain-logic modules beside it (game.program's
    plan types, game.session's runner, for the simulated patient); neither draws."""
    got = _probe(PROBE.format(package="game.therapy"))
    assert {"game.therapy.exercises", "game.therapy.fatigue", "game.therapy.force_reps"} <= set(got["imported"])
    loaded = got["loaded"]
    assert not [m for m in loaded if m == "pygame" or m.startswith("pygame.")]
    assert [m for m in _game_modules(loaded) if m.startswith(UI)] == []
    assert not [m for m in _game_modules(loaded) if m.startswith("game.records")]


def test_storage_alone_does_not_load_the_query_helpers():
    """storage and records imported each other; now the arrow goes one way only
    (records.records reads the store, the store never needs it)."""
    got = _probe("import json, sys\nimport game.records.storage\n"
                 "print(json.dumps({'imported': [], 'loaded': sorted(sys.modules)}))")
    assert "game.records.storage" in got["loaded"]
    assert "game.records.records" not in got["loaded"]
    assert "game.records.report" not in got["loaded"]
