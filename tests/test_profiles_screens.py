"""The patient picker and profile screens in a headless app."""

from __future__ import annotations

import json
from pathlib import Path

from game.input import Act, Action
from game.loop import STEP
from game.profiles import Profiles
from game.scene import Push
from game.scenes.levels import LevelPickerScene
from game.scenes.patients import PatientPickerScene, PatientProfileScene, contrast, ink_on, TILE_RGB
from game.records.storage import Store
from tests.helpers import make_app


def frames(app, n: int = 3) -> None:
    for _ in range(n):
        app.clock.advance(STEP)
        app.frame()


def test_choose_a_patient_then_change_their_program_and_hand(tmp_path: Path):
    store = Store.in_dir(tmp_path)
    pr = Profiles(store)
    ann = pr.create("Ann", hand="left", level="gentle_start.yaml")
    pr.create("Bob", level="classic_home.yaml")
    store.close()
    app = make_app(tmp_path, exercise=None)
    try:
        picker = PatientPickerScene()
        app.apply(Push(picker))
        frames(app)
        names = [p.name for p in picker.patients]
        assert names == ["Ann", "Bob"]
        picker.handle(Action(Act.RIGHT))
        app.apply(picker.handle(Action(Act.CONFIRM)))  # Bob
        assert isinstance(app.top, PatientProfileScene)
        bob = Profiles(app.store).find("Bob")
        assert app.ctx.patient_id == bob.id and app.ctx.plan.name == "Classic home routine"
        assert Profiles(app.store).current().id == bob.id
        frames(app)
        profile = app.top
        # Hand: asked first ("Change Bob's hand to left?"), then changed by Yes.
        from game.scenes.confirm import ConfirmScene

        profile.buttons.focus = [b.id for b in profile.buttons.buttons].index("hand")
        app.apply(profile.handle(Action(Act.CONFIRM)))
        assert isinstance(app.top, ConfirmScene) and app.top.question == "Change Bob's hand to left?"
        assert Profiles(app.store).get(bob.id).hand == "right"
        app.apply(app.top.handle(Action(Act.CONFIRM)))  # Yes is lit first
        assert app.top is profile
        assert Profiles(app.store).get(bob.id).hand == "left" and app.ctx.play.hand == "left"
        changes = [json.loads(e["detail"]) for e in app.store.events() if e["kind"] == "profile_change"]
        assert [c["what"] for c in changes] == ["patient added", "patient added", "hand"]
        change = changes[-1]
        assert change == {"patient_id": bob.id, "patient": "Bob", "what": "hand", "old": "right", "new": "left",
                          "where": "patient screen"}
        # Program: opens the level picker; choosing there assigns it.
        profile.buttons.focus = [b.id for b in profile.buttons.buttons].index("program")
        app.apply(profile.handle(Action(Act.CONFIRM)))
        assert isinstance(app.top, LevelPickerScene)
        lp = app.top
        lp.focus = [e.path.stem for e in lp.entries].index("strength_block")
        app.apply(lp.handle(Action(Act.CONFIRM)))
        assert isinstance(app.top, ConfirmScene) and app.top.question == "Change Bob's program to Strength block?"
        app.apply(app.top.handle(Action(Act.CONFIRM)))
        frames(app)
        assert app.top is profile and app.ctx.plan.name == "Strength block"
        assert profile.level_title == "Strength block"
        frames(app)
        # Archive needs two presses.
        profile.buttons.focus = [b.id for b in profile.buttons.buttons].index("archive")
        assert profile.handle(Action(Act.CONFIRM)) is None
        assert not Profiles(app.store).get(bob.id).archived
        app.apply(profile.handle(Action(Act.CONFIRM)))
        assert Profiles(app.store).get(bob.id).archived
        assert app.ctx.patient_id == ann.id  # the game moves on to someone still active
        assert app.top is picker and [p.name for p in picker.patients] == ["Ann"]
        frames(app)
    finally:
        app.shutdown()


def test_kiosk_profile_has_no_edit_buttons_and_tiles_read_well(tmp_path: Path):
    app = make_app(tmp_path, exercise=None)
    try:
        app.ctx.kiosk = True
        app.apply(Push(PatientProfileScene(app.ctx.patient_id)))
        frames(app)
        assert [b.id for b in app.top.buttons.buttons] == ["done"]
    finally:
        app.shutdown()
    for rgb in TILE_RGB.values():  # initials on every tile colour: at least 4.5:1
        assert contrast(ink_on(rgb), rgb) >= 4.5, rgb


def test_title_screen_reaches_the_patient_and_program_pickers(tmp_path: Path):
    from game.scenes.title import TitleScene

    app = make_app(tmp_path, exercise=None)
    try:
        title = app.top
        assert isinstance(title, TitleScene)
        ids = [b.id for b in title.buttons.buttons]
        assert "who" in ids and "program" in ids
        who = title.buttons.buttons[ids.index("who")]
        app.apply(title.handle(Action(Act.CLICK, who.rect.center)))
        assert isinstance(app.top, PatientPickerScene)
        app.apply(app.top.handle(Action(Act.BACK)))
        program = title.buttons.buttons[ids.index("program")]
        app.apply(title.handle(Action(Act.CLICK, program.rect.center)))
        assert isinstance(app.top, LevelPickerScene)
        lp = app.top
        lp.focus = [e.path.stem for e in lp.entries].index("gentle_start")
        app.apply(lp.handle(Action(Act.CONFIRM)))
        question = app.top  # "Change ...'s program to Gentle start?": a click on Yes
        yes = next(b for b in question.buttons.buttons if b.id == "yes")
        app.apply(question.handle(Action(Act.CLICK, yes.rect.center)))
        frames(app)
        assert app.top is title
        labels = {b.id: b.label for b in title.buttons.buttons}
        assert labels["program"] == "Gentle start"  # the title shows the new program
        frames(app)
    finally:
        app.shutdown()
