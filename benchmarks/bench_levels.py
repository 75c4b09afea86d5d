"""Level files: how long loading, checking and the picker's rescans take. Prints figures."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from game.levels import SHIPPED_DIR, LevelLibrary, level_files, load_level  # noqa: E402

BROKEN = Path(__file__).resolve().parent.parent / "tests" / "data" / "levels_broken"


def per_call(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


def main() -> None:
    for p in level_files([SHIPPED_DIR]):
        print(f"load {p.name:<22} {per_call(lambda p=p: load_level(p), 50):7.2f} ms")
    for p in sorted(BROKEN.iterdir()):
        print(f"refuse {p.name:<20} {per_call(lambda p=p: load_level(p), 20):7.2f} ms")
    with tempfile.TemporaryDirectory() as d:
        big = Path(d) / "many.yaml"
        big.write_text("name: Many\nexercises: [" + ",".join(["1"] * 30_000) + "]\n")
        print(f"refuse 30,000 values ({big.stat().st_size // 1024} KB)   {per_call(lambda: load_level(big), 3):7.1f} ms")
        worst = Path(d) / "worst.yaml"  # just under the cheap bound: the slowest file still parsed
        worst.write_text("name: W\nexercises:\n" + "  - exercise: pinch\n" * 1_990)
        print(f"slowest accepted-for-parsing file ({worst.stat().st_size // 1024} KB) "
              f"{per_call(lambda: load_level(worst), 3):7.1f} ms")
    lib = LevelLibrary((SHIPPED_DIR,))
    print(f"picker rescan, nothing changed ({len(lib.entries)} files) {per_call(lib.refresh, 500) * 1000:7.1f} us")


def fuzz(n: int, seed: int = 19) -> dict:
    """The loader over ``n`` seeded mutations of the shipped files (tests/level_mutations.py):
    how many load, how many are explained, any exception, and the time per file."""
    from benchmarks.common import percentile
    from game.levels import parse_level_bytes
    from tests.level_mutations import mutations

    times: list[float] = []
    loaded = explained = no_line = 0
    crashes: list[str] = []
    t_all = time.perf_counter()
    for m in mutations(n, seed):
        t0 = time.perf_counter()
        try:
            level, problems = parse_level_bytes(m.data, "levels/x.yaml")
        except Exception as exc:  # noqa: BLE001 - counted and shown: what the benchmark is for
            crashes.append(f"{m.name}: {type(exc).__name__}: {exc!s:.120}")
            continue
        finally:
            times.append(time.perf_counter() - t0)
        loaded += level is not None
        explained += bool(problems)
        no_line += sum(p.line is None for p in problems)
    total = time.perf_counter() - t_all
    ms = [t * 1000 for t in times]
    res = {"mutations": n, "seed": seed, "loaded": loaded, "explained": explained, "exceptions": len(crashes),
           "problems_without_line": no_line, "total_s": total, "median_ms": percentile(ms, 50),
           "p99_ms": percentile(ms, 99), "worst_ms": max(ms)}
    print(f"fuzz {n:,} mutations (seed {seed}): {loaded:,} load, {explained:,} explained, {len(crashes)} exceptions; "
          f"{total:.1f} s in all, per file median {res['median_ms']:.2f} ms, p99 {res['p99_ms']:.2f} ms, "
          f"worst {res['worst_ms']:.1f} ms; {no_line} problems without a line (empty files)")
    for c in crashes[:10]:
        print("  EXCEPTION", c)
    return res


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fuzz", type=int, default=5_000, metavar="N", help="mutations to fuzz the loader with (0: none)")
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    main()
    if args.fuzz:
        fuzz(args.fuzz, args.seed)
