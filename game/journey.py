"""The patient's journey, read from the records: stages opened per game, the day's goal,
the forgiving streak, personal bests and the days of the journey map.

The rules live in :mod:`game.therapy.stages` and :mod:`game.therapy.goals` (pure logic);
this module only counts from the records (one short query each), so the play scene can ask
for a game's stage when a set starts and the journey screen can read everything once.
Days are the patient's local calendar days, as in :mod:`game.records.records`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from game.records.records import local_day
from game.therapy.goals import DailyGoal, PersonalBests, Streak, daily_goal, forgiving_streak, personal_bests
from game.therapy.stages import (
    NEWEST,
    STAGE_COUNT,
    ExercisePractice,
    NextStage,
    StageChoice,
    check_stage_choice,
    next_stage,
    remembered_stage,
    resolve_stage,
    stage_for,
    stage_setting_key,
)

if TYPE_CHECKING:
    from game.program import SessionPlan
    from game.records.storage import Store

_DAY = "date(r.recorded_at, 'unixepoch', 'localtime')"
MAP_DAYS = 30  # the journey map shows this many days


def _db(store: Store | sqlite3.Connection) -> sqlite3.Connection:
    if isinstance(store, sqlite3.Connection):
        return store
    store.flush()  # read what was written before, including the rep just made
    return store.db


def practice(store: Store | sqlite3.Connection, patient_id: int, exercise: str) -> ExercisePractice:
    """Reps the detector counted for this exercise (good and genuinely attempted) and the days it was practised."""
    row = _db(store).execute(
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT {_DAY}) AS d FROM reps r JOIN sessions s ON s.id = r.session_id "
        "WHERE s.patient_id = ? AND r.exercise = ?", (patient_id, exercise)).fetchone()
    return ExercisePractice(exercise, int(row[0] or 0), int(row[1] or 0))


def stage_of(store: Store | sqlite3.Connection, patient_id: int, exercise: str) -> int:
    """The stage a set of this exercise is played at (the newest one opened)."""
    try:
        return stage_for(practice(store, patient_id, exercise))
    except sqlite3.Error:  # records unreadable just now: the first stage, play goes on
        return 1


@dataclass(frozen=True)
class GameJourney:
    exercise: str
    practice: ExercisePractice
    stage: int
    next: NextStage | None
    opened_today: bool = False  # today's practice opened this stage
    playing: int = 0  # the stage a set is played at (0: not worked out, the newest)
    choice: StageChoice | None = None  # the patient's choice (None: never chose: the newest)
    pinned: bool = False  # the therapist's program pins the stage: the patient's choice waits

    @property
    def played(self) -> int:
        return self.playing or self.stage


@dataclass(frozen=True)
class MapDay:
    day: date
    reps: int
    goal_reached: bool


@dataclass
class Journey:
    today: date
    games: list[GameJourney]
    goal: DailyGoal
    streak: Streak
    bests: PersonalBests
    days: list[MapDay] = field(default_factory=list)  # the last MAP_DAYS days, oldest first

    @property
    def stages_open(self) -> int:
        return sum(g.stage for g in self.games)

    @property
    def stages_total(self) -> int:
        return STAGE_COUNT * len(self.games)


def load_journey(store: Store | sqlite3.Connection, patient_id: int, *, today: date, exercises: list[str],
                 plan: SessionPlan | None = None) -> Journey:
    db = _db(store)
    per_day = {date.fromisoformat(r[0]): int(r[1]) for r in db.execute(
        f"SELECT {_DAY} AS day, COUNT(*) FROM reps r JOIN sessions s ON s.id = r.session_id "
        "WHERE s.patient_id = ? GROUP BY day", (patient_id,))}
    counts = {r[0]: (int(r[1]), int(r[2])) for r in db.execute(
        f"SELECT r.exercise, COUNT(*), COUNT(DISTINCT {_DAY}) FROM reps r JOIN sessions s ON s.id = r.session_id "
        "WHERE s.patient_id = ? GROUP BY r.exercise", (patient_id,))}
    before = {r[0]: (int(r[1]), int(r[2])) for r in db.execute(
        f"SELECT r.exercise, COUNT(*), COUNT(DISTINCT {_DAY}) FROM reps r JOIN sessions s ON s.id = r.session_id "
        f"WHERE s.patient_id = ? AND {_DAY} < ? GROUP BY r.exercise", (patient_id, today.isoformat()))}
    games = []
    for ex in exercises:
        n, d = counts.get(ex, (0, 0))
        p = ExercisePractice(ex, n, d)
        was = stage_for(ExercisePractice(ex, *before.get(ex, (0, 0))))
        games.append(GameJourney(ex, p, stage_for(p), next_stage(p), opened_today=stage_for(p) > was))
    sets_reps = [(e.sets, e.reps) for e in plan.exercises] if plan is not None else []
    goal = daily_goal(per_day.get(today, 0), sets_reps)
    hold = db.execute("SELECT MAX(r.hold_s) FROM reps r JOIN sessions s ON s.id = r.session_id "
                      "WHERE s.patient_id = ? AND r.success = 1", (patient_id,)).fetchone()[0]
    month_start = today.replace(day=1).isoformat()
    strongest = db.execute(f"SELECT MAX(r.peak_pct) FROM reps r JOIN sessions s ON s.id = r.session_id "
                           f"WHERE s.patient_id = ? AND {_DAY} >= ? AND {_DAY} <= ?",
                           (patient_id, month_start, today.isoformat())).fetchone()[0]
    kg_per_pct = None
    cal = db.execute("SELECT mvc, scale FROM calibrations WHERE patient_id = ? AND scale IS NOT NULL "
                     "AND units != 'device units' ORDER BY recorded_at DESC, id DESC LIMIT 1",
                     (patient_id,)).fetchone()
    if cal is not None:
        kg_per_pct = float(cal[0]) * float(cal[1]) / 100.0  # the same basis as the strength chart
    bests = personal_bests(sorted(per_day.items()), longest_hold_s=hold, strongest_month_pct=strongest,
                           kg_per_pct=kg_per_pct)
    first = today - timedelta(days=MAP_DAYS - 1)
    days = [MapDay(first + timedelta(days=i), per_day.get(first + timedelta(days=i), 0),
                   goal.goal > 0 and per_day.get(first + timedelta(days=i), 0) >= goal.goal)
            for i in range(MAP_DAYS)]
    return Journey(today, games, goal, forgiving_streak(per_day, today=today), bests, days)


def load_for(ctx: object, exercises: list[str]) -> Journey:
    """The journey of the patient playing now (scripted play reads its own records), with the
    stage each game is played at: the program's pin, else the patient's choice, else the newest."""
    from dataclasses import replace

    from game.records.provenance import records_patient

    store = ctx.store  # type: ignore[attr-defined]
    j = load_journey(store, records_patient(ctx), today=local_day(store.now()), exercises=exercises,
                     plan=getattr(ctx, "plan", None))
    games = []
    for g in j.games:
        pin, choice = program_stage(ctx, g.exercise), chosen_stage(ctx, g.exercise)
        games.append(replace(g, playing=resolve_stage(g.stage, program=pin, chosen=choice), choice=choice,
                             pinned=pin is not None))
    j.games = games
    return j


# ------------------------------------------------------------ the stage played
def program_stage(ctx: object, exercise: str, link: object = None) -> StageChoice | None:
    """The stage the therapist's program pins for this exercise (``stage:`` in the level file), if any."""
    plans = [link.step.exercise] if link is not None else getattr(getattr(ctx, "plan", None), "exercises", ())  # type: ignore[attr-defined]
    for plan in plans:
        value = getattr(plan, "stage", None)
        if plan.exercise == exercise and value is not None:
            try:
                return check_stage_choice(value)
            except ValueError:
                return None
    return None


