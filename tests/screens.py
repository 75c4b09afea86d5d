"""Every screen of the game, built headless in a state worth looking at.

Used by the contrast test (which checks every text drawn on every screen) and by
``docs/screenshots/make_screenshots.py``. Each entry builds an app at a window
size, brings one screen up through the real scenes and returns the app, ready to
draw. A scripted hand squeezes now and then, so the games show a rep, a count and
their feedback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from game.app import App, AppOptions
from game.context import PlaySettings
from game.loop import STEP
from game.profiles import Profiles
from game.program import ExercisePlan, SessionPlan
from game.scene import Push
from game.records.storage import Store
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, pct


def _app(tmp: Path, size: tuple[int, int], *, seconds: float = 60.0, squeezes: bool = True,
         hand: str = "right", settings: dict | None = None, store_kw: dict | None = None) -> App:
    sq = [Squeeze(1.0 + 3.2 * i, pct(32), rise=0.4, hold=0.9, release=0.5) for i in range(int(seconds / 3.2))]
    trace = synth_trace(sq if squeezes else [], seconds, baseline=BASE, noise_sd=1.0, seed=5)
    clock = ManualClock()
    store_kw = store_kw or {}
    # The patients are made with the usual waits (each one's log entry is written by the store's writer
    # thread: a 10 ms busy timeout lost the race to it on a busy machine); then the store asked for.
    usual = {k: v for k, v in store_kw.items() if k not in ("busy_timeout_ms", "retry_s")}
    store = Store.in_dir(tmp, **usual)
    profiles = Profiles(store)
    if not profiles.list():
        ann = profiles.create("Ann Byrne", hand=hand, settings=settings or {})
        profiles.create("Bob", hand="left")
        profiles.create("Chidi Okafor", hand="right")
        profiles.select(ann.id)
    if usual != store_kw:
        store.close()
        store = Store.in_dir(tmp, **store_kw)
    app = App(AppOptions(headless=True, data_dir=tmp, window_size=size, sound=False,
                         play=PlaySettings(reps_per_set=5)),
              clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL, store=store)
    return app


def run(app: App, seconds: float) -> App:
    """Play ``seconds`` of game time without drawing (drawing never changes state); the caller draws once."""
    draw = app.draw
    app.draw = lambda alpha: None  # type: ignore[method-assign]
    try:
        for _ in range(round(seconds / STEP)):
            app.clock.advance(STEP)
            app.frame()
    finally:
        app.draw = draw  # type: ignore[method-assign]
    return app


def _push(scene_factory: Callable, seconds: float = 1.0, **kw) -> Callable[[Path, tuple[int, int]], App]:  # noqa: ANN003
    def build(tmp: Path, size: tuple[int, int]) -> App:
        app = _app(tmp, size, squeezes=False, **kw)
        app.apply(Push(scene_factory(app)))
        return run(app, seconds)

    return build


def _title(tmp: Path, size: tuple[int, int]) -> App:
    return run(_app(tmp, size, squeezes=False), 1.0)


def _play(exercise: str, seconds: float = 5.5, hand: str = "right") -> Callable[[Path, tuple[int, int]], App]:
    def build(tmp: Path, size: tuple[int, int]) -> App:
        from game.scenes.play import PlayScene

        app = _app(tmp, size, hand=hand)
        app.apply(Push(PlayScene(exercise)))
        return run(app, seconds)

    return build


def _demo(exercise: str, hand: str = "left") -> Callable[[Path, tuple[int, int]], App]:
    def build(tmp: Path, size: tuple[int, int]) -> App:
        from game.games import GAMES, GameSetup
        from game.scenes.demo import DemoScene
        from game.therapy.force_reps import ForceRepSettings
        import random

        app = _app(tmp, size, squeezes=False, hand=hand)
        game = GAMES[exercise](GameSetup(CAL, ForceRepSettings(), 5, random.Random(0), hand=hand))
        app.apply(Push(DemoScene(game)))
        return run(app, 1.2)

    return build


def _calibrate(step: str) -> Callable[[Path, tuple[int, int]], App]:
    def build(tmp: Path, size: tuple[int, int]) -> App:
        from game.scenes.calibrate import CalibrateScene, CalibrationRun, Step

        app = _app(tmp, size, squeezes=False)
        scene = CalibrateScene()
        app.apply(Push(scene))
        if step != "intro":
            run_ = CalibrationRun()
            run_.begin()
            run_.baseline, run_.noise_sd = BASE, 1.0
            run_.last_force = BASE + 120
            if step == "squeeze":
                run_.step, run_.elapsed, run_.trials = Step.SQUEEZE, 1.5, [BASE + 300]
            elif step == "result":
                run_.trials = [BASE + 280, BASE + 310, BASE + 295]
                run_.step = Step.RESULT
                scene._result_buttons()
            elif step == "problem":
                run_.problem = "We could not measure a squeeze yet. That is fine: try again, or ask your therapist."
                run_.step = Step.PROBLEM
                scene._problem_buttons()
            scene.run = run_
        return run(app, 0.3)

    return build


def _session_summary(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.session import SessionScene
    from game.session import SessionSummary

    app = _app(tmp, size, squeezes=False)
    scene = SessionScene()
    app.apply(Push(scene))
    scene.waiting = True
    from game.session import SetRecord

    sets = [SetRecord("power_grip", i, 10, reps=r, successes=k) for i, r, k in ((1, 10, 8), (2, 10, 7), (3, 8, 7))]
    scene.summary = SessionSummary(plan_name="Classic home routine", end_reason="completed", elapsed_s=900.0,
                                   reps_planned=30, reps_done=28, successes=22, sets=sets, ratings={}, progression={})
    scene.saved = True
    return run(app, 0.5)


def _results(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.results import ResultsScene, SetSummary

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(ResultsScene(SetSummary("power_grip", "Bird flight", 10, 10, 8, 34.0, "completed"))))
    return run(app, 0.5)


def _rest(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.rest import RestScene

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(RestScene(60.0, next_label="Set 2 of 3")))
    return run(app, 12.0)


def _rest_changes(tmp: Path, size: tuple[int, int]) -> App:
    """The rest between sets saying what the next set changes (issue 14: no silent change)."""
    from game.scenes.rest import RestScene

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(RestScene(60.0, next_label="Set 2 of 3", changes=(
        "Hold a little longer this set: 1.5 s", "A little quicker this set: one every 2.5 s"))))
    return run(app, 12.0)


def _overlay(kind: str) -> Callable[[Path, tuple[int, int]], App]:
    def build(tmp: Path, size: tuple[int, int]) -> App:
        from game.scenes.pause import PauseScene
        from game.scenes.play import DisconnectedScene, PlayScene
        from game.scenes.stop import StopScene

        app = _app(tmp, size)
        app.apply(Push(PlayScene("power_grip")))
        run(app, 4.0)
        scene = {"pause": lambda: PauseScene(lambda r: None), "stop": lambda: StopScene(lambda r: None),
                 "disconnected": lambda: DisconnectedScene(None)}[kind]()
        app.apply(Push(scene))
        app.draw(0.0)
        return app

    return build


def _rating(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.rating import RatingScene

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(RatingScene("before", lambda p, f: None)))
    return run(app, 5.0)


def _progress(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.progress import ProgressScene

    app = _app(tmp, size)
    app.apply(Push(__import__("game.scenes.play", fromlist=["PlayScene"]).PlayScene("power_grip")))
    run(app, 20.0)
    app.apply(Push(ProgressScene()))
    return run(app, 0.5)


def _settings(tmp: Path, size: tuple[int, int]) -> App:
    from game.scenes.settings import SettingsScene

    app = _app(tmp, size, squeezes=False, settings={"speech": True})
    app.apply(Push(SettingsScene()))
    return run(app, 3.4)


def _confirm_hand(tmp: Path, size: tuple[int, int]) -> App:
    """The settings screen's question before a change: "Change hand to left?" Yes / No."""
    from game.scenes.settings import SettingsScene

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(SettingsScene()))
    app.apply(app.top.change("hand"))
    return run(app, 1.2)


