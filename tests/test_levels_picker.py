"""The level picker in a running (headless) app: the therapist's round trip."""

from __future__ import annotations

import os
from pathlib import Path

import pygame

from game.input import Act, Action
from game.levels import LevelLibrary
from game.loop import STEP
from game.profiles import Profiles
from game.scene import Push
from game.scenes.levels import LevelPickerScene
from tests.helpers import make_app

GOOD = "name: {name}\nexercises:\n  - exercise: power_grip\n    reps: {reps}\n"


def frames(app, seconds: float) -> None:
    for _ in range(round(seconds / STEP)):
        app.clock.advance(STEP)
        app.frame()


def write(path: Path, text: str, bump: int) -> None:
    path.write_text(text)
    # File times can be coarser than the test is fast: make each save distinct.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))


def open_picker(tmp_path: Path):
    levels = tmp_path / "mine"
    levels.mkdir()
    write(levels / "home.yaml", GOOD.format(name="Home", reps=10), 0)
    write(levels / "other.yaml", GOOD.format(name="Other", reps=5), 0)
    app = make_app(tmp_path, exercise=None)
    picker = LevelPickerScene(LevelLibrary((levels,)))
    app.apply(Push(picker))
    frames(app, 0.1)
    return app, picker, levels


def choose_and_confirm(app, picker) -> None:
    """Choose the focused program, then "Yes" on "Change ...'s program to ...?" (Yes is lit first)."""
    from game.scenes.confirm import ConfirmScene

    title = picker.focused.title
    app.apply(picker.handle(Action(Act.CONFIRM)))
    question = app.top
    assert isinstance(question, ConfirmScene) and question.question.endswith(f"program to {title}?")
    assert Profiles(app.store).get(app.ctx.patient_id).level is None  # asked, not changed yet
    app.apply(question.handle(Action(Act.CONFIRM)))
    frames(app, 0.1)


def test_edit_a_file_while_the_picker_is_open_and_see_the_change_or_the_error(tmp_path: Path):
    app, picker, levels = open_picker(tmp_path)
    try:
        assert [e.title for e in picker.entries] == ["Home", "Other"]
        home = levels / "home.yaml"
        # A fix the therapist saves shows within a second...
        write(home, GOOD.format(name="Home, longer holds", reps=12), 1)
        frames(app, 1.2)
        assert picker.entries[0].title == "Home, longer holds"
        assert picker.entries[0].level.exercises[0].reps == 12
        # ...and so does a mistake, with its line; the other file stays playable.
        write(home, GOOD.format(name="Home", reps="ten"), 2)
        frames(app, 1.2)
        broken = picker.entries[0]
        assert not broken.ok
        assert str(broken.problems[0]) == ("mine/home.yaml line 4: `reps` in exercise 1 (power_grip) must be a "
                                           "whole number from 1 to 100, got 'ten'")
        assert picker.entries[1].ok
        # The broken one cannot be chosen, and says why; drawing it is fine.
        picker.focus = 0
        assert picker.handle(Action(Act.CONFIRM)) is None
        assert "cannot be used" in picker.message
        app.draw(0.0)
        # A new file appears, a deleted one goes.
        write(levels / "new.yaml", GOOD.format(name="New", reps=3), 3)
        (levels / "other.yaml").unlink()
        frames(app, 1.2)
        assert [e.title for e in picker.entries] == ["Home", "New"]
        # Fixed again: chosen, assigned to the patient, and it becomes the plan.
        write(home, GOOD.format(name="Home", reps=8), 4)
        frames(app, 1.2)
        picker.focus = 0
        choose_and_confirm(app, picker)
        assert app.top is not picker
        assert app.ctx.plan.name == "Home" and app.ctx.plan.exercises[0].reps == 8
        assert Profiles(app.store).get(app.ctx.patient_id).level.endswith("home.yaml")
    finally:
        app.shutdown()


def test_the_plan_in_use_follows_its_file_only_while_the_picker_is_open(tmp_path: Path):
    app, picker, levels = open_picker(tmp_path)
    try:
        picker.focus = 1
        choose_and_confirm(app, picker)  # choose "Other", say yes; the picker closes
        assert app.ctx.plan.name == "Other"
        write(levels / "other.yaml", GOOD.format(name="Other v2", reps=6), 5)
        frames(app, 2.0)  # no picker open (as during a session): the plan does not change
        assert app.ctx.plan.name == "Other"
        picker2 = LevelPickerScene(LevelLibrary((levels,)))
        app.apply(Push(picker2))
        frames(app, 0.1)
        assert app.ctx.plan.name == "Other"  # opening the picker shows it; choosing it uses it
        assert [e.title for e in picker2.entries][1] == "Other v2"
        write(levels / "other.yaml", GOOD.format(name="Other v3", reps=7), 6)
        frames(app, 1.2)  # while the picker is open, the plan in use follows its file
        assert app.ctx.plan.name == "Other v3"
    finally:
        app.shutdown()


def test_picker_lists_the_shipped_levels_and_draws_at_another_size(tmp_path: Path):
    app = make_app(tmp_path, exercise=None, size=(1920, 1080))
    try:
        picker = LevelPickerScene()
        app.apply(Push(picker))
        frames(app, 0.1)
        assert {e.path.stem for e in picker.entries} >= {"classic_home", "gentle_start"}
        assert all(e.ok for e in picker.entries)
        before = pygame.image.tobytes(app.screen, "RGB")
        app.draw(0.0)
        assert pygame.image.tobytes(app.screen, "RGB") == before  # drawing changes nothing
        for _ in range(len(picker.entries) + 2):
            picker.handle(Action(Act.DOWN))
        assert picker.focus == len(picker.entries) - 1
        app.draw(0.0)
        assert picker.handle(Action(Act.BACK)) is not None
    finally:
        app.shutdown()
