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


if __name__ == "__main__":
    main()
