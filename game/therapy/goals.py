"""Goals that respect the patient: the day's goal, a forgiving streak, personal bests.

Pure logic, no pygame (the records are read in ``game/journey.py``).

- **Daily goal** = the prescribed reps (sets x reps of every exercise in the program).
  It is shown as progress ("18 of 30"); there is nothing to lose by falling short.
- **Streak**: days of practice in a row, where one missed day in any 7 days keeps the
  streak (a rest day, a bad day, an appointment). Two missed days in a row, or a second
  missed day within 7 days of the first, start it again. A day not played yet today
  never breaks it.
- **Personal bests** are the patient's own: most reps in a day, longest hold, strongest
  squeeze this month (% of their own strongest squeeze, kg where the ball was calibrated
  against known weights).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

FORGIVE_WINDOW_DAYS = 7  # one missed day in any this many keeps the streak


@dataclass(frozen=True)
class Streak:
    days: int  # days practised in the streak
    rest_days_used: int  # missed days forgiven inside it
    since: date | None  # the first day of the streak
    # True when a forgiven rest day was used within the last 7 days: one more missed day would end it
    rest_day_in_use: bool = False


def forgiving_streak(played: Iterable[date], *, today: date) -> Streak:
    """Days practised in a row up to today, forgiving one missed day in any 7.

    Walks back from today (from yesterday when today is not played yet: the day is not
    over). A missed day is forgiven when the day before it was played and no other
    forgiven day lies within the 7 days before or after it."""
    days = set(played)
    d = today if today in days else today - timedelta(days=1)
    count, forgiven, since = 0, [], None
    while True:
        if d in days:
            count += 1
            since = d
            d -= timedelta(days=1)
            continue
        prev = d - timedelta(days=1)
        near = any(abs((f - d).days) < FORGIVE_WINDOW_DAYS for f in forgiven)
        if prev in days and not near:
            forgiven.append(d)
            d = prev
            continue
        break
    in_use = any((today - f).days < FORGIVE_WINDOW_DAYS for f in forgiven)
    return Streak(count, len(forgiven), since, in_use)


@dataclass(frozen=True)
class DailyGoal:
    done: int  # reps made today (all exercises)
    goal: int  # the prescribed reps for the day

    @property
    def fraction(self) -> float:
        """0..1 for drawing progress (never more: going past the goal is not a race)."""
        return min(1.0, self.done / self.goal) if self.goal > 0 else 0.0

    @property
    def reached(self) -> bool:
        return self.goal > 0 and self.done >= self.goal


def daily_goal(done_today: int, plan_sets_reps: Iterable[tuple[int, int]]) -> DailyGoal:
    """The day's goal is the program's dose: the sum of sets x reps."""
    return DailyGoal(done_today, sum(max(0, s) * max(0, r) for s, r in plan_sets_reps))


@dataclass(frozen=True)
class PersonalBests:
    most_reps_day: int = 0
    most_reps_day_on: date | None = None
    longest_hold_s: float | None = None  # the longest hold of a successful rep
    strongest_month_pct: float | None = None  # best peak this calendar month, % of own strongest squeeze
    strongest_month_kg: float | None = None  # the same in kg, only for a weight-calibrated ball


def personal_bests(reps_per_day: Iterable[tuple[date, int]], *, longest_hold_s: float | None,
                   strongest_month_pct: float | None, kg_per_pct: float | None = None) -> PersonalBests:
    """Bests from the day counts and the record's maxima; ``kg_per_pct`` converts a peak to kg
    where the ball was calibrated against known weights (None otherwise: no kg shown)."""
    best_n, best_day = 0, None
    for d, n in reps_per_day:
        if n > best_n:
            best_n, best_day = n, d
    kg = strongest_month_pct * kg_per_pct if strongest_month_pct is not None and kg_per_pct else None
    return PersonalBests(best_n, best_day, longest_hold_s, strongest_month_pct, kg)
