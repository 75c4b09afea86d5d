"""Stages inside each mini-game: new places that open as the patient practises.

Pure logic, no pygame. Every game has :data:`STAGE_COUNT` stages (the bird's route
through the seasons, the crab's catch, the potter's pots...). A stage opens with
practice, never with strength: either enough reps of that exercise (every rep the
detector counted is a genuine attempt, a near miss included, so a weak hand opens the
stages as fast as a strong one) or enough days the exercise was practised, whichever
comes first. A patient with a small prescription still moves on with the days.

A stage changes only what is drawn. The therapist's program and the adaptation set the
target, hold, pace and reps; the game is handed the stage as a number and turns it into
a drawing-only look (``game.games.base.StageLook``), so a stage cannot reach them.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGE_COUNT = 5
# Stage n opens at OPEN_AT_REPS[n-1] counted reps of the exercise, or OPEN_AT_DAYS[n-1] days
# practised (a design choice: stage 2 on the second day, stage 5 after about three weeks of
# near-daily practice, or sooner with a large dose: 450 reps is ~1.5 days at 300/day).
OPEN_AT_REPS: tuple[int, ...] = (0, 40, 120, 250, 450)
OPEN_AT_DAYS: tuple[int, ...] = (0, 2, 5, 9, 14)


@dataclass(frozen=True)
class ExercisePractice:
    """How much one exercise has been practised, from the records."""

    exercise: str
    reps: int = 0  # reps the detector counted (successes and genuine attempts)
    days: int = 0  # distinct days with at least one rep


def stage_for(practice: ExercisePractice) -> int:
    """The highest stage opened (1..STAGE_COUNT)."""
    stage = 1
    for n in range(1, STAGE_COUNT + 1):
        if practice.reps >= OPEN_AT_REPS[n - 1] or practice.days >= OPEN_AT_DAYS[n - 1]:
            stage = n
    return stage


@dataclass(frozen=True)
class NextStage:
    stage: int  # the stage that opens next
    reps_to_go: int  # more reps that would open it
    days_to_go: int  # or more days of practice


def next_stage(practice: ExercisePractice) -> NextStage | None:
    """What opens the next stage, or None when all are open."""
    now = stage_for(practice)
    if now >= STAGE_COUNT:
        return None
    return NextStage(now + 1, max(0, OPEN_AT_REPS[now] - practice.reps), max(0, OPEN_AT_DAYS[now] - practice.days))


def stages_opened_on(days: list[tuple[str, int]]) -> list[int]:
    """The stage after each day of a history of (day, reps that day) for one exercise:
    stages only ever open, in order (for the tests and the journey map)."""
    reps = 0
    out = []
    for i, (_day, n) in enumerate(days):
        reps += n
        out.append(stage_for(ExercisePractice("", reps, i + 1)))
    return out
