"""Run a sketch on a simulated Arduino Uno (``uno.c`` on simavr) with a force profile.

``SimulatedUno`` writes the profile as a ``t,volts`` or ``t,raw`` file, starts
the harness, and gives the pseudo-terminal it prints: the port a program opens
as it would ``/dev/ttyACM0``. Opening it resets the board; the profile's time
0 is that first open. ``stop()`` ends the harness and returns its figures
(simulated and wall seconds, slip behind the wall clock, resets, bytes sent), and
``profile_time`` places what a reader saw on the profile's own timeline.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from typing_extensions import Self

from tests.simavr.build import build_harness


@dataclass(frozen=True)
class HarnessFigures:
    sim_s: float
    wall_s: float
    slip_s: float
    resets: int
    bytes: int
    garbled: int
    hx711_reads: int
    skipped_s: float


def longest_stall(timeline: np.ndarray, p0: float, p1: float) -> float:
    """The longest the board stood still (wall seconds in which its profile did not move on: the host was
    busy with other programs) while its profile was between ``p0`` and ``p1`` s, from a harness timeline.

    A board standing still sends nothing: what a reader saw has a hole about as long (plus a line)."""
    if len(timeline) < 2:
        return 0.0
    still = np.diff(timeline[:, 0]) - np.diff(timeline[:, 1])
    inside = (timeline[1:, 1] >= p0) & (timeline[:-1, 1] <= p1)
    return float(max(0.0, still[inside].max())) if inside.any() else 0.0


def time_lost(timeline: np.ndarray, p0: float, p1: float) -> float:
    """The most wall time the board lost to the host over any stretch while its profile was between ``p0`` and
    ``p1`` s: standing still (:func:`longest_stall`) or running in slow motion, a little at a time.

    A board in slow motion sends its lines further apart than its own pace. A reader that gets them late, in
    one backlog, spreads them back at the ball's pace (a real ball's is steady), so the time lost shows as a
    hole before the backlog: about as long, however it was lost."""
    if len(timeline) < 2:
        return 0.0
    rows = np.where((np.r_[timeline[1:, 1], np.inf] >= p0) & (timeline[:, 1] <= p1))[0]
    if not len(rows):
        return 0.0
    lag = timeline[rows[0]:rows[-1] + 2, 0] - timeline[rows[0]:rows[-1] + 2, 1]  # grows while the board falls behind
    return float(max(0.0, np.max(lag - np.minimum.accumulate(lag))))


def write_profile(path: Path, t: Sequence[float], values: Sequence[float], kind: str) -> None:
    """A profile file: ``kind`` is ``volts`` (at the analog pin) or ``raw`` (ADC or HX711 counts)."""
    if kind not in ("volts", "raw"):
        raise ValueError("kind is 'volts' or 'raw'")
    if len(t) != len(values) or not len(t):
        raise ValueError("t and values must be non-empty and of the same length")
    rows = "\n".join(f"{float(a):.6f},{float(b):.6f}" for a, b in zip(t, values))
    path.write_text(f"t,{kind}\n{rows}\n", encoding="ascii")


class SimulatedUno:
    """One simulated Uno running ``elf``, its input following (t, value) rows."""

    def __init__(self, elf: Path, t: Sequence[float], values: Sequence[float], *, kind: str = "volts",
                 hx711: tuple[int, int] | None = None, hx711_rate: int = 80, boot_ms: float = 1000.0,
                 max_seconds: float = 120.0, extra_args: Sequence[str] = ()) -> None:
        # In memory where there is such a folder: the harness writes its timeline every 10 ms, and a
        # write that waits behind another program's disk syncs would stall the simulated board.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self._dir = tempfile.TemporaryDirectory(prefix="uno-", dir=shm)
        prof = Path(self._dir.name) / "profile.csv"
        self._timeline = Path(self._dir.name) / "timeline.txt"
        write_profile(prof, t, values, kind)
        cmd = [str(build_harness()), str(elf), str(prof), "--boot-ms", str(boot_ms), "--max-seconds", str(max_seconds),
               "--timeline", str(self._timeline)]
        if hx711 is not None:
            cmd += ["--hx711", f"{hx711[0]},{hx711[1]}", "--hx711-rate", str(hx711_rate)]
        cmd += list(extra_args)  # e.g. --no-skip, --no-baud-check (see uno.c)
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        self.port = self._proc.stdout.readline().strip()
        if not self.port.startswith("/dev/"):
            err = self._proc.communicate(timeout=5)[1]
            raise RuntimeError(f"the simulated Uno did not start: {self.port!r} {err}")
        self.figures: HarnessFigures | None = None
        self.stderr = ""
        self.timeline = np.zeros((0, 2))  # (time.monotonic(), profile time) rows, read at stop()
        self._first_row: tuple[float, float] | None = None

    def stop(self) -> HarnessFigures:
        if self.figures is not None:
            return self.figures
        self._proc.terminate()
        try:
            _, err = self._proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            _, err = self._proc.communicate()
        self.stderr = err
        try:
            self.timeline = np.loadtxt(self._timeline, ndmin=2)
        except (OSError, ValueError):
            self.timeline = np.zeros((0, 2))
        self._dir.cleanup()
        line = next((ln for ln in err.splitlines() if ln.startswith("uno: sim_s=")), None)
        if line is None:
            raise RuntimeError(f"the simulated Uno ended without its figures: {err}")
        vals = dict(kv.split("=") for kv in line[len("uno: "):].split())
        self.figures = HarnessFigures(float(vals["sim_s"]), float(vals["wall_s"]), float(vals["slip_s"]),
                                      int(vals["resets"]), int(vals["bytes"]), int(vals["garbled"]), int(vals["hx711_reads"]), float(vals["skipped_s"]))
        return self.figures

    def profile_now(self) -> float:
        """How far the profile has played (live, from the harness's timeline file); 0 before the port opens."""
        try:
            with open(self._timeline, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 80))
                lines = f.read().splitlines()
        except OSError:
            return 0.0
        for line in reversed(lines):
            parts = line.split()
            if len(parts) == 2:
                try:
                    return float(parts[1])
                except ValueError:
                    continue
        return 0.0

    def behind_now(self) -> float:
        """How far the profile has fallen behind the wall clock since the port was first opened (live; 0
        before): the host busy with other programs. Starting the harness and opening the port are not counted."""
        if self._first_row is None:
            try:
                with open(self._timeline, "rb") as f:
                    parts = f.readline().split()
                self._first_row = (float(parts[0]), float(parts[1]))
            except (OSError, ValueError, IndexError):
                return 0.0
        wall0, prof0 = self._first_row
        return max(0.0, time.monotonic() - wall0 - (self.profile_now() - prof0))

    def longest_stall(self, p0: float, p1: float) -> float:
        """:func:`longest_stall` of this run, after ``stop()``."""
        return longest_stall(self.timeline, p0, p1)

    def profile_time(self, host_t: Sequence[float]) -> np.ndarray:
        """Profile time of moments on this machine's monotonic clock (``time.monotonic``), after ``stop()``.

        Equal to the time since the port was opened while the simulator kept up with the wall
        clock; when it fell behind, the profile ran slower and this says where it really was.
        """
        if len(self.timeline) < 2:
            raise RuntimeError("the simulated Uno wrote no timeline (was the port ever opened?)")
        return np.interp(np.asarray(host_t, dtype=float), self.timeline[:, 0], self.timeline[:, 1])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.simavr.uno SKETCH.ino PROFILE.csv``: a simulated Uno to try a sketch by hand."""
    import argparse
    import signal
    import time

    from tests.simavr.build import BuildError, build_sketch, missing_tools

    p = argparse.ArgumentParser(prog="python -m tests.simavr.uno", description=main.__doc__)
    p.add_argument("sketch", type=Path, help="an Arduino sketch (.ino), compiled for an Uno unmodified")
    p.add_argument("profile", type=Path, help="CSV of t (s) and volts at A0, or raw counts with --raw or --hx711")
    p.add_argument("--raw", action="store_true", help="the second column is raw counts, not volts")
    p.add_argument("--hx711", metavar="DOUT,SCK", help="an HX711 on these digital pins, e.g. 3,2")
    ns = p.parse_args(argv)
    why = missing_tools()
    if why:
        print(f"cannot simulate an Uno here: {why}")
        return 1
    try:
        elf = build_sketch(ns.sketch)
    except BuildError as exc:
        print(f"the sketch did not compile:\n{exc}")
        return 1
    data = np.loadtxt(ns.profile, delimiter=",", skiprows=1, ndmin=2)
    hx = tuple(int(v) for v in ns.hx711.split(",")) if ns.hx711 else None
    kind = "raw" if (ns.raw or hx) else "volts"
    with SimulatedUno(elf, data[:, 0], data[:, 1], kind=kind, hx711=hx, max_seconds=3600) as uno:  # type: ignore[arg-type]
        print(f"simulated Uno on {uno.port}: try `python main.py monitor --input {uno.port}` (Ctrl-C stops)",
              flush=True)

        def interrupted(*_: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, interrupted)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    print(uno.stderr.strip().splitlines()[-1] if uno.stderr.strip() else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
