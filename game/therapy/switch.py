"""A squeeze used as a button (for menus driven by the ball alone).

Hysteresis on %MVC: "pressed" when force rises above ``press_pct``, ready again
once it falls below ``release_pct``; a press must last ``min_press_s`` so tremor
or a bump of the table does not choose anything.
"""

from __future__ import annotations

from game.therapy.calibration import Calibration
from game.therapy.filters import LowPass2
from hardware.sample import Sample


class SqueezeSwitch:
    def __init__(self, calibration: Calibration, press_pct: float = 15.0, release_pct: float = 7.0,
                 min_press_s: float = 0.12) -> None:
        self.calibration = calibration
        self.press_pct = press_pct
        self.release_pct = release_pct
        self.min_press_s = min_press_s
        self._lp = LowPass2(10.0)
        self._last_t: float | None = None
        self._above_since: float | None = None
        self._armed = False  # must see a release first, so a held squeeze does not repeat
        self.level_pct = 0.0

    def feed(self, samples: list[Sample]) -> int:
        """Number of presses completed in these samples."""
        presses = 0
        for s in samples:
            x = self.calibration.to_pct(s.force)
            if self._last_t is None or s.t - self._last_t > 0.5:
                self._lp.reset(x)
            elif s.t > self._last_t:
                self._lp.step(x, s.t - self._last_t)
            else:
                continue
            self._last_t = s.t
            y = self.level_pct = self._lp.value
            if y < self.release_pct:
                self._armed = True
                self._above_since = None
            elif y > self.press_pct and self._armed:
                if self._above_since is None:
                    self._above_since = s.t
                if s.t - self._above_since >= self.min_press_s:
                    presses += 1
                    self._armed = False
                    self._above_since = None
        return presses