def chosen_stage(ctx: object, exercise: str) -> StageChoice | None:
    """The patient's chosen stage: this run's (scripted play), else the one their profile remembers."""
    run = getattr(ctx, "stage_choices", {}).get(exercise)
    if run is not None:
        return run
    try:
        from game.profiles import Profiles

        return remembered_stage(Profiles(ctx.store).get(ctx.patient_id).settings, exercise)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an unreadable profile must not stop the exercise
        return None


def stage_to_play(ctx: object, exercise: str, link: object = None) -> int:
    """The stage a set of ``exercise`` is drawn at now (drawing only: it never reaches the therapy)."""
    from game.records.provenance import records_patient

    return resolve_stage(stage_of(ctx.store, records_patient(ctx), exercise),  # type: ignore[attr-defined]
                         program=program_stage(ctx, exercise, link), chosen=chosen_stage(ctx, exercise))


def remember_stage(ctx: object, exercise: str, choice: StageChoice) -> None:
    """The patient's choice of stage, kept in their profile (a ``profile_change`` event says so);
    in scripted play (profiles held) it holds for this run only."""
    choice = check_stage_choice(choice)
    from game.profiles import keep_choice

    if keep_choice(ctx.store, ctx.patient_id, stage_setting_key(exercise), choice,  # type: ignore[attr-defined]
                   default=NEWEST, where="stage choice screen"):
        getattr(ctx, "stage_choices", {}).pop(exercise, None)
    else:
        ctx.stage_choices[exercise] = choice  # type: ignore[attr-defined]  # holds for this run only
