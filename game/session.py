"""The therapy session as plain logic: what comes next, and what each result changes.

A session runs a :class:`~game.program.SessionPlan`: a pain and fatigue rating,
a short gentle warm-up, each exercise's sets x reps with a rest between sets, a
rating after, and a summary. The runner owns the difficulty controllers (one per
exercise), the fatigue guard and the time budget; the scenes (and the
simulated-patient harness) only ask :meth:`SessionRunner.next_step` and report
back. Time is whatever clock the caller passes in (game time), never the wall.

Stopping for pain ends the session gently: no more sets, straight to the rating
after, and the session's end reason says ``pain``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Union

from game.i18n import N_, _
from game.program import ExercisePlan, SessionPlan
from game.therapy.difficulty import DifficultyChange, DifficultyController, DifficultyState, describe_change
from game.therapy.fatigue import FatigueFlag, FatigueGuard, FatigueSettings
from game.therapy.force_reps import ForceRepSettings
from game.therapy.progression import SessionOutcome, cap_reps_for_today, next_reps_per_set

WARMUP_REPS = 5
WARMUP_TARGET_FRACTION = 0.5  # warm-up squeezes ask for half the working target
PAIN_TOO_HIGH_TO_START = 7  # 0-10: at or above this, no exercise today
MIN_REST_S = 30.0  # pacing never shortens a rest below this (or the prescribed rest, if shorter)
RATING_S = 10.0  # time a rating takes, for the budget estimate
STOP_REASONS = ("pain", "stopped", "time_cap", "quit", "pain_before", "daily_ceiling")

Log = Callable[[str, dict], None]


# ------------------------------------------------------------------ steps
@dataclass(frozen=True)
class RatingStep:
    when: str  # "before" or "after"


@dataclass(frozen=True)
class SetStep:
    exercise: ExercisePlan
    exercise_index: int
    set_number: int  # 0 for the warm-up
    sets: int
    reps: int  # reps to play in this step (what is left of the set after a forced rest)
    target_pct: float
    hold_s: float
    cue_s: float
    warmup: bool = False
    resumed: bool = False

    def detector_settings(self) -> ForceRepSettings:
        base = replace(ForceRepSettings(), **self.exercise.detector) if self.exercise.detector else ForceRepSettings()
        # A rolling exercise's adapted target is the roll (see game_plan); its force
        # target stays the prescribed one (the table roll's pressure band is built on it).
        force_target = self.exercise.target_pct if self.exercise.rolling else self.target_pct
        return replace(base, target_pct=force_target, hold_s=self.hold_s,
                       release_window_s=self.exercise.release_window_s)

    def game_plan(self) -> ExercisePlan:
        """The prescription as this set plays it: a rolling exercise's roll target where
        the staircase has brought it (``target_pct`` is then % of the roll range)."""
        if self.exercise.rolling:
            return replace(self.exercise, roll_target=self.target_pct / 100.0)
        return self.exercise

    @property
    def label(self) -> str:
        return _("Warm-up") if self.warmup else _("Set {n} of {total}").format(n=self.set_number, total=self.sets)


@dataclass(frozen=True)
class RestStep:
    seconds: float
    reason: str  # "between_sets" or "fatigue"
    next_label: str
    # What is different in the set after this rest, in the patient's words (said on the rest
    # screen): "Hold a little longer this set: 1.5 s", "A little lighter after the rest".
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SummaryStep:
    summary: SessionSummary


Step = Union[RatingStep, SetStep, RestStep, SummaryStep]


# ---------------------------------------------------------------- results
@dataclass
class SetRecord:
    exercise: str
    set_number: int
    reps_planned: int
    reps: int = 0
    successes: int = 0
    peaks: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)  # failed reps by the detector's reason
    fatigue_flags: list[FatigueFlag] = field(default_factory=list)
    active_s: float = 0.0

    @property
    def success_rate(self) -> float:
        return self.successes / self.reps if self.reps else 0.0

    @property
    def fatigue_index(self) -> float | None:
        from game.therapy.fatigue import fatigue_index

        return fatigue_index(self.peaks)


@dataclass(frozen=True)
class RepResult:
    """What one rep changed: the target before and after, and whether the set must stop for a rest."""

    difficulty_before: float
    difficulty_after: float
    changes: tuple[DifficultyChange, ...] = ()
    fatigue: FatigueFlag | None = None

    @property
    def rest_now(self) -> bool:
        return self.fatigue is not None


@dataclass
class SessionSummary:
    plan_name: str
    end_reason: str
    elapsed_s: float
    reps_planned: int
    reps_done: int
    successes: int
    sets: list[SetRecord]
    ratings: dict[str, dict[str, int]]
    progression: dict[str, str]

    @property
    def success_rate(self) -> float:
        return self.successes / self.reps_done if self.reps_done else 0.0

    @property
    def fatigue_flagged(self) -> bool:
        return any(s.fatigue_flags for s in self.sets)


# ----------------------------------------------------------------- runner
class SessionRunner:
    def __init__(
        self,
        plan: SessionPlan,
        *,
        states: Mapping[str, DifficultyState | None] | None = None,
        reps_done_today: int = 0,
        fatigue: FatigueSettings | None = None,
        log: Log | None = None,
        pacing: bool = True,
        fatigue_guard: bool = True,
    ) -> None:
        if not plan.exercises:
            raise ValueError(f"the program '{plan.name}' has no exercises")
        self.plan = plan
        self.log: Log = log or (lambda kind, detail: None)
        self.pacing = pacing
        self.fatigue_guard = fatigue_guard
        self.guard = FatigueGuard(fatigue)
        states = states or {}
        self.controllers: dict[str, DifficultyController] = {}
        for ex in plan.exercises:
            if ex.exercise not in self.controllers:
                self.controllers[ex.exercise] = DifficultyController(
                    ex, target_success=plan.target_success, band=plan.success_band, adapt=plan.adapt,
                    state=states.get(ex.exercise))
                self.controllers[ex.exercise].start_session()
                for ch in self.controllers[ex.exercise].start_changes:
                    # The program's own values came back (a start value changed in the level
                    # file, or a setting the program keeps fixed): recorded like any change.
                    self.log("difficulty_change", ch.as_record() | {"exercise": ex.exercise, "set": None,
                                                                     "rep": None})
        # Reps per set: grown by progression in earlier sessions, kept under today's ceiling.
        self.reps_per_set: list[int] = []
        planned_today = reps_done_today
        for ex in plan.exercises:
            st = self.controllers[ex.exercise].state
            reps = st.reps_per_set if st.reps_per_set and st.plan_reps == ex.reps else ex.reps
            capped = cap_reps_for_today(ex.sets, reps, planned_today, plan.daily_rep_ceiling)
            if capped < reps:
                self.log("daily_ceiling", {"exercise": ex.exercise, "reps_per_set": reps, "allowed": capped,
                                           "ceiling": plan.daily_rep_ceiling})
            self.reps_per_set.append(capped)
            planned_today += capped * ex.sets
        self.reps_planned = sum(r * ex.sets for r, ex in zip(self.reps_per_set, plan.exercises))
        self.budget_s = plan.session_cap_min * 60.0
        self.rest_s = [ex.rest_s for ex in plan.exercises]
        self.start_t: float | None = None
        self.phase = "before"
        self.end_reason: str | None = None
        self.ex_i = 0
        self.set_no = 1
        self.reps_left = 0
        self.pending_rest: RestStep | None = None
        self.records: list[SetRecord] = []
        self.current: SetRecord | None = None
        self.ratings: dict[str, dict[str, int]] = {}
        self.progression: dict[str, str] = {}
        self._set_started_at: float | None = None
        self._said: list[str] = []  # changes to say on the next rest screen
        self._changed_at_break = False  # a between-set change was made at this break (one at a time)
        self._ended_set: int | None = None  # the set whose end the last break follows (None before the first)
        self._warmup_spr: float | None = None
        self._summary: SessionSummary | None = None
        self._skip_empty_exercises()
        self.reps_left = self._set_size()

    # ---------------------------------------------------------- reading
    @property
    def exercise(self) -> ExercisePlan:
        return self.plan.exercises[self.ex_i]

    @property
    def controller(self) -> DifficultyController:
        return self.controllers[self.exercise.exercise]

    @property
    def reps_done(self) -> int:
        return sum(r.reps for r in self.records)

    @property
    def successes(self) -> int:
        return sum(r.successes for r in self.records)

    @property
    def finished(self) -> bool:
        return self.phase == "done"

    def states(self) -> dict[str, DifficultyState]:
        return {k: c.state for k, c in self.controllers.items()}

    def elapsed(self, now: float) -> float:
        return 0.0 if self.start_t is None else now - self.start_t

    def time_up(self, now: float) -> bool:
        """The session cap is reached: the set in progress ends (gently, after the current rep)."""
        return self.elapsed(now) >= self.budget_s

    # ------------------------------------------------------------ steps
    def next_step(self, now: float) -> Step:
        if self.start_t is None:
            self.start_t = now
        if self.phase == "exercise" and self.elapsed(now) >= self.budget_s:
            self.stop("time_cap", now)
        if self.phase == "before":
            return RatingStep("before")
        if self.phase == "warmup":
            c = self.controller
            return SetStep(self.exercise, self.ex_i, 0, self.exercise.sets, WARMUP_REPS,
                           target_pct=max(c.lo, round(c.target_pct * WARMUP_TARGET_FRACTION, 1)),
                           hold_s=self.exercise.hold_min_s, cue_s=c.cue_s, warmup=True)
        if self.phase == "exercise":
            if self.pending_rest is not None:
                rest, self.pending_rest = self.pending_rest, None
                self.log("rest", {"seconds": rest.seconds, "reason": rest.reason, "changes": list(rest.changes)})
                return rest
            c = self.controller
            return SetStep(self.exercise, self.ex_i, self.set_no, self.exercise.sets, self.reps_left,
                           target_pct=c.target_pct, hold_s=c.hold_s, cue_s=c.cue_s,
                           resumed=self.current is not None and self.current.set_number == self.set_no)
        if self.phase == "after":
            return RatingStep("after")
        return SummaryStep(self.summary(now))

    # -------------------------------------------------------- reporting
    def rated(self, when: str, pain: int, fatigue: int, now: float) -> None:
        for name, v in (("pain", pain), ("fatigue", fatigue)):
            if not (isinstance(v, int) and 0 <= v <= 10):
                raise ValueError(f"{name} rating must be a whole number from 0 to 10, got {v!r}")
        self.ratings[when] = {"pain": pain, "fatigue": fatigue}
        self.log("rating", {"when": when, "pain": pain, "fatigue": fatigue})
        if when == "before":
            if pain >= PAIN_TOO_HIGH_TO_START:
                self.end_reason = "pain_before"
                self.log("session_end", {"reason": "pain_before", "pain": pain})
                self._finish(now)
                return
            self.phase = "warmup" if self.plan.warmup else "exercise"
            if self.phase == "exercise":
                self._plan_pace(now)
        elif when == "after":
            self._finish(now)

    def set_started(self, step: SetStep, now: float) -> None:
        self._set_started_at = now
        self._said = []
        if step.warmup:
            return
        if not step.resumed:
            self.current = SetRecord(step.exercise.exercise, step.set_number, self.reps_left)
            self.records.append(self.current)
        self.guard.start_stretch()
        self.log("set_start", {"exercise": step.exercise.exercise, "set": step.set_number, "reps": step.reps,
                               "target_pct": step.target_pct, "hold_s": step.hold_s, "cue_s": step.cue_s,
                               "resumed": step.resumed})

    def rep_done(self, step: SetStep, *, success: bool, peak_pct: float, target_pct: float,
                 failure: str | None = None) -> RepResult:
        """One rep from the detector, and why it failed (the detector's failure name, e.g.
        ``hold_too_short``). Feeds the staircase and the fatigue guard.

        Only a success or a failure to reach the target moves the target: a hold too short
        or a slow release never lowers it. A failed rep whose reason is not given is judged
        by its peak: under the target it is "below_target", else the target is not what failed.
        """
        if step.warmup:
            return RepResult(target_pct, target_pct)
        assert self.current is not None
        failure = getattr(failure, "value", failure)  # the detectors' Failure enums are str-valued
        if not success and failure is None:
            failure = "below_target" if peak_pct < target_pct - 1e-9 else "unknown"
        c = self.controllers[step.exercise.exercise]
        before = c.target_pct
        rec = self.current
        rec.reps += 1
        rec.successes += int(success)
        rec.peaks.append(peak_pct)
        if not success:
            rec.failures[str(failure)] += 1
        where = {"exercise": step.exercise.exercise, "set": step.set_number, "rep": rec.reps}
        changes: list[DifficultyChange] = []
        ch = c.record(success, None if success else failure)
        if ch is not None:
            changes.append(ch)
        flag = self.guard.add_rep(peak_pct, target_pct, success) if self.fatigue_guard else None
        if flag is not None:
            rec.fatigue_flags.append(flag)
            self.log("fatigue_flag", flag.as_record() | {"exercise": step.exercise.exercise, "set": step.set_number})
            low = c.lower_target(flag.lower_fraction, "fatigue")
            if low is not None:
                changes.append(low)
                self._say(describe_change(low, when=N_("after the rest")))
            elif c.at_minimum:
                # Safety would lower it, the program's lowest keeps it: said, and recorded.
                self._say(_("The target stays at the lowest your program sets: {target}%").format(target=f"{c.target_pct:g}"))
                self.log("difficulty_held", {"setting": c.setting, "value": c.target_pct, "reason": "fatigue",
                                             "limit": "the program's lowest"} | where)
            c.pause(flag.pause_reps)
            self.log("adaptation_paused", {"reps": flag.pause_reps})
        for change in changes:
            self.log("difficulty_change", change.as_record() | where)
        return RepResult(before, c.target_pct, tuple(changes), flag)

    def set_ended(self, step: SetStep, now: float, reason: str, reps_played: int) -> None:
        """The set (or warm-up) ended: ``completed``, ``fatigue`` (cut short for a forced rest), or a stop reason."""
        if self._set_started_at is not None and step.warmup and reps_played:
            # The warm-up shows how long this patient's squeezes take: the pacing starts from it.
            self._warmup_spr = (now - self._set_started_at) / reps_played
        elif self._set_started_at is not None and self.current is not None:
            self.current.active_s += now - self._set_started_at
        self._set_started_at = None
        if reason in STOP_REASONS:
            self.stop(reason, now)
            return
        if step.warmup:
            self.phase = "exercise"
            self._plan_pace(now)
            return
        self.reps_left = max(0, self.reps_left - reps_played)
        if reason == "fatigue" and self.reps_left > 0:
            self.pending_rest = RestStep(max(self.guard.settings.rest_s, 0.0), "fatigue", step.label,
                                         tuple(self._said))
            self._said = []
            return
        rec = self.current
        assert rec is not None
        self.log("set_end", {"exercise": rec.exercise, "set": rec.set_number, "reps": rec.reps,
                             "successes": rec.successes, "fatigue_index": rec.fatigue_index,
                             "failures": dict(rec.failures)})
        self._ended_set = rec.set_number
        self._advance()
        if self.phase != "exercise":
            return
        self._changed_at_break = False
        if self.exercise.exercise == rec.exercise:
            # Only before another set of the same exercise, so the change is said on the rest
            # screen before the set it applies to (never carried silently into the next session).
            ch = self.controllers[rec.exercise].end_set(rec.successes, rec.reps, rec.failures)
            if ch is not None:
                self._changed_at_break = True
                words = describe_change(ch)
                self._say(words)
                self.log("difficulty_change", ch.as_record() | {
                    "exercise": rec.exercise, "set": rec.set_number, "rep": None, "successes": rec.successes,
                    "reps": rec.reps, "failures": dict(rec.failures), "said": words})
        self._plan_pace(now)
        rest = self.rest_s[self.ex_i - 1] if self.set_no == 1 and self.ex_i > 0 else self.rest_s[self.ex_i]
        forced = reason == "fatigue"
        seconds = max(rest, self.guard.settings.rest_s) if forced else rest
        self.pending_rest = RestStep(seconds, "fatigue" if forced else "between_sets", self._label_next(),
                                     tuple(self._said))
        self._said = []

    def stop(self, reason: str, now: float) -> None:
        """End the session early. Pain and stops go to the rating after; a closed window ends at once."""
        if self.end_reason is not None or self.phase in ("summary", "done"):
            return
        self.end_reason = reason
        self.pending_rest = None
        self.log("session_stop", {"reason": reason, "reps_done": self.reps_done})
        if reason == "quit" or self.phase == "before":
            self._finish(now)
        else:
            self.phase = "after"

    def summary_shown(self) -> None:
        self.phase = "done"

    # ------------------------------------------------------------ inside
    def _say(self, words: str) -> None:
        """Words for the next rest screen (once each: a second lowering in one stretch says the same)."""
        if words not in self._said:
            self._said.append(words)

    def _label_next(self) -> str:
        return _("Set {n} of {total}").format(n=self.set_no, total=self.exercise.sets)

    def _set_size(self) -> int:
        return self.reps_per_set[self.ex_i] if self.ex_i < len(self.reps_per_set) else 0

    def _skip_empty_exercises(self) -> None:
        while self.ex_i < len(self.plan.exercises) and self.reps_per_set[self.ex_i] == 0:
            self.ex_i += 1

    def _advance(self) -> None:
        self.current = None
        self.set_no += 1
        if self.set_no > self.exercise.sets:
            self.ex_i += 1
            self.set_no = 1
            self._skip_empty_exercises()
            if self.ex_i >= len(self.plan.exercises):
                self.ex_i = len(self.plan.exercises) - 1
                self.end_reason = "completed"
                self.phase = "after"
                return
        self.reps_left = self._set_size()

    def _remaining(self) -> tuple[int, int]:
        """Reps still to play and rests still to take, from the current set on."""
        reps = self.reps_left
        rests = 0
        for i in range(self.ex_i, len(self.plan.exercises)):
            sets_left = self.plan.exercises[i].sets - (self.set_no if i == self.ex_i else 0)
            reps += sets_left * self.reps_per_set[i]
            rests += sets_left + (1 if i > self.ex_i and self.reps_per_set[i] else 0)
        return reps, rests

    def _plan_pace(self, now: float) -> None:
        """Fit the remaining reps into the time budget: shorter rests first, then a quicker pace."""
        if not self.pacing:
            return
        reps, rests = self._remaining()
        if reps <= 0:
            return
        done = [r for r in self.records if r.reps]
        c = self.controller
        # Seconds a rep really takes this patient: what they did so far, else the pace plus a squeeze.
        if done:
            spr = sum(r.active_s for r in done) / sum(r.reps for r in done)
        else:
            spr = self._warmup_spr if self._warmup_spr is not None else c.cue_s + 1.0
        left = self.budget_s - self.elapsed(now) - RATING_S
        rest_each = self.rest_s[self.ex_i]
        shortest = min(rest_each, MIN_REST_S)
        if rests and reps * spr + rests * rest_each > left:
            rest_each = max(shortest, (left - reps * spr) / rests)
        for i, ex in enumerate(self.plan.exercises):
            self.rest_s[i] = min(ex.rest_s, max(min(ex.rest_s, MIN_REST_S), rest_each))
        per_rep = (left - rests * self.rest_s[self.ex_i]) / reps
        if per_rep < spr and not self._changed_at_break:
            # The pace (time from one cue to the next) is the only lever left; the
            # patient's own squeeze time still bounds it, so this may not be enough.
            # (Not at a break where another setting just changed: one thing at a time.)
            ch = c.set_pace(min(c.cue_s, per_rep), "time budget")
            if ch is not None:
                detail = ch.as_record() | {"exercise": self.exercise.exercise, "set": self._ended_set, "rep": None}
                if self._ended_set is not None:  # at a break: said on its rest screen (at the start: the first pace)
                    detail["said"] = describe_change(ch)
                    self._say(detail["said"])
                self.log("difficulty_change", detail)
        self.log("pacing", {"reps_left": reps, "rests_left": rests, "rest_s": round(self.rest_s[self.ex_i], 1),
                            "seconds_per_rep": round(spr, 2), "seconds_left": round(left, 1), "cue_s": c.cue_s})

    def _finish(self, now: float) -> None:
        self.phase = "summary"
        if self.end_reason is None:
            self.end_reason = "completed"
        self._progress()
        self._summary = self._make_summary(now)

    def _progress(self) -> None:
        pain_after = self.ratings.get("after", {}).get("pain")
        for i, ex in enumerate(self.plan.exercises):
            recs = [r for r in self.records if r.exercise == ex.exercise]
            c = self.controllers[ex.exercise]
            outcome = SessionOutcome(
                exercise=ex.exercise, sets=ex.sets, reps_per_set=self.reps_per_set[i] or ex.reps,
                reps_done=sum(r.reps for r in recs), successes=sum(r.successes for r in recs),
                fatigue_flagged=any(r.fatigue_flags for r in recs), pain_after=pain_after,
                completed=self.end_reason == "completed" and sum(r.reps for r in recs) >= ex.sets * self.reps_per_set[i],
            )
            others = sum(e.sets * (self.reps_per_set[j] or e.reps) for j, e in enumerate(self.plan.exercises) if j != i)
            # The controller holds success near the aim, so "met" means inside the band or above it.
            prog = next_reps_per_set(outcome, target_success=self.plan.success_band[0],
                                     step=self.plan.progression_reps, daily_ceiling=self.plan.daily_rep_ceiling,
                                     other_reps_per_day=others)
            self.progression[ex.exercise] = prog.reason
            if prog.changed:
                c.state.reps_per_set = prog.reps_per_set
                c.state.plan_reps = ex.reps
            self.log("progression", {"exercise": ex.exercise, "reps_per_set": prog.reps_per_set,
                                     "changed": prog.changed, "reason": prog.reason})

    def _make_summary(self, now: float) -> SessionSummary:
        return SessionSummary(
            plan_name=self.plan.name, end_reason=self.end_reason or "completed", elapsed_s=self.elapsed(now),
            reps_planned=self.reps_planned, reps_done=self.reps_done, successes=self.successes,
            sets=list(self.records), ratings=dict(self.ratings), progression=dict(self.progression),
        )

    def summary(self, now: float) -> SessionSummary:
        if self._summary is None:
            self._summary = self._make_summary(now)
        return self._summary


@dataclass
class SetLink:
    """How a played set talks to its session: the step it plays and where its results go.

    The game scene stays ignorant of the runner: it asks for its settings here and
    hands back each rep and the set's end.
    """

    runner: SessionRunner
    step: SetStep
    session_id: int
    now: Callable[[], float]
    first: bool = False  # the session's first set (it starts the raw trace)
    ended: str | None = None
    reps_played: int = 0

    def rep_done(self, *, success: bool, peak_pct: float, target_pct: float,
                 failure: str | None = None) -> RepResult:
        self.reps_played += 1
        return self.runner.rep_done(self.step, success=success, peak_pct=peak_pct, target_pct=target_pct,
                                    failure=failure)

    def time_up(self) -> bool:
        return not self.step.warmup and self.runner.time_up(self.now())

    def set_ended(self, reason: str) -> None:
        self.ended = reason
