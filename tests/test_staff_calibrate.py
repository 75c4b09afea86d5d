"""The staff patient screen's Calibrate offers what the menu's does: strength, and rolling
reach when the ball can roll (a ball without a motion sensor is only asked its strength)."""

import numpy as np
import pygame

from game.profiles import Profiles
from game.scene import Push
from game.scenes.calibrate import CalibrateScene
from game.scenes.roll_calibrate import CalibrateChoiceScene, RollCalibrateScene
from game.scenes.staff import StaffPatientScene
from tests.test_kiosk import click, key, screens
from tests.test_roll_calibration import advance, motion_app, roll_trace


def _staff_calibrate(app, clock, name: str, hand: str):  # noqa: ANN001, ANN202
    """Open the staff screen of a new patient and press its Calibrate button."""
    dee = Profiles(app.store).create(name, hand=hand)
    app.apply(Push(StaffPatientScene(dee.id)))
    advance(app, clock, 0.2)
    button = next(b for b in app.top.buttons.buttons if b.id == "calibrate")
    click(app, button.rect.center)
    return dee


def test_staff_calibrate_offers_rolling_reach_for_a_ball_that_rolls(tmp_path):
    app, clock = motion_app(tmp_path, roll_trace(60.0, [], []))
    try:
        dee = _staff_calibrate(app, clock, "Dee", "left")
        assert isinstance(app.top, CalibrateChoiceScene)
        assert app.ctx.patient_id == dee.id and app.ctx.play.hand == "left"  # it acts on this patient
        by_id = {b.id: b for b in app.top.buttons.buttons}
        click(app, by_id["roll"].rect.center)
        assert isinstance(app.top, RollCalibrateScene) and not app.top.nominal
        key(app, pygame.K_ESCAPE)  # leave it: back to the staff screen
        assert screens(app)[-1] == "StaffPatientScene"
        # ... and its other choice is the strength calibration
        click(app, next(b for b in app.top.buttons.buttons if b.id == "calibrate").rect.center)
        click(app, {b.id: b for b in app.top.buttons.buttons}["strength"].rect.center)
        assert isinstance(app.top, CalibrateScene)
    finally:
        app.shutdown()


def test_staff_calibrate_is_strength_only_for_a_ball_without_a_motion_sensor(tmp_path):
    app, clock = motion_app(tmp_path, np.column_stack([np.arange(0, 30, 0.01), np.full(3000, 100.0)]),
                            has_roll=False)
    try:
        _staff_calibrate(app, clock, "Eve", "right")
        assert isinstance(app.top, CalibrateScene)
    finally:
        app.shutdown()
