"""Clocks. Game time is injected everywhere so tests can drive it by hand."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic timeline."""
        ...


class SystemClock:
    """Wall-clock monotonic time, for real play."""

    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to: deterministic tests and headless runs."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = start

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._t += seconds

    def set(self, t: float) -> None:
        if t < self._t:
            raise ValueError("a clock cannot go backwards")
        self._t = t
