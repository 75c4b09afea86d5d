"""Adaptive difficulty: keep each patient succeeding most of the time, not always.

A weighted up-down staircase (Kaernbach 1991) on the force target in %MVC: after
a success the target rises by ``step``, after a failure it falls by
``step * p / (1 - p)``, so it settles where the success rate is ``p`` (75%:
+1 / -3 %MVC, shared CLINICAL.md). A fresh staircase starts with steps three
times that size until the first reversal of direction, so a patient far from the
start target is met within a few repetitions instead of thirty; from then on it
uses the base step. The
target never leaves the plan's bounds. For a rolling exercise the same staircase
moves the roll target, in % of the patient's calibrated roll range (+2 / -6 for
75%, bounded 20-90% by default): how far a stroke must go, never past the range
the patient called comfortable.

Between sets one secondary setting changes (hold time first, then the game's
pace) when the set's success left the band; one thing at a time, so the
therapist can tell what made a set harder. (Rolling games hold nothing and are
not paced, so for them the roll target is the only setting that moves.)

The state is a plain dataclass that goes to and from JSON, stored per patient
and exercise so the next session starts where this one ended.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from game.program import ExercisePlan

BASE_STEP_PCT = 1.0  # the staircase's step after a success, %MVC
# Rolling exercises: the same staircase on the roll target, % of the calibrated range. Its
# default bounds (20-90%) span twice the force bounds' 35 points, so twice the step keeps
# the same number of steps from bottom to top (a design choice, like the force step).
ROLL_BASE_STEP_PCT = 2.0
FAST_START_FACTOR = 3.0  # first steps are this many times the base step
PRIOR_REPS = 4  # imagined reps at the aimed success that steady the session's success estimate
AIM_GAIN = 2.0  # how hard the staircase leans against the session being off its aim
HOLD_STEP_S = 0.5
CUE_STEP_S = 0.5


@dataclass
class DifficultyState:
    """What the controller remembers; everything here is saved between sessions."""

    target_pct: float
    hold_s: float
    cue_s: float
    step_pct: float = BASE_STEP_PCT * FAST_START_FACTOR
    last_direction: int = 0  # +1 after a success, -1 after a failure
    reversals: int = 0
    reps: int = 0
    session_reps: int = 0
    session_successes: int = 0
    paused_reps: int = 0  # adaptation paused (after fatigue) for this many more reps
    reps_per_set: int | None = None  # set by progression across sessions
    plan_reps: int | None = None  # the prescription reps_per_set grew from
    unit: str = "%MVC"  # what target_pct measures: "%MVC", or "% of roll range" for a rolling exercise

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DifficultyState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    @classmethod
    def fresh(cls, plan: ExercisePlan) -> DifficultyState:
        return cls(target_pct=plan.difficulty_start, hold_s=plan.hold_s, cue_s=plan.cue_s,
                   step_pct=base_step_for(plan) * FAST_START_FACTOR, unit=plan.difficulty_unit)


def base_step_for(plan: ExercisePlan) -> float:
    """The staircase's base step in the plan's difficulty unit."""
    return ROLL_BASE_STEP_PCT if plan.rolling else BASE_STEP_PCT


@dataclass(frozen=True)
class DifficultyChange:
    """One change, as logged: which setting, from what, to what, and why."""

    setting: str  # "target_pct" (force), "roll_target_pct" (rolling), "hold_s" or "cue_s"
    before: float
    after: float
    reason: str

    def as_record(self) -> dict:
        return asdict(self)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


class DifficultyController:
    """Per patient and exercise. Feed every rep's success; call :meth:`end_set` between sets."""

    def __init__(
        self,
        plan: ExercisePlan,
        *,
        target_success: float = 0.75,
        band: tuple[float, float] = (0.65, 0.85),
        adapt: bool = True,
        state: DifficultyState | None = None,
        base_step_pct: float | None = None,
    ) -> None:
        if not 0.0 < target_success < 1.0:
            raise ValueError(f"target success must be between 0 and 1, got {target_success}")
        if not band[0] <= target_success <= band[1]:
            raise ValueError(f"target success {target_success} is outside its band {band}")
        self.plan = plan
        self.p = target_success
        self.band = band
        self.adapt = adapt
        self.base_step = base_step_pct if base_step_pct is not None else base_step_for(plan)
        # The variable the staircase moves: the force target (%MVC) or, for a rolling
        # exercise, the roll target (% of the calibrated range), each with its own bounds.
        self.lo, self.hi = plan.difficulty_min, plan.difficulty_max
        self.setting = "roll_target_pct" if plan.rolling else "target_pct"
        self.state = state if state is not None else DifficultyState.fresh(plan)
        s = self.state
        if s.unit != plan.difficulty_unit:
            # A target saved in another unit (a rolling exercise's state from before rolling
            # had its own target) means nothing here: start that staircase afresh.
            fresh = DifficultyState.fresh(plan)
            s.target_pct, s.step_pct, s.unit = fresh.target_pct, fresh.step_pct, fresh.unit
            s.last_direction, s.reversals = 0, 0
        # A therapist may have moved the bounds since the state was saved.
        s.target_pct = _clamp(s.target_pct, self.lo, self.hi)
        s.hold_s = _clamp(s.hold_s, plan.hold_min_s, plan.hold_max_s)
        s.cue_s = _clamp(s.cue_s, plan.cue_min_s, plan.cue_max_s)
        s.step_pct = max(s.step_pct, self.base_step)

    # ------------------------------------------------------------ reading
    @property
    def target_pct(self) -> float:
        return self.state.target_pct

    @property
    def hold_s(self) -> float:
        return self.state.hold_s

    @property
    def cue_s(self) -> float:
        return self.state.cue_s

    @property
    def paused(self) -> bool:
        return self.state.paused_reps > 0

    @property
    def session_success(self) -> float:
        """This session's success so far, pulled toward the aim by a few imagined reps
        (so one early miss does not swing it)."""
        s = self.state
        return (s.session_successes + PRIOR_REPS * self.p) / (s.session_reps + PRIOR_REPS)

    @property
    def aim(self) -> float:
        """The success rate the staircase steers for right now: the target success,
        plus what the session is behind (or minus what it is ahead), inside the band.
        This integral term brings the session's own success rate into the band,
        not only the staircase's long-run average."""
        return _clamp(self.p + AIM_GAIN * (self.p - self.session_success), self.band[0], self.band[1])

    @property
    def down_ratio(self) -> float:
        """Step after a failure over step after a success: p / (1 - p) (3 for 75%)."""
        p = self.aim
        return p / (1.0 - p)

    def start_session(self) -> None:
        """A new session: its success count starts again (the target carries over)."""
        self.state.session_reps = 0
        self.state.session_successes = 0

    # ---------------------------------------------------------- per rep
    def record(self, success: bool) -> DifficultyChange | None:
        """One finished rep. Returns the target change it caused, if any."""
        s = self.state
        ratio = self.down_ratio  # steered by the session's success before this rep
        s.reps += 1
        s.session_reps += 1
        s.session_successes += int(success)
        if not self.adapt:
            return None
        if s.paused_reps > 0:
            s.paused_reps -= 1
            return None
        direction = 1 if success else -1
        if s.last_direction and direction != s.last_direction:
            s.reversals += 1
            s.step_pct = self.base_step  # the fast start ends at the first reversal
        s.last_direction = direction
        step = s.step_pct if success else s.step_pct * ratio
        before = s.target_pct
        s.target_pct = round(_clamp(before + direction * step, self.lo, self.hi), 3)
        if s.target_pct == before:
            return None
        return DifficultyChange(self.setting, before, s.target_pct, "success" if success else "failure")

    # --------------------------------------------------------- overrides
    def lower_target(self, fraction: float, reason: str) -> DifficultyChange | None:
        """Fatigue guard: the target drops by ``fraction`` of itself (bounded)."""
        s = self.state
        before = s.target_pct
        s.target_pct = round(_clamp(before * (1.0 - fraction), self.lo, self.hi), 3)
        # After a forced change the staircase starts again from its base step.
        s.last_direction = 0
        return DifficultyChange(self.setting, before, s.target_pct, reason) if s.target_pct != before else None

    def pause(self, reps: int) -> None:
        """No adaptation for the next ``reps`` reps (after a fatigue flag)."""
        self.state.paused_reps = max(self.state.paused_reps, reps)

    def set_pace(self, cue_s: float, reason: str) -> DifficultyChange | None:
        """The session's time budget asks for another pace (bounded by the plan)."""
        s = self.state
        before = s.cue_s
        s.cue_s = round(_clamp(cue_s, self.plan.cue_min_s, self.plan.cue_max_s), 3)
        return DifficultyChange("cue_s", before, s.cue_s, reason) if s.cue_s != before else None

    # ---------------------------------------------------------- per set
    def end_set(self, successes: int, reps: int) -> DifficultyChange | None:
        """Between sets: change ONE secondary setting if the set's success left the band.

        Too easy: a longer hold, or once the hold is at its limit a quicker pace.
        Too hard: a shorter hold, or once the hold is at its limit a calmer pace.
        """
        if not self.adapt or reps <= 0 or self.paused:
            return None
        if self.plan.rolling:
            # The rolling games hold nothing and wait for the patient (no pace to change):
            # the roll target is their one lever, moved rep by rep by the staircase.
            return None
        rate = successes / reps
        s, plan = self.state, self.plan
        if rate > self.band[1]:
            if s.hold_s < plan.hold_max_s - 1e-9:
                return self._change("hold_s", min(plan.hold_max_s, s.hold_s + HOLD_STEP_S), "set too easy")
            if s.cue_s > plan.cue_min_s + 1e-9:
                return self._change("cue_s", max(plan.cue_min_s, s.cue_s - CUE_STEP_S), "set too easy")
        elif rate < self.band[0]:
            if s.hold_s > plan.hold_min_s + 1e-9:
                return self._change("hold_s", max(plan.hold_min_s, s.hold_s - HOLD_STEP_S), "set too hard")
            if s.cue_s < plan.cue_max_s - 1e-9:
                return self._change("cue_s", min(plan.cue_max_s, s.cue_s + CUE_STEP_S), "set too hard")
        return None

    def _change(self, setting: str, value: float, reason: str) -> DifficultyChange:
        before = getattr(self.state, setting)
        setattr(self.state, setting, round(value, 3))
        return DifficultyChange(setting, before, round(value, 3), reason)
