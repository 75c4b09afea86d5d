"""Stock Arduino sketches on a simulated Uno (simavr): the project's reader and detector count exactly.

Each sketch is compiled unmodified for an ATmega328P at 16 MHz and run in real
time by ``tests/simavr/uno.c``: its UART is a pseudo-terminal that the
project's own reader opens (resetting the board, as the Uno's DTR does), its
analog input A0 (or an HX711 on D3/D2) follows a force profile. Per sketch, 10
seeded profiles with 3 weak squeezes in 10: the reader must find the baud and
the line format, calibration comes from the profile's rest and maximal
squeeze, and the power-grip detector must count exactly the profile's reps,
the weak ones not successful. The runs go several at a time (each simulator
paces itself to the wall clock and needs about a third of a core).

The game itself plays a whole set through AnalogReadSerial at the end: it
calibrates (rest, three maximal squeezes) and plays ten squeezes, and the
database must hold exactly those reps.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.simavr.build import BuildError, build_sketch, missing_tools, stock_sketch
from tests.simavr.profiles import ShortProfile, short_power_grip_profile, to_hx711, to_volts

_MISSING = None if sys.platform.startswith("linux") else "the simulated Uno needs Linux pseudo-terminals"
_MISSING = _MISSING or missing_tools()
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"simulated Uno not available: {_MISSING}")

HERE = Path(__file__).resolve().parent
SEEDS = range(10)
PARALLEL = 8  # simulators at once: 0.1-0.4 of a core each (idle spinning skipped), plus the readers


@dataclass(frozen=True)
class Sketch:
    name: str
    kind: str  # "volts" at A0, or "raw" HX711 counts
    baud: int
    hx711: tuple[int, int] | None = None

    @property
    def ino(self) -> Path:
        if self.name == "hx711_plotter":
            return HERE / "simavr/sketches/hx711_plotter/hx711_plotter.ino"
        return stock_sketch(self.name)

    def device_values(self, prof: ShortProfile, seed: int) -> np.ndarray:
        return to_hx711(prof.pct, seed) if self.kind == "raw" else to_volts(prof.pct, seed)


SKETCHES = {
    # Arduino's built-in example: one analogRead() per line at 9600 baud.
    "AnalogReadSerial": Sketch("AnalogReadSerial", "volts", 9600),
    # Arduino's built-in example: "sensor = 512\t output = 127" at 9600 baud.
    "AnalogInOutSerial": Sketch("AnalogInOutSerial", "volts", 9600),
    # Serial Plotter "load:N,zero:N" from an HX711 at 80 readings a second, 115200 baud.
    "hx711_plotter": Sketch("hx711_plotter", "raw", 115200, hx711=(3, 2)),
}


@dataclass
class Run:
    sketch: str
    seed: int
    profile: ShortProfile
    samples: list  # hardware.sample.Sample, times on the reader's clock
    t_open: float
    baud: int | None
    format: str
    status: str
    figures: object
    wall_s: float


def play_profile(sketch: Sketch, seed: int) -> Run:
    """One simulated Uno, the project's reader on its port, for the whole profile."""
    from hardware.clock import SystemClock
    from hardware.discovery import open_ball

    prof = short_power_grip_profile(seed)
    elf = build_sketch(sketch.ino)
    from tests.simavr.uno import SimulatedUno

    clock = SystemClock()
    w0 = time.monotonic()
    with SimulatedUno(elf, prof.t, sketch.device_values(prof, seed), kind=sketch.kind, hx711=sketch.hx711) as uno:
        src = open_ball(uno.port, clock)  # a named port: baud and format found by the reader itself
        t_open = clock.now()
        src.start()
        samples = []
        try:
            while clock.now() < t_open + prof.duration_s + 0.3:
                time.sleep(0.05)
                samples += src.poll()
            samples += src.poll()
            snap = src.snapshot()
            status = src.status_message
        finally:
            src.close()
    return Run(sketch.name, seed, prof, samples, t_open, snap.baud, snap.format, status, uno.figures,
               time.monotonic() - w0)


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, int], Run]:
    try:
        for sk in SKETCHES.values():
            build_sketch(sk.ino)
    except BuildError as exc:
        pytest.fail(f"could not build the sketches: {exc}")
    jobs = [(name, seed) for seed in SEEDS for name in SKETCHES]
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        done = dict(zip(jobs, pool.map(lambda j: play_profile(SKETCHES[j[0]], j[1]), jobs)))
    wall = time.monotonic() - t0
    # Figures for the record (pytest -s shows them): slip is simulated time lost when the host fell behind.
    print(f"\nsimulated Uno: {len(jobs)} runs, {PARALLEL} at a time, {wall:.1f} s")
    for name in SKETCHES:
        rs = [r for (n, _), r in done.items() if n == name]
        slips = [r.figures.slip_s for r in rs]
        rate = [len(r.samples) / r.profile.duration_s for r in rs]
        print(f"  {name}: {np.median(rate):.0f} readings/s, slip median {np.median(slips):.2f} s, "
              f"worst {max(slips):.2f} s, idle spinning skipped {np.median([r.figures.skipped_s for r in rs]):.1f} s")
    return done


