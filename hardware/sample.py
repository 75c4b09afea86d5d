"""The one normalized measurement every input device produces."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading from an input device.

    ``t`` is in seconds on the clock the game injected into the source, so samples
    from any device line up with game time. ``force`` is in device units (the
    calibration turns it into %MVC). ``roll_x``/``roll_y`` are roll rates in device
    units per second (a gyro's deg/s, or arrow keys' equivalent), like a trackball.
    ``raw`` keeps what the device actually sent, for the record and for debugging.
    """

    t: float
    force: float
    roll_x: float = 0.0
    roll_y: float = 0.0
    raw: tuple[float, ...] = field(default=())