def _confirm_program(tmp: Path, size: tuple[int, int]) -> App:
    """The program picker's question: a long program name next to the one in use."""
    from game.scenes.confirm import ConfirmScene

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(ConfirmScene("Change Ann Byrne's program to Strength block?", lambda: None,
                                before="Default program", after="Strength block")))
    return run(app, 1.2)


def _rating_confirm(tmp: Path, size: tuple[int, int]) -> App:
    """'Pain 7. Is that right?' Yes / Change (a face with the worried brow)."""
    from game.input import Act, Action
    from game.scenes.rating import RatingScene

    app = _app(tmp, size, squeezes=False)
    app.apply(Push(RatingScene("before", lambda p, f: None)))
    run(app, 0.2)
    app.apply(app.top.handle(Action(Act.CLICK, _face_center(7))))
    return run(app, 1.2)


def _face_center(i: int) -> tuple[float, float]:
    from game.scenes.rating import face_rect

    return face_rect(i).center


def _settings_big_text(tmp: Path, size: tuple[int, int]) -> App:
    app = _app(tmp, size, squeezes=False, settings={"text_scale": 1.4})
    return run(app, 1.0)


def _menu(app: App):  # noqa: ANN202
    from game.scenes.menu import MenuScene

    return MenuScene()


def _picker(app: App):  # noqa: ANN202
    from game.scenes.patients import PatientPickerScene

    return PatientPickerScene()


