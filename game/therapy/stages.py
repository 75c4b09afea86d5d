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


# ------------------------------------------------------------ which stage is played
# The newest stage opened is the default. A patient may choose any stage already opened (the
# calm summer scene on day 30), remembered in their profile as ``stage_<exercise>``; a
# therapist may pin one in the program (``stage: 1`` for a patient with low vision or
# visual neglect, or ``stage: newest``), and the pin wins over the patient's choice.
NEWEST = "newest"
StageChoice = int | str  # 1..STAGE_COUNT or NEWEST


def stage_setting_key(exercise: str) -> str:
    """The profile setting that remembers a patient's chosen stage for an exercise."""
    return f"stage_{exercise}"


def check_stage_choice(value: object) -> StageChoice:
    """``newest`` or a whole number 1..STAGE_COUNT (a digit string too); ValueError in plain words."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == NEWEST:
            return NEWEST
        if text.isdigit():
            value = int(text)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= STAGE_COUNT:
        return value
    raise ValueError(f"must be {NEWEST} or a stage from 1 to {STAGE_COUNT}, got {value!r}")


def remembered_stage(settings: dict, exercise: str) -> StageChoice | None:
    """The stage a profile's settings remember for ``exercise`` (None: none, or not a valid one)."""
    value = settings.get(stage_setting_key(exercise))
    try:
        return None if value is None else check_stage_choice(value)
    except ValueError:
        return None


def resolve_stage(opened: int, *, program: StageChoice | None = None, chosen: StageChoice | None = None) -> int:
    """The stage to play: the program's pin (obeyed as written: the therapist decides), else the
    patient's choice (never past the newest opened), else the newest opened."""
    opened = max(1, min(int(opened), STAGE_COUNT))
    if program is not None:
        pin = check_stage_choice(program)
        return opened if pin == NEWEST else int(pin)
    if chosen is not None and chosen != NEWEST:
        return max(1, min(int(chosen), opened))
    return opened
