"""Fatigue guard: rest the patient before their success collapses (shared CLINICAL.md).

Fatigue index = (mean of the first 3 peaks - mean of the last 3) / first x 100,
over the reps of a set. Over ``index_limit`` (30%), or ``weak_run`` (3) failed
reps in a row below ``weak_fraction`` (80%) of the target, the guard raises a
flag: the session forces a rest (~90 s), lowers the target by 10% and pauses
adaptation for a few reps. Every flag is logged by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


def fatigue_index(peaks: Sequence[float]) -> float | None:
    """Percent drop from the first three peaks to the last three; None under 6 reps."""
    if len(peaks) < 6:
        return None
    first = sum(peaks[:3]) / 3.0
    last = sum(peaks[-3:]) / 3.0
    if first <= 0:
        return None
    return (first - last) / first * 100.0


@dataclass(frozen=True)
class FatigueFlag:
    reason: str  # "fatigue_index" or "weak_reps"
    fatigue_index: float | None
    weak_run: int
    rest_s: float
    lower_fraction: float
    pause_reps: int

    def as_record(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FatigueSettings:
    index_limit: float = 30.0
    weak_fraction: float = 0.8
    weak_run: int = 3
    rest_s: float = 90.0
    lower_fraction: float = 0.10
    pause_reps: int = 5


class FatigueGuard:
    """Watches one stretch of reps (a set, or what is left of it after a forced rest)."""

    def __init__(self, settings: FatigueSettings | None = None) -> None:
        self.settings = settings or FatigueSettings()
        self.peaks: list[float] = []
        self.weak_run = 0
        self.flags: list[FatigueFlag] = []

    def start_stretch(self) -> None:
        """A new set, or the set resumed after a rest: the index starts again."""
        self.peaks = []
        self.weak_run = 0

    @property
    def index(self) -> float | None:
        return fatigue_index(self.peaks)

    def add_rep(self, peak_pct: float, target_pct: float, success: bool) -> FatigueFlag | None:
        s = self.settings
        self.peaks.append(peak_pct)
        if not success and peak_pct < s.weak_fraction * target_pct:
            self.weak_run += 1
        else:
            self.weak_run = 0
        fi = self.index
        reason = None
        if self.weak_run >= s.weak_run:
            reason = "weak_reps"
        elif fi is not None and fi > s.index_limit:
            reason = "fatigue_index"
        if reason is None:
            return None
        flag = FatigueFlag(reason, fi, self.weak_run, s.rest_s, s.lower_fraction, s.pause_reps)
        self.flags.append(flag)
        return flag
