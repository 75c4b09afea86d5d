"""Causal low-pass filters for an irregularly sampled sensor stream.

USB serial delivers samples with jittery spacing, and the keyboard, simulator and
ball run at different rates, so a fixed-rate IIR design (scipy.signal.butter) would
be wrong whenever the spacing changes. Two cascaded one-pole stages with a
per-sample coefficient from the real time step give a critically damped
second-order low-pass that stays correct at any rate.
"""

from __future__ import annotations

import math

# Two identical cascaded first-order stages reach -3 dB at sqrt(2**0.5 - 1) of
# each stage's corner, so each stage runs this much faster than the target cutoff.
_CASCADE_FACTOR = 1.0 / math.sqrt(2.0**0.5 - 1.0)


class LowPass2:
    """Critically damped 2nd-order low-pass with -3 dB at ``cutoff_hz``."""

    __slots__ = ("cutoff_hz", "_w", "_s1", "_y", "_primed")

    def __init__(self, cutoff_hz: float) -> None:
        if cutoff_hz <= 0:
            raise ValueError("cutoff must be positive")
        self.cutoff_hz = cutoff_hz
        self._w = 2.0 * math.pi * cutoff_hz * _CASCADE_FACTOR
        self._s1 = 0.0
        self._y = 0.0
        self._primed = False

    def reset(self, value: float) -> None:
        self._s1 = self._y = value
        self._primed = True

    def shift(self, delta: float) -> None:
        """Move the filter's state by ``delta`` (used when the baseline is re-zeroed)."""
        self._s1 += delta
        self._y += delta

    def remap(self, scale: float, offset: float) -> None:
        """Express the state in other units: ``state * scale + offset`` (a new calibration)."""
        self._s1 = self._s1 * scale + offset
        self._y = self._y * scale + offset

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LowPass2):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    @property
    def value(self) -> float:
        return self._y

    def step(self, x: float, dt: float) -> float:
        if not self._primed:
            self.reset(x)
            return x
        a = 1.0 - math.exp(-self._w * dt) if dt > 0 else 0.0
        self._s1 += a * (x - self._s1)
        self._y += a * (self._s1 - self._y)
        return self._y
