"""Progression across sessions: grow the dose when a session went well.

Shared CLINICAL.md: start at 3 sets x 10, then e.g. +2 reps per set when a
session's success was at least the target (75%), with no fatigue flag and pain
after the session at most 3/10; never past a daily ceiling (~300 reps).
"""

from __future__ import annotations

from dataclasses import dataclass

PAIN_LIMIT = 3


@dataclass(frozen=True)
class SessionOutcome:
    """What one exercise's part of a session came to."""

    exercise: str
    sets: int
    reps_per_set: int
    reps_done: int
    successes: int
    fatigue_flagged: bool
    pain_after: int | None
    completed: bool  # every planned set was played

    @property
    def success_rate(self) -> float:
        return self.successes / self.reps_done if self.reps_done else 0.0


@dataclass(frozen=True)
class Progression:
    reps_per_set: int
    changed: bool
    reason: str


def next_reps_per_set(outcome: SessionOutcome, *, target_success: float, step: int, daily_ceiling: int,
                      other_reps_per_day: int = 0) -> Progression:
    """Reps per set for the next session of this exercise, and why.

    ``other_reps_per_day`` is what the rest of the program asks for in a day, so the
    whole day's dose stays under the ceiling.
    """
    now = outcome.reps_per_set
    if not outcome.completed:
        return Progression(now, False, "session not finished")
    if outcome.pain_after is not None and outcome.pain_after > PAIN_LIMIT:
        return Progression(now, False, f"pain {outcome.pain_after}/10 after the session")
    if outcome.fatigue_flagged:
        return Progression(now, False, "tired during the session")
    if outcome.success_rate < target_success - 1e-9:
        return Progression(now, False, f"success {outcome.success_rate:.0%} under {target_success:.0%}")
    room = (daily_ceiling - other_reps_per_day) // max(1, outcome.sets)
    new = min(now + step, room)
    if new <= now:
        return Progression(now, False, "daily ceiling reached")
    return Progression(new, True, "success, no fatigue, little pain")


def cap_reps_for_today(sets: int, reps_per_set: int, done_today: int, daily_ceiling: int) -> int:
    """Reps per set that keep today's total under the ceiling (0 when it is reached)."""
    room = max(0, daily_ceiling - done_today)
    return max(0, min(reps_per_set, room // max(1, sets)))
