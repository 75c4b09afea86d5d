"""Simulated Uno benchmark: what one real-time board costs the host, per stock sketch.

    python benchmarks/bench_uno.py              # 20 s per board, with and without idle-spin skipping
    python benchmarks/bench_uno.py --seconds 8  # shorter

For each sketch of ``tests/test_stock_firmware.py`` one simulated Uno plays a
short profile while a reader holds its port open; printed: host CPU seconds
per simulated second (the share of a core one board needs), slip behind the
wall clock, and how much of the simulated time was idle spinning skipped. The
test file runs several boards at once: on 2 cores their shares must add up to
well under 2 for the runs to stay in real time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simavr.build import build_sketch, missing_tools
from tests.simavr.profiles import short_power_grip_profile, to_hx711, to_volts
from tests.simavr.uno import SimulatedUno
from tests.test_stock_firmware import SKETCHES


def child_cpu() -> float:
    import resource  # Unix only (so is simavr); here, so the module still imports on Windows

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def one_board(name: str, seconds: float, skip: bool) -> dict[str, float]:
    import serial

    sk = SKETCHES[name]
    prof = short_power_grip_profile(0)
    values = to_hx711(prof.pct, 0) if sk.kind == "raw" else to_volts(prof.pct, 0)
    elf = build_sketch(sk.ino)
    cpu0 = child_cpu()
    with SimulatedUno(elf, prof.t, values, kind=sk.kind, hx711=sk.hx711,
                      extra_args=() if skip else ("--no-skip",)) as uno:
        lines = 0
        with serial.Serial(uno.port, sk.baud, timeout=0.05) as port:
            t0 = time.monotonic()
            while time.monotonic() - t0 < seconds:
                lines += port.read(4096).count(b"\n")
    f = uno.figures
    cpu = child_cpu() - cpu0
    return {"cpu_per_sim_s": cpu / max(f.sim_s, 1e-9), "slip_s": f.slip_s, "sim_s": f.sim_s,
            "skipped_pct": 100.0 * f.skipped_s / max(f.sim_s, 1e-9), "lines_per_s": lines / seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="how long each board runs (default 20)")
    ns = ap.parse_args(argv)
    why = missing_tools()
    if why:
        print(f"simulated Uno not available: {why}")
        return 1
    print(f"{'sketch':<20} {'skipping':<9} {'core share':>10} {'slip s':>7} {'skipped':>8} {'lines/s':>8}")
    total = 0.0
    for name in SKETCHES:
        for skip in (True, False):
            r = one_board(name, ns.seconds, skip)
            if skip:
                total += r["cpu_per_sim_s"]
            print(f"{name:<20} {'on' if skip else 'off':<9} {r['cpu_per_sim_s']:>10.2f} {r['slip_s']:>7.2f} "
                  f"{r['skipped_pct']:>7.0f}% {r['lines_per_s']:>8.0f}")
    print(f"one board of each sketch at once (skipping on): {total:.2f} of a core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
