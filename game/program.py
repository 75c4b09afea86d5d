"""What a therapist prescribes for a session, as the game runs it.

Level files (YAML, validated by the models in ``game/levels.py``) turn into a
:class:`SessionPlan`; the session runner, the difficulty controller and the games
read only this. Defaults follow shared CLINICAL.md (3 x 10, target 20 %MVC
bounded 5-40, 75% success aimed for inside 65-85%; rolling exercises: a stroke of 50% of
the calibrated roll range, bounded 20-90%).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.i18n import N_
from game.therapy.exercises import BY_ID


@dataclass(frozen=True)
class ExercisePlan:
    exercise: str  # an id from game.therapy.exercises.EXERCISES
    sets: int = 3
    reps: int = 10
    rest_s: float = 60.0  # rest between sets
    target_pct: float = 20.0  # starting force target, %MVC (force exercises)
    target_min_pct: float = 5.0
    target_max_pct: float = 40.0
    hold_s: float = 0.5
    hold_min_s: float = 0.5
    hold_max_s: float = 5.0
    cue_s: float = 3.0  # time from one rep's cue to the next (game pace)
    cue_min_s: float = 2.0
    cue_max_s: float = 6.0
    release_window_s: float = 6.0
    roll_target: float = 0.5  # rolling exercises: fraction of the calibrated range per stroke
    # The staircase's bounds for the roll target (fractions of the calibrated range). Never above
    # the whole comfortable range: the game stretches a stroke, it never asks past comfort.
    roll_target_min: float = 0.2
    roll_target_max: float = 0.9
    # What the game may adapt for this exercise (the level file's `adapt`); the session plan's
    # `adapt` turns all of them off at once. The fatigue guard may still lower the target (safety),
    # never below target_min_pct.
    adapt_target: bool = True  # the force target (or, rolling, the roll target), rep by rep
    adapt_hold: bool = True  # the hold time, between sets
    adapt_pace: bool = True  # the pace (cue_s), between sets and for the session's time budget
    finger_pairs: tuple[str, ...] = ()  # finger squeeze: e.g. ("index-middle", "middle-ring", "ring-little")
    game: str | None = None  # the game the program fixes, where an exercise has more than one (game/game_choices.py)
    stage: int | str | None = None  # the stage the program pins: 1..5 or "newest" (None: the patient's choice)
    detector: dict[str, float] = field(default_factory=dict)  # ForceRepSettings overrides (timings)

    # The difficulty the session adapts: the force target in %MVC, or for a rolling
    # exercise the roll target in % of the patient's calibrated range.
    @property
    def rolling(self) -> bool:
        ex = BY_ID.get(self.exercise)
        return ex is not None and ex.channel == "roll"

    @property
    def difficulty_unit(self) -> str:
        return "% of roll range" if self.rolling else "%MVC"

    @property
    def difficulty_start(self) -> float:
        return round(self.roll_target * 100.0, 3) if self.rolling else self.target_pct

    @property
    def difficulty_min(self) -> float:
        return round(self.roll_target_min * 100.0, 3) if self.rolling else self.target_min_pct

    @property
    def difficulty_max(self) -> float:
        return round(self.roll_target_max * 100.0, 3) if self.rolling else self.target_max_pct


@dataclass(frozen=True)
class SessionPlan:
    name: str = N_("Power grip practice")  # the default program's name: translated where shown
    exercises: tuple[ExercisePlan, ...] = (ExercisePlan("power_grip"),)
    target_success: float = 0.75
    success_band: tuple[float, float] = (0.65, 0.85)
    adapt: bool = True
    session_cap_min: float = 45.0
    warmup: bool = True
    calibrate_first: bool = False
    daily_rep_ceiling: int = 300
    progression_reps: int = 2  # reps added per set after a good session
    hand: str | None = None  # the hand this program is written for, if any
    source_file: str | None = None
