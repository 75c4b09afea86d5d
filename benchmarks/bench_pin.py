"""The staff PIN: what one guess costs, with the real parameters (PIN_KDF) and the old ones.

    python benchmarks/bench_pin.py [--runs N]

Prints, per hash, the CPU time of one guess (this thread's; what a guesser with a
copy of the database pays per PIN tried on one core of this machine) and the wall
time (what staff wait after pressing OK, other programs included), then how long
every PIN of 4 and of 6 digits takes on one core. The figure the README and
game/staff.py claim is the CPU median against CLAIMED_MIN_MS_PER_GUESS (250 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import describe_machine, load_average, machine, percentile  # noqa: E402
from game.staff import CLAIMED_MIN_MS_PER_GUESS, OLD_SCRYPT, PIN_KDF, hash_pin  # noqa: E402


def per_guess(params: dict, runs: int) -> tuple[list[float], list[float]]:
    """CPU and wall milliseconds of ``runs`` hashes (after one warm-up)."""
    salt = os.urandom(16)
    hash_pin("000000", salt, params)
    cpu, wall = [], []
    for i in range(runs):
        c0, w0 = time.thread_time(), time.perf_counter()
        hash_pin(f"{i:06d}", salt, params)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return cpu, wall


def days(n_pins: int, ms: float) -> str:
    s = n_pins * ms / 1000
    return f"{s / 60:.0f} minutes" if s < 3600 else (f"{s / 3600:.1f} hours" if s < 86400 else f"{s / 86400:.1f} days")


def run(runs: int = 9) -> dict:
    rows = {}
    for label, params in (("argon2id (PIN_KDF)", PIN_KDF.as_json()), ("scrypt N=2**14 (before)", {"name": "scrypt",
                                                                                                  **OLD_SCRYPT})):
        cpu, wall = per_guess(params, runs)
        rows[label] = {"cpu_median_ms": percentile(cpu, 50), "cpu_min_ms": min(cpu),
                       "wall_median_ms": percentile(wall, 50), "wall_max_ms": max(wall)}
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9, help="hashes per setting (default 9)")
    args = ap.parse_args()
    print(describe_machine(machine()))
    print(f"load average at start: {load_average()}")
    print(f"PIN_KDF: {PIN_KDF.as_json()}  ({PIN_KDF.work_mib_passes:g} MiB-passes)")
    rows = run(args.runs)
    print(f"{'hash':<26} {'cpu median':>11} {'cpu min':>8} {'wall median':>12} {'wall max':>9}   "
          f"{'all 4-digit PINs':>17} {'all 6-digit PINs':>17}")
    for label, r in rows.items():
        print(f"{label:<26} {r['cpu_median_ms']:9.0f} ms {r['cpu_min_ms']:5.0f} ms {r['wall_median_ms']:9.0f} ms "
              f"{r['wall_max_ms']:6.0f} ms   {days(10**4, r['cpu_median_ms']):>17} {days(10**6, r['cpu_median_ms']):>17}")
    got = rows["argon2id (PIN_KDF)"]["cpu_median_ms"]
    verdict = "ok" if got >= CLAIMED_MIN_MS_PER_GUESS else "MISSED"
    print(f"cost per guess (CPU, one core): {got:.0f} ms, target >= {CLAIMED_MIN_MS_PER_GUESS} ms: {verdict}")


if __name__ == "__main__":
    main()
