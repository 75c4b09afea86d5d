"""Adaptive difficulty: keep each patient succeeding most of the time, not always,
inside the program the therapist wrote.

A weighted up-down staircase (Kaernbach 1991) on the force target in %MVC: after
a success the target rises by ``step``, after a failure *below the target* it falls
by ``step * p / (1 - p)``, so it settles where the success rate is ``p`` (75%:
+1 / -3 %MVC, shared CLINICAL.md). A fresh staircase starts with steps three
times that size until the first reversal of direction, so a patient far from the
start target is met within a few repetitions instead of thirty; from then on it
uses the base step. For a rolling exercise the same staircase moves the roll
target, in % of the patient's calibrated roll range (+2 / -6 for 75%, bounded
20-90% by default): how far a stroke must go, never past the range the patient
called comfortable.

The therapist's program is the authority (issue 14, CLINICAL.md "Adapting difficulty"):

- Each setting moves only inside the program's bounds (target_min/max_pct, hold_min/max_s,
  cue_min/max_s), and only where the program lets it (``ExercisePlan.adapt_target``,
  ``adapt_hold``, ``adapt_pace``; the plan's ``adapt: false`` turns all off). A setting the
  program does not let adapt starts every session at the program's value.
- It changes what failed. A squeeze below the target moves the target; a hold that was too
  short never lowers the force target (the force was there), it may only shorten the hold
  between sets; a slow or missing release changes nothing about force, it may only give more
  time per repetition (a calmer pace) between sets.
- Between sets one setting changes at most (hold time first, then the game's pace) when the
  set's success left the band, and only before another set of the same exercise, so the
  change can be said on screen before the set it applies to (:func:`describe_change`).
  A set that went too well makes the hold or pace harder only once the target cannot rise
  (fixed, or at its highest): the target is the first lever, one thing at a time.
  (Rolling games hold nothing and are not paced: the roll target is their one lever.)
- A start value the therapist changes in the level file restarts that setting from it.

Every change is a :class:`DifficultyChange` (what, from, to, why; the reasons are the
fixed words in :data:`CHANGE_REASONS`) for the records and the therapist's report.

The state is a plain dataclass that goes to and from JSON, stored per patient
and exercise so the next session starts where this one ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from game.i18n import N_, _
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

# Why a rep failed, as the detectors name it, and what that failure can change.
# A failure of force (or of roll range) moves the target; these never do.
HOLD_FAILURES = frozenset({"hold_too_short"})
RELEASE_FAILURES = frozenset({"slow_release", "no_full_release"})
# The table roll's pressure band: the roll went far enough, the pressure was off.
OTHER_FAILURES = frozenset({"pressure_low", "pressure_high", "unknown"})

# The reasons a DifficultyChange gives (the `reason` of every difficulty-change row), with
# what each means for the therapist reading the records.
CHANGE_REASONS: dict[str, str] = {
    "success": "target raised one step after a successful repetition",
    "below target": "target lowered after a repetition that did not reach it",
    "set too easy": "the set's success was above the program's band: one setting made harder",
    "holds too short": "most failures of the set were holds shorter than asked: the hold shortened",
    "slow release": "most failures of the set were slow or missing releases: more time for each repetition",
    "fatigue": "the fatigue guard lowered the target 10% (never below the program's lowest) and forced a rest",
    "time budget": "the pace quickened so the session's repetitions fit its time cap",
    "program changed": "the level file's start value changed: the setting starts again from it",
    "fixed by program": "the program does not let the game adapt this setting: back to the program's value",
}

# The program's start value of each setting the controller keeps.
_SETTINGS = ("target_pct", "hold_s", "cue_s")


@dataclass
class DifficultyState:
    """What the controller remembers; everything here is saved between sessions."""

    target_pct: float
    hold_s: float
    cue_s: float
    step_pct: float = BASE_STEP_PCT * FAST_START_FACTOR
    last_direction: int = 0  # +1 after a success, -1 after a failure below the target
    reversals: int = 0
    reps: int = 0
    session_reps: int = 0  # this session's reps that tell about the target (success or below target)
    session_successes: int = 0
    paused_reps: int = 0  # adaptation paused (after fatigue) for this many more reps
    reps_per_set: int | None = None  # set by progression across sessions
    plan_reps: int | None = None  # the prescription reps_per_set grew from
    unit: str = "%MVC"  # what target_pct measures: "%MVC", or "% of roll range" for a rolling exercise
    # The program's start values this state grew from ({"target_pct": 12, "hold_s": 1, "cue_s": 3}),
    # so a therapist's new start value in the level file is seen and started from.
    program: dict[str, float] | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DifficultyState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    @classmethod
    def fresh(cls, plan: ExercisePlan) -> DifficultyState:
        return cls(target_pct=plan.difficulty_start, hold_s=plan.hold_s, cue_s=plan.cue_s,
                   step_pct=base_step_for(plan) * FAST_START_FACTOR, unit=plan.difficulty_unit,
                   program=program_starts(plan))


def base_step_for(plan: ExercisePlan) -> float:
    """The staircase's base step in the plan's difficulty unit."""
    return ROLL_BASE_STEP_PCT if plan.rolling else BASE_STEP_PCT


def program_starts(plan: ExercisePlan) -> dict[str, float]:
    return {"target_pct": plan.difficulty_start, "hold_s": plan.hold_s, "cue_s": plan.cue_s}


@dataclass(frozen=True)
class DifficultyChange:
    """One change, as logged: which setting, from what, to what, and why (a key of CHANGE_REASONS)."""

    setting: str  # "target_pct" (force), "roll_target_pct" (rolling), "hold_s" or "cue_s"
    before: float
    after: float
    reason: str

    def as_record(self) -> dict:
        return asdict(self)


def describe_change(change: DifficultyChange, *, when: str = N_("this set")) -> str:
    """The change in plain words for the patient (in their language), said on the rest screen
    before the set it applies to: 'Hold a little longer this set: 1.5 s'. ``when`` is marked
    with N_ ("this set", "after the rest")."""
    up = change.after > change.before
    w, s = _(when), f"{change.after:g}"
    if change.setting == "hold_s":
        return (_("Hold a little longer {when}: {seconds} s") if up
                else _("A shorter hold {when}: {seconds} s")).format(when=w, seconds=s)
    if change.setting == "cue_s":
        return (_("A little more time for each one {when}: one every {seconds} s") if up
                else _("A little quicker {when}: one every {seconds} s")).format(when=w, seconds=s)
    if change.setting == "roll_target_pct":
        return (_("A little further {when}") if up else _("A little shorter roll {when}")).format(when=w)
    return (_("A little stronger {when}") if up else _("A little lighter {when}")).format(when=w)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


class DifficultyController:
    """Per patient and exercise. Feed every rep's success (and why it failed); call
    :meth:`end_set` between sets."""

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
        # What the program lets the game change for this exercise ("target" is the roll target
        # for a rolling exercise).
        self.may = {"target": adapt and plan.adapt_target, "hold": adapt and plan.adapt_hold,
                    "pace": adapt and plan.adapt_pace}
        self.base_step = base_step_pct if base_step_pct is not None else base_step_for(plan)
        # The variable the staircase moves: the force target (%MVC) or, for a rolling
        # exercise, the roll target (% of the calibrated range), each with its own bounds.
        self.lo, self.hi = plan.difficulty_min, plan.difficulty_max
        self.setting = "roll_target_pct" if plan.rolling else "target_pct"
        # Changes made when this controller took up a saved state (a program changed since).
        self.start_changes: list[DifficultyChange] = []
        self.state = state if state is not None else DifficultyState.fresh(plan)
        s = self.state
        if s.unit != plan.difficulty_unit:
            # A target saved in another unit (a rolling exercise's state from before rolling
            # had its own target) means nothing here: start that staircase afresh.
            fresh = DifficultyState.fresh(plan)
            s.target_pct, s.step_pct, s.unit = fresh.target_pct, fresh.step_pct, fresh.unit
            s.last_direction, s.reversals = 0, 0
        starts = program_starts(plan)
        bounds = {"target_pct": (self.lo, self.hi), "hold_s": (plan.hold_min_s, plan.hold_max_s),
                  "cue_s": (plan.cue_min_s, plan.cue_max_s)}
        may = {"target_pct": self.may["target"], "hold_s": self.may["hold"], "cue_s": self.may["pace"]}
        for name in _SETTINGS:
            before = getattr(s, name)
            if not may[name]:
                value, reason = starts[name], "fixed by program"
            elif s.program is not None and abs(s.program.get(name, starts[name]) - starts[name]) > 1e-9:
                value, reason = starts[name], "program changed"
            else:
                # A therapist may have moved the bounds since the state was saved.
                value, reason = _clamp(before, *bounds[name]), "program changed"
            if abs(value - before) > 1e-9:
                setattr(s, name, value)
                setting = self.setting if name == "target_pct" else name
                self.start_changes.append(DifficultyChange(setting, before, value, reason))
                if name == "target_pct":  # a new start: the staircase meets the patient again
                    s.step_pct = self.base_step * FAST_START_FACTOR
                    s.last_direction, s.reversals = 0, 0
        s.program = starts
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
    def at_minimum(self) -> bool:
        """The target is at the program's lowest."""
        return self.state.target_pct <= self.lo + 1e-9

    @property
    def session_success(self) -> float:
        """This session's success so far on the target (reps that failed for another reason,
        a hold or a release, say nothing about it), pulled toward the aim by a few imagined
        reps (so one early miss does not swing it)."""
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
    @staticmethod
    def moves_target(success: bool, failure: str | None) -> bool:
        """Whether a rep tells about the target: a success, or a failure to reach it.
        ``failure`` None on a failed rep means the caller does not know why: taken as
        below the target (the staircase's classic input)."""
        if success:
            return True
        return failure not in HOLD_FAILURES | RELEASE_FAILURES | OTHER_FAILURES

    def record(self, success: bool, failure: str | None = None) -> DifficultyChange | None:
        """One finished rep and, if it failed, why (the detector's failure name).

        Returns the target change it caused, if any. Only a success or a failure to reach
        the target moves the target; a hold too short or a slow release never do."""
        s = self.state
        ratio = self.down_ratio  # steered by the session's success before this rep
        s.reps += 1
        informs = self.moves_target(success, failure)
        if informs:
            s.session_reps += 1
            s.session_successes += int(success)
        if not self.may["target"]:
            return None
        if s.paused_reps > 0:
            s.paused_reps -= 1
            return None
        if not informs:
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
        return DifficultyChange(self.setting, before, s.target_pct, "success" if success else "below target")

    # --------------------------------------------------------- overrides
    def lower_target(self, fraction: float, reason: str) -> DifficultyChange | None:
        """Fatigue guard: the target drops by ``fraction`` of itself, never below the
        program's lowest. A safety measure: it applies even where the program keeps the
        target fixed (the therapist's lowest still holds)."""
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
        """The session's time budget asks for another pace (bounded by the plan; never
        where the program keeps the pace fixed)."""
        if not self.may["pace"]:
            return None
        s = self.state
        before = s.cue_s
        s.cue_s = round(_clamp(cue_s, self.plan.cue_min_s, self.plan.cue_max_s), 3)
        return DifficultyChange("cue_s", before, s.cue_s, reason) if s.cue_s != before else None

    # ---------------------------------------------------------- per set
    def end_set(self, successes: int, reps: int,
                failures: Mapping[str, int] | None = None) -> DifficultyChange | None:
        """Between sets: change ONE secondary setting if the set's success left the band.

        Too easy: a longer hold, or once the hold is at its limit (or fixed) a quicker pace;
        but only once the force target cannot do the job (fixed by the program, or at its
        highest). While the staircase may still raise the target, a set that went well says
        the target was still climbing to meet the patient (12% up to 30% in one set), not that
        the hold is too short: raising the hold as well would make two things harder at once.
        Too hard: what failed most decides. Holds too short: a shorter hold. Slow or missing
        releases: a calmer pace. Squeezes below the target: nothing here, the staircase has
        lowered the target rep by rep. ``failures`` counts the set's failed reps by the
        detector's failure name; without it nothing is made easier (the cause is unknown).
        """
        if reps <= 0 or self.paused:
            return None
        if self.plan.rolling:
            # The rolling games hold nothing and wait for the patient (no pace to change):
            # the roll target is their one lever, moved rep by rep by the staircase.
            return None
        rate = successes / reps
        s, plan = self.state, self.plan
        if rate > self.band[1]:
            if self.may["target"] and s.target_pct < self.hi - 1e-9:
                return None  # the target is the one lever for now
            if self.may["hold"] and s.hold_s < plan.hold_max_s - 1e-9:
                return self._change("hold_s", min(plan.hold_max_s, s.hold_s + HOLD_STEP_S), "set too easy")
            if self.may["pace"] and s.cue_s > plan.cue_min_s + 1e-9:
                return self._change("cue_s", max(plan.cue_min_s, s.cue_s - CUE_STEP_S), "set too easy")
        elif rate < self.band[0] and failures:
            held = sum(n for k, n in failures.items() if k in HOLD_FAILURES)
            released = sum(n for k, n in failures.items() if k in RELEASE_FAILURES)
            force = sum(n for k, n in failures.items()
                        if k not in HOLD_FAILURES | RELEASE_FAILURES | OTHER_FAILURES)
            if held and held >= max(released, force):
                if self.may["hold"] and s.hold_s > plan.hold_min_s + 1e-9:
                    return self._change("hold_s", max(plan.hold_min_s, s.hold_s - HOLD_STEP_S), "holds too short")
            elif released and released >= force:
                if self.may["pace"] and s.cue_s < plan.cue_max_s - 1e-9:
                    return self._change("cue_s", min(plan.cue_max_s, s.cue_s + CUE_STEP_S), "slow release")
        return None

    def _change(self, setting: str, value: float, reason: str) -> DifficultyChange:
        before = getattr(self.state, setting)
        setattr(self.state, setting, round(value, 3))
        return DifficultyChange(setting, before, round(value, 3), reason)
