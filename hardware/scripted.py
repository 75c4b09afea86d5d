"""Play a recorded or generated force trace as if a ball were squeezed.

Used for demos (``--input sim``), tests and ``replay``. Trace times are relative
to the moment the source starts; samples come out in step with the injected
clock, so a test that advances the clock by hand gets the same samples every run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from hardware.clock import Clock
from hardware.sample import Sample
from hardware.source import SourceInfo, SourceStatus


class TraceFormatError(ValueError):
    """A trace file that cannot be read; the message names the file and line."""


def load_trace_csv(path: str | Path) -> np.ndarray:
    """Read a CSV with columns ``t`` (seconds) and ``force``, optionally ``roll_x``, ``roll_y``.

    Returns an (N, 4) float array of t, force, roll_x, roll_y.
    """
    path = Path(path)
    rows: list[tuple[float, float, float, float]] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        for needed in ("t", "force"):
            if needed not in fields:
                raise TraceFormatError(f"{path}: line 1: the header needs a '{needed}' column, found {fields}")
        for row in reader:
            try:
                t = float(row["t"])
                force = float(row["force"])
                rx = float(row.get("roll_x") or 0.0)
                ry = float(row.get("roll_y") or 0.0)
            except (TypeError, ValueError) as exc:
                raise TraceFormatError(f"{path}: line {reader.line_num}: not a number ({exc})") from None
            if not all(np.isfinite((t, force, rx, ry))):
                raise TraceFormatError(f"{path}: line {reader.line_num}: values must be finite numbers")
            if rows and t < rows[-1][0]:
                raise TraceFormatError(f"{path}: line {reader.line_num}: time goes backwards ({t} < {rows[-1][0]})")
            rows.append((t, force, rx, ry))
    if not rows:
        raise TraceFormatError(f"{path}: no samples after the header")
    return np.asarray(rows, dtype=float)


def save_trace_csv(path: str | Path, trace: np.ndarray) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["t", "force", "roll_x", "roll_y"])
        for row in np.asarray(trace, dtype=float):
            w.writerow([f"{v:.6g}" for v in row[:4]])


class ScriptedSource:
    """Replays an (N, 2..4) array of t, force[, roll_x, roll_y] in clock time."""

    def __init__(
        self,
        clock: Clock,
        trace: np.ndarray | Iterable[Sample],
        *,
        loop: bool = False,
        name: str = "Simulator",
        full_scale: float | None = None,
    ) -> None:
        if not isinstance(trace, np.ndarray):
            trace = np.asarray([(s.t, s.force, s.roll_x, s.roll_y) for s in trace], dtype=float)
        if trace.ndim != 2 or trace.shape[1] < 2 or len(trace) == 0:
            raise ValueError("a trace needs rows of t, force[, roll_x, roll_y]")
        if trace.shape[1] < 4:
            trace = np.hstack([trace, np.zeros((len(trace), 4 - trace.shape[1]))])
        self._trace = trace[:, :4].astype(float)
        self._trace[:, 0] -= self._trace[0, 0]
        self._clock = clock
        self._loop = loop
        self._start: float | None = None
        self._idx = 0
        self._offset = 0.0
        self.info = SourceInfo(name=name, has_force=True, has_roll=bool(np.any(self._trace[:, 2:4])),
                               nominal_full_scale=full_scale)

    @property
    def duration(self) -> float:
        return float(self._trace[-1, 0])

    @property
    def finished(self) -> bool:
        return not self._loop and self._idx >= len(self._trace)

    def start(self) -> None:
        self._start = self._clock.now()

    @property
    def status(self) -> SourceStatus:
        return SourceStatus.CONNECTED

    @property
    def status_message(self) -> str:
        return f"{self.info.name}: playing a recorded trace"

    def close(self) -> None:
        self._idx = len(self._trace)
        self._loop = False

    def poll(self) -> list[Sample]:
        if self._start is None:
            self.start()
        assert self._start is not None
        elapsed = self._clock.now() - self._start
        out: list[Sample] = []
        period = self.duration + (self._trace[1, 0] if len(self._trace) > 1 else 0.01)
        while True:
            if self._idx >= len(self._trace):
                if not self._loop:
                    break
                self._idx = 0
                self._offset += period
            t, f, rx, ry = self._trace[self._idx]
            if t + self._offset > elapsed + 1e-9:
                break
            out.append(Sample(t=self._start + self._offset + t, force=f, roll_x=rx, roll_y=ry, raw=(f,)))
            self._idx += 1
        return out
