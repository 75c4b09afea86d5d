"""The start of the game (issue 18): the title screen comes up without the level models
(pydantic, YAML) or numpy's callers that it does not need, and shows the same thing as before:
the same pixels, the patient's program by name, a broken program said as one. The time itself
is measured by benchmarks/bench_startup.py, never here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pygame

from game.app import App, AppOptions
from game.loop import STEP
from game.profiles import Profiles
from game.records.storage import Store
from game.scenes.title import TitleScene
from hardware.clock import ManualClock

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
LEVEL_MODELS = ("pydantic", "yaml", "game.levels")


def first_frame_in_a_new_process(data_dir: Path, shot: Path) -> set[str]:
    """main.py to its first frame, as a patient's shortcut starts it: the modules it imported."""
    out = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "main.py"), "--headless", "--frames", "1",
                          "--input", "keyboard", "--data-dir", str(data_dir), "--screenshot", str(shot)],
                         capture_output=True, text=True, timeout=60, env=ENV, cwd=data_dir)
    assert out.returncode == 0, out.stderr[-2000:]
    return {ln.rsplit("|", 1)[-1].strip() for ln in out.stderr.splitlines() if ln.startswith("import time:")}


def title_in_process(data_dir: Path) -> App:
    import game.levels  # noqa: F401 - as before: the level models loaded before the first frame

    app = App(AppOptions(headless=True, data_dir=data_dir, input="keyboard", sound=False), clock=ManualClock(),
              store=Store.in_dir(data_dir))
    app.clock.advance(STEP)  # what a headless run does before each frame
    app.frame()
    return app


def labels(app: App) -> dict[str, tuple[str, str]]:
    return {b.id: (b.label, getattr(b, "note", "")) for b in app.top.buttons.buttons}


def test_the_title_screen_comes_up_without_the_level_models_and_looks_the_same(tmp_path):
    shot = tmp_path / "title.png"
    imported = first_frame_in_a_new_process(tmp_path, shot)
    assert "pygame" in imported and "game.scenes.title" in imported  # the measurement saw the title
    assert [m for m in LEVEL_MODELS if m in imported] == []
    app = title_in_process(tmp_path)
    assert isinstance(app.top, TitleScene)
    same = pygame.image.tobytes(app.screen, "RGB") == pygame.image.tobytes(pygame.image.load(str(shot)), "RGB")
    app.shutdown()
    assert same, "the title screen drew differently from the one drawn with the level models loaded first"


def test_a_patients_program_still_shows_on_the_title_and_a_broken_one_says_so(tmp_path):
    store = Store.in_dir(tmp_path)
    profiles = Profiles(store)
    ann = profiles.create("Ann", level="classic_home")
    profiles.select(ann.id)
    store.close()
    app = title_in_process(tmp_path)
    assert labels(app)["program"][0] == "Classic home ro…" and app.ctx.plan.name == "Classic home routine"
    assert labels(app)["who"][0] == "Ann" and app.ctx.level_note == ""
    app.shutdown()

    own = tmp_path / "levels"
    own.mkdir()
    (own / "anns.yaml").write_text("name: Ann's own\nexercises:\n  - exercise: no_such_exercise\n", encoding="utf-8")
    store = Store.in_dir(tmp_path)
    Profiles(store).assign_level(ann.id, "anns")
    store.close()
    app = title_in_process(tmp_path)
    assert labels(app)["program"][1] == "program (has a problem)" and "has a problem" in app.ctx.level_note
    assert app.ctx.plan.source_file is None  # the default program is played
    app.shutdown()
