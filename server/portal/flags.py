"""The patients list's flags: who may need a call. Each flag says plainly why it is raised.

Definitions (design choices, stated on the page too; ``docs/clinic-server/PORTAL.md``):

- **Falling adherence**: in the last 7 days the patient made fewer than half the
  prescribed repetitions (the program's repetitions per session, every day: programs do
  not state days per week, as in the report) *and* fewer than in the 7 days before.
  A patient who has never played is not flagged (there is nothing to fall from).
- **Rising pain**: the mean pain rating (0-10, before and after sessions) of the last 7
  days is at least 1 point above the mean of the 21 days before, or any rating in the last
  7 days is 7 or more. CLINICAL.md: exercise must never be pushed into pain.
- **Rising tiredness**: the same for the tiredness ratings (1 point, or any 8 or more).
- **Drop in strength**: the median of the last 3 strongest-squeeze calibrations is 15% or
  more below the median of the 3 before them (for a ball calibrated in kg, 5 kg or more:
  Bohannon 2019's meaningful change in grip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from game.i18n import _
from server.portal import language as lang

PAIN_RISE, PAIN_HIGH = 1.0, 7
TIRED_RISE, TIRED_HIGH = 1.0, 8
STRENGTH_DROP_SHARE = 0.15
STRENGTH_DROP_KG = 5.0


@dataclass(frozen=True)
class Flag:
    key: str  # "adherence", "pain", "tiredness", "strength"
    title: str
    why: str


@dataclass(frozen=True)
class Rating:
    """One day's ratings of one kind (pain or tiredness, 0-10): their sum, how many, the highest."""

    day: date
    what: str  # "pain" or "tiredness"
    total: float
    n: int
    worst: float

    @property
    def mean(self) -> float:
        return self.total / self.n


@dataclass(frozen=True)
class Strength:
    day: date
    mvc: float
    units: str  # "kg" when weight-calibrated, else "device units"


def adherence_flag(reps_this_week: int, reps_week_before: int, prescribed_week: int) -> Flag | None:
    if prescribed_week <= 0 or (reps_this_week == 0 and reps_week_before == 0):
        return None
    if reps_this_week < prescribed_week / 2 and reps_this_week < reps_week_before:
        share = reps_this_week / prescribed_week
        return Flag("adherence", _("Falling adherence"),
                    _("{n} repetitions in the last 7 days: {share} of the {p} prescribed, down from {m} "
                      "the week before.").format(n=lang.number(reps_this_week), share=lang.percent(share),
                                                 p=lang.number(prescribed_week), m=lang.number(reps_week_before)))
    return None


def _rating_flag(key: str, title: str, days: Sequence[Rating], today: date, rise: float,
                 high: float) -> Flag | None:
    week_start = today - timedelta(days=6)
    recent = [r for r in days if week_start <= r.day <= today and r.n]
    before = [r for r in days if week_start - timedelta(days=21) <= r.day < week_start and r.n]
    if not recent:
        return None
    worst = max(recent, key=lambda r: (r.worst, r.day))
    if worst.worst >= high:
        return Flag(key, title, _("Rated {v} of 10 on {day}.").format(v=lang.number(worst.worst), day=lang.day(worst.day)))
    now = sum(r.total for r in recent) / sum(r.n for r in recent)
    if before:
        then = sum(r.total for r in before) / sum(r.n for r in before)
        if now - then >= rise:
            return Flag(key, title, _("{now} of 10 on average in the last 7 days, {then} in the 3 weeks "
                                      "before.").format(now=lang.number(now, 1, fixed=True),
                                                           then=lang.number(then, 1, fixed=True)))
    return None


def pain_flag(ratings: Sequence[Rating], today: date) -> Flag | None:
    return _rating_flag("pain", _("Rising pain"), [r for r in ratings if r.what == "pain"], today, PAIN_RISE,
                        PAIN_HIGH)


def tiredness_flag(ratings: Sequence[Rating], today: date) -> Flag | None:
    return _rating_flag("tiredness", _("Rising tiredness"), [r for r in ratings if r.what == "tiredness"], today,
                        TIRED_RISE, TIRED_HIGH)


def strength_flag(points: Sequence[Strength]) -> Flag | None:
    pts = sorted(points, key=lambda p: p.day)
    if len(pts) < 4:
        return None
    last, prev = pts[-3:], pts[-6:-3]
    now, then = median(p.mvc for p in last), median(p.mvc for p in prev)
    if then <= 0:
        return None
    kg = all(p.units == "kg" for p in last + prev)
    dropped = (then - now >= STRENGTH_DROP_KG) if kg else (now <= then * (1 - STRENGTH_DROP_SHARE))
    if not dropped:
        return None
    unit = "kg" if kg else _("device units")
    return Flag("strength", _("Drop in strength"),
                _("Strongest squeeze {now} {unit} (median of the last 3 calibrations), down from {then} "
                  "{unit} ({share} less).").format(now=lang.number(now, 1, fixed=True), then=lang.number(then, 1, fixed=True), unit=unit,
                                                   share=lang.percent(1 - now / then)))


def all_flags(*, reps_this_week: int, reps_week_before: int, prescribed_week: int, ratings: Sequence[Rating],
              strength: Sequence[Strength], today: date) -> list[Flag]:
    found = (adherence_flag(reps_this_week, reps_week_before, prescribed_week), pain_flag(ratings, today),
             tiredness_flag(ratings, today), strength_flag(strength))
    return [f for f in found if f is not None]
