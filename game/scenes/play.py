"""Playing one set of one exercise: the mini-game, the record, pause and stop."""

from __future__ import annotations

from collections.abc import Callable

from game import __version__
from game.i18n import N_, _
from game.games import GameSetup, MiniGame, game_class
from game.input import Act, Action
from game.scene import Pop, Push, Replace, Scene, Transition
from game.widgets import Button, ButtonGroup, fit_size
from game.scenes.keep_going import KeepGoingScene, StillnessWatch
from game.scenes.pause import PauseScene
from game.scenes.results import ResultsScene, SetSummary
from game.scenes.roll_calibrate import roll_range_for_play
from game.records.provenance import Provenance, describe, records_patient
from game.replay import trace_settings
from game.session import SetLink
from game.records.storage import END_STOPPED_PAIN, RepRow
from game.therapy.force_reps import ForceRepSettings
from game.ui import Canvas, LRect, Theme, draw_pause_icon, draw_stop_icon
from hardware.sample import Sample

PAUSE_BUTTON = LRect(1040, 20, 100, 84)
STOP_BUTTON = LRect(1156, 20, 104, 84)
SAVING_DELAYED = N_("Saving is delayed — your exercise is kept")
SAVING_BANNER = LRect(290, 22, 730, 60)


def draw_saving_delayed(c: Canvas, rect: LRect = SAVING_BANNER) -> None:
    """The records could not be written just now (locked, disk full): every rep is kept
    (spill journal, memory) and saved when it can be; the patient plays on."""
    c.rect(Theme.BG, rect, radius=14)
    c.rect(Theme.NEAR, rect, radius=14, width=4)
    x, y = rect.x + 34, rect.y + rect.h / 2
    c.circle(Theme.NEAR, (x, y), 15)  # a clock face: "later", not "lost"
    c.line(Theme.DARK_TEXT, (x, y), (x, y - 10), 4)
    c.line(Theme.DARK_TEXT, (x, y), (x + 8, y), 4)
    c.text(_(SAVING_DELAYED), (rect.x + 60 + (rect.w - 70) / 2, y), size=fit_size(c, _(SAVING_DELAYED), 26, rect.w - 80),
           color=Theme.TEXT)


class DisconnectedScene(Scene):
    """Shown over the game while the ball is away; it goes by itself when it is back.

    The patient is never stuck: one press plays on with the keyboard (its effort in
    the ball's units, through the same detector), another stops for today.
    """

    overlay = True

    def __init__(self, session_id: int | None = None, on_choice: Callable[[str], None] | None = None) -> None:
        self.session_id = session_id
        self.on_choice = on_choice

    def enter(self) -> None:
        self.buttons = ButtonGroup([
            Button("keys", _("Use the keyboard"), LRect(250, 440, 370, 96)),
            Button("stop", _("Stop for today"), LRect(660, 440, 370, 96)),
        ])

    def update(self, dt: float) -> Transition:
        if self.ctx.hub.connected:
            self.ctx.store.log_event(self.session_id, "reconnected", {"device": self.ctx.hub.source.info.name,
                                                                      "status": self.ctx.hub.message})
            return Pop()
        return None

    def handle(self, action: Action) -> Transition:
        chosen = self.buttons.handle(action)
        if chosen is not None:
            self.ctx.store.log_event(self.session_id, "disconnected_choice", {"choice": chosen})
            if self.on_choice is not None:
                self.on_choice(chosen)
            return Pop()
        return None

    def draw(self, c: Canvas, alpha: float) -> None:
        c.rect(Theme.BG, LRect(200, 110, 880, 520), radius=30)
        c.rect(Theme.NEAR, LRect(200, 110, 880, 520), radius=30, width=5)
        # a ball with its cable unplugged
        c.circle(Theme.NEAR, (520, 230), 60)
        c.line(Theme.TEXT, (580, 230), (680, 230), 8)
        c.rect(Theme.TEXT_DIM, (710, 212, 56, 36), radius=6)
        c.text(_("Ball disconnected"), (640, 330), size=fit_size(c, _("Ball disconnected"), 52, 840, bold=True), bold=True)
        plug = _("Plug it back in. Your squeezes are saved.")
        c.text(plug, (640, 390), size=fit_size(c, plug, 32, 840), color=Theme.TEXT)
        self.buttons.draw(c, size=32)
        c.text(self.ctx.hub.message, (640, 590), size=24, color=Theme.TEXT_DIM)


