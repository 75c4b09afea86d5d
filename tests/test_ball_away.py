"""While the ball is away the patient is never stuck: keys play on, in the ball's units."""

import numpy as np
import pygame

from game.loop import STEP
from game.scenes.play import DisconnectedScene, PlayScene
from hardware.scripted import ScriptedSource
from hardware.source import SourceStatus
from tests.helpers import BASE, CAL, make_app, run_until


class UnpluggableBall(ScriptedSource):
    """A scripted ball whose cable the test can pull."""

    plugged = True

    @property
    def status(self) -> SourceStatus:
        return SourceStatus.CONNECTED if self.plugged else SourceStatus.DISCONNECTED

    def poll(self):
        got = super().poll()
        return got if self.plugged else []


def press(app, key, down=True):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=key, mod=0))
    app.clock.advance(STEP)
    app.frame()


def test_keyboard_stands_in_for_an_unplugged_ball_then_the_ball_resumes(tmp_path):
    rest = np.column_stack([np.arange(0, 600, 0.01), np.full(60000, BASE)])
    from hardware.clock import ManualClock
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.records.storage import Store

    clock = ManualClock()
    ball = UnpluggableBall(clock, rest, name="Ball")
    app = App(AppOptions(headless=True, data_dir=tmp_path, exercise="power_grip", sound=False, demos=False,
                         play=PlaySettings(reps_per_set=5)),
              clock=clock, source=ball, calibration=CAL, store=Store.in_dir(tmp_path))
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t > 1)
    play = app.top
    ball.plugged = False
    run_until(app, lambda: isinstance(app.top, DisconnectedScene))
    press(app, pygame.K_RETURN)  # "Use the keyboard" has the focus
    run_until(app, lambda: app.top is play)
    assert app.hub.keyboard_standing_in
    # One keyboard squeeze: the imitated hand's effort (60%) arrives as 60 %MVC of this ball.
    press(app, pygame.K_SPACE)
    run_until(app, lambda: play.game.detector.in_rep)
    run_until(app, lambda: play.game.detector.display_pct > 50)
    assert play.game.detector.display_pct < 65
    run_until(app, lambda: play.game.detector.hold_progress >= 1.0)
    press(app, pygame.K_SPACE, down=False)
    run_until(app, lambda: play.game.reps_done == 1)
    assert play.game.reps[0].success
    ball.plugged = True
    for _ in range(5):
        app.clock.advance(STEP)
        app.frame()
    assert app.top is play and not app.hub.keyboard_standing_in
    kinds = [e["kind"] for e in app.store.events()]
    assert "disconnected" in kinds and "reconnected" in kinds
    app.shutdown()


def test_stop_for_today_from_the_disconnected_screen(tmp_path):
    from game.scenes.results import ResultsScene

    trace = np.column_stack([np.arange(0, 600, 0.01), np.full(60000, BASE)])
    app = make_app(tmp_path, trace)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.t > 1)
    app.hub.source.__class__ = UnpluggableBall
    app.hub.source.plugged = False
    run_until(app, lambda: isinstance(app.top, DisconnectedScene))
    press(app, pygame.K_RIGHT)
    press(app, pygame.K_RETURN)
    run_until(app, lambda: isinstance(app.top, ResultsScene) or "Session" in type(app.top).__name__)
    app.shutdown()