def _profile(app: App):  # noqa: ANN202
    from game.scenes.patients import PatientProfileScene

    return PatientProfileScene(app.ctx.patient_id)


def _levels(app: App):  # noqa: ANN202
    from game.scenes.levels import LevelPickerScene

    return LevelPickerScene()


def _kiosk_picker(app: App):  # noqa: ANN202
    from game.scenes.kiosk import KioskPickerScene

    return KioskPickerScene()


def _kiosk_start(app: App):  # noqa: ANN202
    from game.scenes.kiosk import KioskStartScene

    return KioskStartScene(app.ctx.patient_id)


def _staff_pin(app: App):  # noqa: ANN202
    from game.scenes.staff import StaffPinScene

    return StaffPinScene()


def _staff_menu(app: App):  # noqa: ANN202
    from game.scenes.staff import StaffMenuScene

    return StaffMenuScene()


def _calibrate_choice(app: App):  # noqa: ANN202
    from game.scenes.roll_calibrate import CalibrateChoiceScene

    return CalibrateChoiceScene()


def _storage_fault(tmp: Path, size: tuple[int, int], kind: str) -> App:
    """The start-up fault screen (shown before the game, drawn here over an app's canvas)."""
    import sqlite3

    from game.scenes.storage_fault import StorageFaultScene
    from game.records.storage_faults import diagnose

    exc = sqlite3.DatabaseError("file is not a database") if kind == "damaged" else \
        sqlite3.OperationalError("database is locked")
    fault = diagnose(exc, tmp / "squeeze_quest.sqlite3")
    if kind == "locked":
        fault.explanation = fault.explanation.replace("Another program", "python3 main.py --kiosk (process 4242)")
    app = _app(tmp, size, squeezes=False)
    app.apply(Push(StorageFaultScene(fault, kiosk=True)))
    return run(app, 0.2)