class PlayScene(Scene):
    """One set. Free play takes its settings from ``ctx.play``; in a session, ``link``
    carries the set's settings (plan + current difficulty) and takes back each rep."""

    def __init__(self, exercise: str, set_number: int = 1, *, link: SetLink | None = None,
                 stage: int | None = None) -> None:
        self.exercise = exercise
        self.set_number = set_number
        self.link = link
        # The stage the game is drawn at: the newest one the patient's practice has opened
        # (None: read from the records when the set starts). Drawing only (game/therapy/stages.py).
        self.stage = stage
        self.session_id: int | None = None
        self.ended: str | None = None

    def enter(self) -> None:
        ctx = self.ctx
        p = ctx.play
        step = self.link.step if self.link is not None else None
        setup = GameSetup(
            calibration=ctx.calibration,
            detector=step.detector_settings() if step else ForceRepSettings(target_pct=p.target_pct, hold_s=p.hold_s),
            reps_target=step.reps if step else p.reps_per_set,
            rng=ctx.rng(f"{self.exercise}:{self.set_number}"),
            hand=p.hand,
            # The session's pace: time from one cue to the next, less the squeeze itself; the
            # patient's game speed stretches it (0.8 -> 1.25 x the time), never the hold or target.
            rest_between_reps_s=(max(1.0, step.cue_s - 0.5) if step else p.rest_between_reps_s) * ctx.access.pace,
            # A ball without a motion sensor: the rolling games say so and roll with the mouse.
            # The rolling games judge strokes against this patient's calibrated roll range.
            extra={"roll_from_mouse": ctx.hub.roll_from_mouse, "roll_range": roll_range_for_play(ctx, self.exercise)},
            # The prescription (finger pairs, the roll target where the session has brought it).
            plan=step.game_plan() if step else None,
            set_number=self.set_number,
            stage=self.stage if self.stage is not None else self._stage_from_records(),
        )
        from game.scenes.game_choice import game_for

        # The program's game, else the patient's choice (this run, else remembered), else the default.
        self.game_id = game_for(ctx, self.exercise, self.link)
        self.game: MiniGame = game_class(self.exercise, self.game_id)(setup)
        self._cues_heard = 0
        # "Keep going?" after the patient's time with no effort: the ball's way to Stop during a set.
        self.stillness = StillnessWatch(ctx.access.ask_after_s)
        ctx.speech.say(_(self.game.instruction))
        # Provenance: what is playing (the keyboard standing in for an unplugged ball is the
        # keyboard for those reps), the calibration and the program; followed rep by rep.
        self._prov_key: tuple | None = None
        self._prov: Provenance = self._provenance()
        self._set_provs: list[Provenance] = []
        if self.link is not None:
            self.session_id = self.link.session_id
        else:
            self.session_id = ctx.store.start_session(
                records_patient(ctx), input_device=ctx.hub.source.info.name, app_version=__version__,
                level=ctx.plan.source_file, provenance=self._prov,
            )
        ctx.store.log_event(self.session_id, "set_start", {"exercise": self.exercise, "set": self.set_number,
                                                            **({"game": self.game_id} if self.game_id else {})})
        # The raw trace is kept with what a replay needs to run it through the detector again.
        if self.link is None or self.link.first:
            ctx.store.start_trace(self.session_id, trace_settings(ctx.calibration, self.game.detector.settings,
                                                                  exercise=self.exercise, hand=self.game.setup.hand))
        self.set_started_at = ctx.store.now()
        self._saving_delayed = False
        # The drawn demonstration comes before the first set of each exercise (pushed on the first frame).
        self._demo_pending = self.set_number <= 1 and ctx.demos and self.exercise not in ctx.demos_seen

    def _stage_from_records(self) -> int:
        # The program's pinned stage, else the patient's chosen one, else the newest opened.
        from game.journey import stage_to_play

        return stage_to_play(self.ctx, self.exercise, self.link)

    # ------------------------------------------------------------- events
    def _stop(self, reason: str) -> None:
        self.ended = reason

    _keys_while_away = False

    def _on_disconnected_choice(self, choice: str) -> None:
        if choice == "keys":
            self._keys_while_away = True  # until the ball is back
        elif choice == "stop":
            self._stop("stopped")

    def _provenance(self) -> Provenance:
        """The provenance now, recomputed only when the input changed (cheap per frame)."""
        hub = self.ctx.hub
        key = (hub.keyboard_standing_in, id(hub.source), getattr(hub.keyboard, "control", None),
               self.ctx.calibration)
        if key != self._prov_key:
            self._prov_key = key
            self._prov = describe(self.ctx, hand=self.game.setup.hand, exercise=self.exercise)
        return self._prov

    def on_samples(self, samples: list[Sample]) -> Transition:
        hub = self.ctx.hub
        if self.ended is not None:
            return None  # the set is ending (e.g. "stop" chosen while the ball was away)
        if hub.connected:
            if self._keys_while_away:
                self._keys_while_away = False
                self.ctx.store.log_event(self.session_id, "reconnected", {"device": hub.source.info.name})
        elif not self._keys_while_away:
            self.ctx.store.log_event(self.session_id, "disconnected", {"device": hub.source.info.name})
            return Push(DisconnectedScene(self.session_id, self._on_disconnected_choice))
        if getattr(self, "_demo_pending", False):
            from game.scenes.demo import DemoScene

            self._demo_pending = False
            self.ctx.demos_seen.add(self.exercise)
            return Push(DemoScene(self.game))
        if not self.game.set_complete:
            self.ctx.store.add_samples(self.session_id, samples)  # exactly what the detector is fed
        if samples:
            self._provenance()
        for rep in self.game.feed(samples):
            self._record(rep)
            self.ctx.audio.play("success" if rep.success else "near")
        return None

    def _record(self, rep) -> None:  # noqa: ANN001
        assert self.session_id is not None
        m = rep.as_record()
        m["failure"] = m["failure"]
        m["filter"] = {"detect_hz": self.game.detector.settings.detect_cutoff_hz,
                       "display_hz": self.game.detector.settings.display_cutoff_hz}
        m["baseline_device"] = self.game.detector.baseline
        m["difficulty_before"] = m["difficulty_after"] = rep.target_pct
        if self.link is not None:
            # The session's difficulty controller sees every rep; the next rep plays at its new target.
            # A roll's effort is how far it went (% of range): the fatigue guard watches that.
            reached = rep.range_pct if self.game.channel == "roll" else rep.peak_pct
            res = self.link.rep_done(success=rep.success, peak_pct=reached, target_pct=rep.target_pct,
                                     failure=rep.failure)  # what failed decides what adapts
            m["difficulty_before"], m["difficulty_after"] = res.difficulty_before, res.difficulty_after
            det = self.game.detector
            det.set_settings(det.settings.with_target(res.difficulty_after))
            if res.rest_now and not self.game.set_complete:
                self.ended = "fatigue"  # a forced rest now; the set goes on after it
        m.update(self.game.record_extra(rep))
        self._set_provs.append(self._prov)
        self.ctx.store.add_rep(self.session_id, RepRow(
            exercise=self.exercise, hand=self.game.setup.hand, set_number=self.set_number,
            rep_number=rep.number, measurements=m,
        ), provenance=self._prov)

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.PAUSE, Act.BACK):
            return Push(PauseScene(self._stop))
        if action.kind is Act.CLICK and action.pos is not None:
            if PAUSE_BUTTON.contains(action.pos):
                return Push(PauseScene(self._stop))
            if STOP_BUTTON.contains(action.pos):
                from game.scenes.stop import StopScene

                return Push(StopScene(self._stop))
        return None

    def update(self, dt: float) -> Transition:
        delayed = self.ctx.store.saving_delayed
        if delayed != self._saving_delayed:
            # Said in the records too (stored once saving works again).
            self._saving_delayed = delayed
            self.ctx.store.log_event(self.session_id, "saving_delayed" if delayed else "saving_resumed",
                                     {"exercise": self.exercise, "set": self.set_number, "reps": self.game.reps_done})
        if self.ended is None:
            self.game.update(dt)
            if self.game.cues_given > self._cues_heard:  # the game asked for a rep: "your turn"
                self._cues_heard = self.game.cues_given
                self.ctx.audio.play("turn")
            if self.game.finished:
                self.ended = "completed"
            elif self.link is not None and self.link.time_up() and not self.game.detector.in_rep:
                self.ended = "time_cap"
            elif self.stillness.step(dt, self.game.effort_now()) and not self.game.set_complete:
                return self._ask_keep_going()
        if self.ended is not None:
            summary = self._finish(self.ended)
            if self.link is not None:
                self.link.set_ended(self.ended)
                return Pop()
            return Replace(ResultsScene(summary, saving_was_delayed=self._saving_delayed))
        return None

    def music_phase(self) -> str | None:
        """The set's pace for the music (game/music.py): a squeeze held, working, or resting."""
        g = self.game
        if self.ended is not None or g.set_complete:
            return "rest"
        d = g.detector
        if d.in_rep and getattr(d, "hold_progress", 0.0) > 0.0:
            return "hold"
        return "work" if g.effort_now() else "rest"

    def _ask_keep_going(self) -> Transition:
        self.stillness.reset()
        self.ctx.store.log_event(self.session_id, "keep_going_asked", {
            "exercise": self.exercise, "set": self.set_number, "reps": self.game.reps_done,
            "still_s": self.stillness.ask_after_s})
        return Push(KeepGoingScene(self._stop, self.session_id))

    def resume(self) -> None:
        self.stillness.reset()  # back from a pause, a question or a demonstration: the wait starts again

    def _finish(self, reason: str) -> SetSummary:
        assert self.session_id is not None
        self.ctx.store.log_event(self.session_id, "set_end", {"reason": reason, "reps": self.game.reps_done})
        g = self.game
        self.ctx.store.finish_set(self.session_id, exercise=self.exercise, set_number=self.set_number,
                                  hand=g.setup.hand, reps_target=g.setup.reps_target, end_reason=reason,
                                  active_s=g.t, started_at=self.set_started_at,
                                  # the input most of the set's reps came from
                                  provenance=max(self._set_provs, key=self._set_provs.count, default=self._prov))
        if self.link is None:
            self.ctx.store.end_session(self.session_id, END_STOPPED_PAIN if reason == "pain" else reason)
        return SetSummary(
            exercise=self.exercise, title=g.title, reps=g.reps_done, target=g.setup.reps_target,
            successes=g.successes, best_peak_pct=max((r.peak_pct for r in g.reps), default=None), ended=reason,
            rep_word=g.rep_word, rolling=g.channel == "roll",
            # a roll rep's record keeps its reach as roll_range (% of the calibrated range)
            best_roll_pct=max((r.range_pct for r in g.reps if hasattr(r, "range_pct")), default=None),
            session_id=self.session_id, set_number=self.set_number,
        )

    def exit(self) -> None:
        # Leaving without finishing (the window closed): the record says so.
        if self.session_id is not None and self.link is None:
            self.ctx.store.end_session(self.session_id, "quit")

    # --------------------------------------------------------------- draw
    def draw(self, c: Canvas, alpha: float) -> None:
        self.game.draw(c, alpha)
        c.rect(Theme.PANEL, PAUSE_BUTTON, radius=16)
        draw_pause_icon(c, (PAUSE_BUTTON.center[0], PAUSE_BUTTON.y + 32), 34)
        c.text(_("Pause"), (PAUSE_BUTTON.center[0], PAUSE_BUTTON.y + 66), size=fit_size(c, _("Pause"), 20, PAUSE_BUTTON.w - 6))
        c.rect(Theme.STOP, STOP_BUTTON, radius=16)
        draw_stop_icon(c, (STOP_BUTTON.center[0], STOP_BUTTON.y + 32), 34, Theme.TEXT)
        c.text(_("Stop"), (STOP_BUTTON.center[0], STOP_BUTTON.y + 66), size=fit_size(c, _("Stop"), 20, STOP_BUTTON.w - 6, bold=True),
               bold=True)
        if self._saving_delayed:
            draw_saving_delayed(c)
