"""Input devices for Squeeze Quest.

Everything here is plain Python: no pygame, nothing from ``game/``. Every device
(serial ball, keyboard, mouse, gamepad, scripted trace) becomes one stream of
:class:`~hardware.sample.Sample` behind the :class:`~hardware.source.InputSource`
protocol, so the rep detector and the games never know which one is plugged in.
"""

from hardware.sample import Sample
from hardware.source import InputSource, SourceStatus

__all__ = ["InputSource", "Sample", "SourceStatus"]