def _saving_delayed(tmp: Path, size: tuple[int, int], *, results: bool) -> App:
    """A set (and its results) while another connection holds the database locked:
    the reps go to the spill journal and the screens say saving is delayed."""
    import sqlite3

    from game.scenes.play import PlayScene
    from game.scenes.results import ResultsScene

    app = _app(tmp, size, store_kw={"busy_timeout_ms": 10, "retry_s": 3600})
    lock = sqlite3.connect(app.store.path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    app._saving_lock = lock  # type: ignore[attr-defined] - held as long as the app: saving stays delayed
    app.apply(Push(PlayScene("power_grip")))
    run(app, 5.0)
    for _ in range(60):
        app.store.flush()
        run(app, 1.0)
        if not results or isinstance(app.top, ResultsScene):
            break
    assert app.store.saving_delayed
    return app


def practice_history(store: Store, patient_id: int, wall: list[float], *, days: int = 24,
                     skip: tuple[int, ...] = (4, 11, 12), exercises: tuple[str, ...] = ("power_grip", "pinch",
                                                                                      "thumb_roll")) -> None:
    """Reps written through the Store over ``days`` days (the clock ``wall`` moved day by day),
    for screens that show a journey: some days off, one exercise more than the others."""
    import random

    from game.records.storage import RepRow

    rng = random.Random(4)
    start = wall[0] - (days - 1) * 86400.0
    for day in range(days):
        if day in skip:
            continue
        wall[0] = start + day * 86400.0
        sid = store.start_session(patient_id, input_device="Squeeze ball")
        for k, ex in enumerate(exercises[: 1 + day % len(exercises)]):
            for n in range(1, 12 + (day % 3) * 8 if k == 0 else 8):
                ok = rng.random() < 0.7
                store.add_rep(sid, RepRow(ex, "right", 1, n, {
                    "success": ok, "failure": None if ok else "below_target", "peak_pct": rng.uniform(18, 42),
                    "target_pct": 20.0, "hold_target_s": 0.5, "hold_s": rng.uniform(0.5, 3.2) if ok else 0.2}))
        store.end_session(sid, "completed")
    store.flush()


def _journey(tmp: Path, size: tuple[int, int], *, brief: bool = False) -> App:
    """My journey after three weeks or so of practice (days off included)."""
    import time

    from game.scenes.journey import JourneyScene

    wall = [time.time()]
    app = _app(tmp, size, squeezes=False, store_kw={"wall": lambda: wall[0]})
    now = wall[0]
    practice_history(app.store, app.ctx.patient_id, wall)
    wall[0] = now
    app.ctx.plan = SessionPlan(exercises=(ExercisePlan("power_grip", sets=2, reps=10), ExercisePlan("pinch", sets=1,
                                                                                                     reps=10)))
    app.apply(Push(JourneyScene(brief=brief)))
    return run(app, 0.5)


def _play_stage(exercise: str, stage: int, hand: str = "right", seconds: float = 5.5
                ) -> Callable[[Path, tuple[int, int]], App]:
    """A set of one game drawn at one of its stages."""

    def build(tmp: Path, size: tuple[int, int]) -> App:
        from game.scenes.play import PlayScene

        app = _app(tmp, size, hand=hand)
        app.apply(Push(PlayScene(exercise, stage=stage)))
        return run(app, seconds)

    return build


def _session_plan() -> SessionPlan:
    return SessionPlan(exercises=(ExercisePlan("power_grip", sets=1, reps=3),))


# name -> builder(tmp_dir, window_size) -> App ready to draw
SCREENS: dict[str, Callable[[Path, tuple[int, int]], App]] = {
    "title": _title,
    "title_biggest_text": _settings_big_text,
    "settings": _settings,
    "confirm_hand": _confirm_hand,
    "confirm_program": _confirm_program,
    "rating_confirm": _rating_confirm,
    "menu": _push(_menu, 2.0),
    "patient_picker": _push(_picker, 2.0),
    "patient_profile": _push(_profile, 1.0),
    "level_picker": _push(_levels, 1.0),
    "calibrate_choice": _push(_calibrate_choice, 1.0),
    "kiosk_picker": _push(_kiosk_picker, 1.0),
    "kiosk_start": _push(_kiosk_start, 1.0),
    "staff_pin": _push(_staff_pin, 1.0),
    "staff_menu": _push(_staff_menu, 1.0),
    "calibrate_intro": _calibrate("intro"),
    "calibrate_squeeze": _calibrate("squeeze"),
    "calibrate_result": _calibrate("result"),
    "calibrate_problem": _calibrate("problem"),
    "rating": _rating,
    "rest": _rest,
    "rest_changes": _rest_changes,
    "results": _results,
    "session_summary": _session_summary,
    "progress": _progress,
    "pause": _overlay("pause"),
    "stop": _overlay("stop"),
    "disconnected": _overlay("disconnected"),
    **{f"play_{g}": _play(g) for g in ("power_grip", "pinch", "finger_flexion", "finger_squeeze", "thumb_flex_ext",
                                       "table_roll", "thumb_roll", "thumb_opposition")},
    "play_power_grip_left_hand": _play("power_grip", hand="left"),
    **{f"demo_{g}": _demo(g) for g in ("power_grip", "pinch", "finger_squeeze", "table_roll")},
    "storage_fault_damaged": lambda tmp, size: _storage_fault(tmp, size, "damaged"),
    "storage_fault_locked": lambda tmp, size: _storage_fault(tmp, size, "locked"),
    "journey": _journey,
    "journey_after_session": lambda tmp, size: _journey(tmp, size, brief=True),
    "play_saving_delayed": lambda tmp, size: _saving_delayed(tmp, size, results=False),
    "results_saving_delayed": lambda tmp, size: _saving_delayed(tmp, size, results=True),
}
# The second games of power grip and table roll, and the screen that chooses between them (issue 17).
from tests.variant_screens import VARIANT_SCREENS  # noqa: E402

SCREENS.update(VARIANT_SCREENS)
# The choice of a game's place (stage), for each hand (issue 17).
from tests.stage_screens import STAGE_SCREENS  # noqa: E402

SCREENS.update(STAGE_SCREENS)
# The main screens, shot for docs/screenshots at both window sizes.
MAIN_SCREENS = ("title", "settings", "confirm_hand", "patient_picker", "calibrate_squeeze", "rating",
                "rating_confirm", "play_power_grip",
                "demo_power_grip", "rest", "session_summary", "menu", "title_biggest_text")
