"""Fixed-timestep game loop bookkeeping (Game Programming Patterns, "Game Loop").

Updates run in fixed 1/60 s steps so the game behaves the same at any frame
rate; a long stall (a slow disk, a dragged window) is clamped instead of
replayed, and catch-up is capped so a slow machine cannot spiral. The leftover
fraction of a step is handed to drawing for smooth motion.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP = 1.0 / 60.0
MAX_CATCHUP_STEPS = 5
MAX_FRAME_GAP = 0.25


@dataclass
class FixedStep:
    step: float = STEP
    max_steps: int = MAX_CATCHUP_STEPS
    max_gap: float = MAX_FRAME_GAP
    _last: float | None = None
    _acc: float = 0.0
    dropped_time: float = 0.0

    def advance(self, now: float) -> tuple[int, float]:
        """How many fixed updates to run for a frame at ``now``, and the draw alpha."""
        if self._last is None:
            self._last = now
            return 0, 0.0
        gap = now - self._last
        self._last = now
        if gap > self.max_gap:
            self.dropped_time += gap - self.max_gap
            gap = self.max_gap
        self._acc += max(0.0, gap)
        steps = 0
        while self._acc >= self.step - 1e-9 and steps < self.max_steps:
            self._acc -= self.step
            steps += 1
        if steps == self.max_steps and self._acc >= self.step:
            # Too far behind: forget the backlog rather than spiral.
            self.dropped_time += self._acc - self._acc % self.step
            self._acc %= self.step
        return steps, max(0.0, min(1.0, self._acc / self.step))
