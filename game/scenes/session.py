"""A therapy session on screen: the runner decides, this scene pushes the screens.

Rating before, warm-up, each set as a PlayScene, a RestScene between sets, the
rating after, and a summary. Everything the runner logs goes to the records; the
difficulty state is saved to the patient's profile when the session ends.
"""

from __future__ import annotations

from datetime import date

from game import __version__
from game.i18n import _, ngettext
from game.input import Act, Action
from game.scene import Push, Replace, Scene, Transition
from game.session import RatingStep, RestStep, SessionRunner, SetLink, SetStep, SummaryStep
from game.records.storage import END_COMPLETED, END_QUIT, END_STOPPED, END_STOPPED_PAIN
from game.therapy.difficulty import DifficultyState
from game.ui import Canvas, LRect, Theme, draw_tick
from game.widgets import Button, ButtonGroup, ChoiceSwitch, fit_size
from hardware.sample import Sample

STORE_REASON = {"completed": END_COMPLETED, "pain": END_STOPPED_PAIN, "pain_before": END_STOPPED_PAIN,
                "stopped": END_STOPPED, "quit": END_QUIT, "time_cap": "time_cap", "daily_ceiling": "daily_ceiling"}


class SessionScene(Scene):
    def __init__(self) -> None:
        self.runner: SessionRunner | None = None
        self.session_id: int | None = None
        self.link: SetLink | None = None
        self.waiting = False  # a child scene is on top
        self.summary = None
        self.unsaved = 0  # the session's reps kept (spill journal) but not yet in the records
        self.saved = False
        self._played = False

    # ----------------------------------------------------------- set-up
    def enter(self) -> None:
        ctx = self.ctx
        store = ctx.store
        from game.records.provenance import describe, records_patient

        # Scripted play goes under its own record (or --record-as), with the input, calibration and program.
        self.session_id = store.start_session(records_patient(ctx), input_device=ctx.hub.source.info.name,
                                              level=ctx.plan.source_file, app_version=__version__,
                                              provenance=describe(ctx))
        states = {k: DifficultyState.from_dict(v) for k, v in self._profile_difficulty().items()
                  if isinstance(v, dict)}
        self.runner = SessionRunner(ctx.plan, states=states, reps_done_today=self._reps_today(), log=self._log)
        self.switch = ChoiceSwitch(ctx)
        self.buttons = ButtonGroup([Button("done", _("Done"), LRect(490, 590, 300, 100))])
        self.shown_for = 0.0

    def _profile_difficulty(self) -> dict:
        try:
            from game.profiles import Profiles

            return Profiles(self.ctx.store).get(self.ctx.patient_id).difficulty
        except Exception as exc:  # a missing or unreadable profile must not block exercise
            self._log("difficulty_state_unreadable", {"error": str(exc)})
            return {}

    def _reps_today(self) -> int:
        try:
            from game.records.records import local_day, today_summary

            from game.records.provenance import records_patient

            return today_summary(self.ctx.store, records_patient(self.ctx),
                                 today=local_day(self.ctx.store.now())).reps_today
        except Exception:  # records not available: count from zero, the session cap still holds
            return 0

    def _log(self, kind: str, detail: dict) -> None:
        store = self.ctx.store
        if kind == "difficulty_change":
            # The runner says which set (and rep) a change came from: a between-set change is
            # made after the set's scene has gone, so the link no longer knows.
            set_number = detail["set"] if "set" in detail else (self.link.step.set_number if self.link else None)
            store.log_difficulty_change(self.session_id, exercise=detail.get("exercise", ""),
                                        setting=detail["setting"], before=detail["before"], after=detail["after"],
                                        reason=detail["reason"], set_number=set_number, rep_number=detail.get("rep"))
        store.log_event(self.session_id, kind, detail)

    # ------------------------------------------------------------- flow
    def resume(self) -> None:
        self.waiting = False
        if self.link is not None:
            link, self.link = self.link, None
            assert self.runner is not None
            self.runner.set_ended(link.step, self.ctx.clock.now(), link.ended or "quit", link.reps_played)

    def _stop(self, reason: str) -> None:
        assert self.runner is not None
        self.runner.stop(reason, self.ctx.clock.now())

    def _rated(self, when: str):  # noqa: ANN202
        def done(pain: int, fatigue: int) -> None:
            assert self.runner is not None and self.session_id is not None
            self.ctx.store.rate_session(self.session_id, **{f"pain_{when}": pain, f"fatigue_{when}": fatigue})
            self.runner.rated(when, pain, fatigue, self.ctx.clock.now())

        return done

    def update(self, dt: float) -> Transition:
        assert self.runner is not None
        if self.summary is not None:
            self.shown_for += dt
            # Saving may work again while the summary is up: then the records hold them all.
            self.unsaved = self.ctx.store.held_reps(self.session_id) if self.session_id is not None else 0
            return None
        if self.waiting:
            return None
        now = self.ctx.clock.now()
        step = self.runner.next_step(now)
        if isinstance(step, SummaryStep):
            self.summary = step.summary
            self._save()
            self.unsaved = self.ctx.store.held_reps(self.session_id) if self.session_id is not None else 0
            return None
        self.waiting = True
        if isinstance(step, RatingStep):
            from game.scenes.rating import RatingScene

            return Push(RatingScene(step.when, self._rated(step.when)))
        if isinstance(step, RestStep):
            from game.scenes.rest import RestScene

            return Push(RestScene(step.seconds, reason=step.reason, next_label=step.next_label, on_stop=self._stop,
                                  changes=step.changes))
        assert isinstance(step, SetStep)
        from game.scenes.play import PlayScene

        assert self.session_id is not None
        self.link = SetLink(self.runner, step, self.session_id, self.ctx.clock.now, first=not self._played)
        self._played = True
        self.runner.set_started(step, now)
        from game.scenes.roll_calibrate import before_roll_play

        # Before the first rolling set on a ball that feels rolling: its roll range, if not known yet.
        from game.scenes.game_choice import with_game_choice

        play = with_game_choice(self.ctx, PlayScene(step.exercise.exercise, step.set_number, link=self.link))
        return Push(before_roll_play(self.ctx, play,
                                     step.exercise.exercise))

    def _save(self) -> None:
        if self.saved:
            return
        self.saved = True
        assert self.runner is not None and self.session_id is not None
        try:
            from game.profiles import Profiles

            if getattr(self.ctx, "simulated", False):
                # Scripted play never moves a patient's starting targets (issue 14).
                raise RuntimeError("simulated play: the patient's difficulty is left as it was")
            profiles = Profiles(self.ctx.store)
            for exercise, state in self.runner.states().items():
                profiles.set_difficulty(self.ctx.patient_id, exercise, state.to_dict())
        except Exception as exc:  # the session's reps are saved; only tomorrow's start point is lost
            self._log("difficulty_state_not_saved", {"error": str(exc)})
        reason = self.runner.end_reason or "completed"
        self.ctx.store.end_session(self.session_id, STORE_REASON.get(reason, reason))

    def exit(self) -> None:
        if self.runner is not None and self.session_id is not None and not self.saved:
            self.runner.stop("quit", self.ctx.clock.now())
            self._save()

    # ----------------------------------------------------- summary input
    def _leave(self) -> Transition:
        assert self.runner is not None
        self.runner.summary_shown()
        # The journey map for a few seconds: today's goal, the streak, the places opened.
        from game.scenes.journey import JourneyScene

        return Replace(JourneyScene(brief=True))

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.summary is not None and self.switch.feed(samples) and self.shown_for >= 2.0:
            return self._leave()
        return None

    def handle(self, action: Action) -> Transition:
        if self.summary is None:
            return None
        if action.kind is Act.BACK or self.buttons.handle(action) == "done":
            return self._leave()
        return None

    # ------------------------------------------------------------- draw
    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        s = self.summary
        if s is None:
            c.text(_("Getting ready..."), (640, 360), size=48)
            return
        pain = s.end_reason in ("pain", "pain_before")
        head = {"completed": _("Well done!"), "time_cap": _("Time is up. Well done!")}.get(
            s.end_reason, _("Rest your hand now") if pain else _("Good work today"))
        c.text(head, (640, 90), size=fit_size(c, head, 70, 1040, bold=True), bold=True, color=Theme.FOCUS)
        if pain:
            told = _("Stopping was the right thing. Tell your therapist it hurt.")
            c.text(told, (640, 165), size=fit_size(c, told, 32, 1200))
        else:
            c.text(_(s.plan_name), (640, 165), size=32, color=Theme.TEXT_DIM)
        # Never claim a rep the records do not hold: those kept for later are said to be.
        played = len([x for x in s.sets if x.reps])
        done_note = (_("of {planned}, {n} kept, saving delayed").format(planned=s.reps_planned, n=self.unsaved)
                     if self.unsaved else
                     ngettext("of {n} squeeze", "of {n} squeezes", s.reps_planned).format(n=s.reps_planned))
        cards = [
            (f"{s.reps_done}", done_note),
            (f"{round(100 * s.success_rate)}%" if s.reps_done else "-", _("on target")),
            (f"{played}", ngettext("set played", "sets played", played)),
        ]
        for i, (big, small) in enumerate(cards):
            r = LRect(110 + i * 370, 230, 320, 230)
            c.rect(Theme.PANEL, r, radius=24)
            c.text(big, (r.center[0], r.y + 100), size=90, bold=True)
            c.text(small, (r.center[0], r.y + 185), size=fit_size(c, small, 30, r.w - 16), color=Theme.TEXT_DIM)
        if self.unsaved:
            from game.scenes.play import draw_saving_delayed

            draw_saving_delayed(c, LRect(275, 4, 730, 50))
        if s.end_reason == "completed":
            draw_tick(c, (1180, 90), 60)
        c.text(_("Squeeze, press Space, or click Done"), (640, 530), size=26, color=Theme.TEXT_DIM)
        self.buttons.draw(c, size=40)