def detect(run: Run):
    """Calibrate from the profile's calibration phase, then count the set with the power-grip detector."""
    from game.context import PlaySettings
    from game.therapy.calibration import calibrate
    from game.therapy.force_reps import ForceRepDetector, exercise_settings

    prof = run.profile
    pt = np.array([s.t - run.t_open for s in run.samples])
    force = np.array([s.force for s in run.samples])
    r0, r1 = prof.rest_window
    s0, s1 = prof.squeeze_window
    rest = force[(pt >= r0) & (pt < r1)]
    sq = (pt >= s0) & (pt < s1)
    assert len(rest) >= 10 and sq.sum() >= 10, (
        f"too few readings to calibrate ({len(rest)} at rest, {sq.sum()} squeezing): {run.status}")
    cal = calibrate(rest, [(pt[sq], force[sq])])
    play = PlaySettings()
    det = ForceRepDetector(cal, exercise_settings("power_grip", target_pct=play.target_pct, hold_s=play.hold_s))
    set_samples = [s for s, p in zip(run.samples, pt) if p >= prof.calibration_end_s]
    return cal, det.feed(set_samples)


def check_counts(run: Run) -> None:
    cal, reps = detect(run)
    truth = run.profile.reps
    found = [(round(r.t_start - run.t_open, 2), round(r.peak_pct, 1), r.success) for r in reps]
    expected = [(round(r.t_start, 2), round(r.peak_pct, 1), r.strong) for r in truth]
    assert len(reps) == len(truth), f"{len(reps)} reps counted, {len(truth)} made\nfound {found}\nmade  {expected}"
    for got, want in zip(reps, truth):
        start = got.t_start - run.t_open
        assert want.t_start - 0.3 <= start <= want.t_end, f"rep at {start:.2f} s is not the one made at " \
                                                          f"{want.t_start:.2f}-{want.t_end:.2f} s\nfound {found}"
        assert got.success == want.strong, f"a {'strong' if want.strong else 'weak'} squeeze (peak " \
                                           f"{want.peak_pct:.0f}%) judged {'success' if got.success else got.failure}" \
                                           f"\nfound {found}\nmade  {expected}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(SKETCHES))
def test_stock_sketch_counts_every_rep(runs, name, seed):
    run = runs[(name, seed)]
    sk = SKETCHES[name]
    assert run.figures.resets == 1, "the board resets once, when the reader opens the port"
    assert run.baud == sk.baud, f"reader settled on {run.baud} baud: {run.status}"
    check_counts(run)


def test_reader_finds_9600_baud_through_garbage(runs):
    # At 115200 a 9600-baud sketch gives framing garbage (as a real UART does); the reader moves on.
    run = runs[("AnalogReadSerial", 0)]
    assert run.figures.garbled > 0
    assert run.format == "one number per line"
