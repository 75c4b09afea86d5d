"""The small protocol every input device implements."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol, runtime_checkable

from hardware.sample import Sample


class SourceStatus(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the game needs to know about a device to present it honestly."""

    name: str
    has_force: bool = True
    has_roll: bool = False
    # Device units for a nominal full squeeze when the device itself defines it
    # (keyboard, simulator); None for a real sensor that must be calibrated.
    nominal_full_scale: float | None = None


@runtime_checkable
class InputSource(Protocol):
    """A device that turns the hand's effort into :class:`Sample` objects.

    ``poll`` never blocks: it returns the samples that arrived since the last call
    (possibly none). Devices with their own I/O run it on a background thread.
    """

    info: SourceInfo

    def start(self) -> None: ...

    def poll(self) -> list[Sample]: ...

    @property
    def status(self) -> SourceStatus: ...

    @property
    def status_message(self) -> str: ...

    def close(self) -> None: ...
