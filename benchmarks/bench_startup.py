"""Startup: from starting the process to the title screen's first frame, ready for input.

Each run starts ``main.py`` in a fresh Python process, as a patient's shortcut does,
with the app's frame wrapped so the process reports the moment its first frame is
drawn (the title screen is on top and the one event router is polled every frame
from then on) and its resident memory then. The time counted starts before the
process is spawned, so the interpreter's own start is included. Runs:

- ``headless``: the dummy video driver, ``--headless`` (what CI can measure);
- ``window``: a real window on an X server (Xvfb, started here, when installed),
  with the default ``--input auto`` (a search of the serial ports for a ball).

- ``program``: headless, for a patient with a program assigned (classic_home), whose
  level file is loaded and checked before the title shows its name.

The first run of each creates the records database (a new user; in a fresh checkout it
also compiles the game's modules to bytecode); the figures are the later runs (a
returning user): median, 90th percentile, worst, and resident memory after the first
frame. Target: median <= 0.5 s headless (issue 18).

``--compare DIR`` measures another checkout of the game too (e.g. the commit before a
change: ``git worktree add /tmp/sq-before REV``), its runs taken in turn with this one's,
so both see the same load on a busy machine.

    python benchmarks/bench_startup.py            # 11 runs each
    python benchmarks/bench_startup.py --quick    # 3 runs, headless only
    python benchmarks/bench_startup.py --no-window --compare /tmp/sq-before
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, print_and_save  # noqa: E402

TARGET_S = 0.5  # median, headless

# Runs inside the child, before main.py: the first frame reports itself and ends the run.
CHILD = r"""
import os, sys, time
sys.path.insert(0, {root!r})
sys.argv = ["main.py", *{args!r}]
import game.app as _app
_frame = _app.App.frame
def _first_frame(self):
    _frame(self)
    if self.frames == 1:
        with open("/proc/self/statm") as fh:
            rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        print("READY", time.perf_counter(), rss, type(self.top).__name__, time.process_time(), flush=True)
        self.running = False
_app.App.frame = _first_frame
import runpy
runpy.run_path({main!r}, run_name="__main__")
"""


def start_once(args: list[str], env: dict[str, str], timeout: float = 30.0, root: Path = ROOT) -> dict[str, float | str]:
    """One process start: seconds to the first frame, RSS then (MB), the scene shown."""
    code = CHILD.format(root=str(root), args=args, main=str(root / "main.py"))
    t0 = time.perf_counter()  # CLOCK_MONOTONIC, the same clock the child reads
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=root)
    ready = [ln for ln in proc.stdout.splitlines() if ln.startswith("READY ")]
    if proc.returncode != 0 or not ready:
        raise RuntimeError(f"main.py {' '.join(args)} did not reach its first frame (exit {proc.returncode}):\n"
                           f"{proc.stderr.strip()[-2000:]}")
    _, t_ready, rss, scene, cpu = ready[0].split()
    return {"seconds": float(t_ready) - t0, "rss_mb": float(rss), "scene": scene, "cpu_s": float(cpu)}


def python_floor(env: dict[str, str], runs: int) -> float:
    """The interpreter alone starting and stopping: the part no app change can remove."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


class Xvfb:
    """A private X server for the windowed runs, stopped by its own process id."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.display = ""

    def __enter__(self) -> Xvfb | None:
        if not shutil.which("Xvfb"):
            return None
        for n in range(140, 180):
            if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
                break
        else:
            return None
        self.display = f":{n}"
        self.proc = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.__exit__()
                return None
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]


def _give_a_program(root: Path, data_dir: str, env: dict[str, str]) -> None:
    """A patient, Ann, with the shipped classic_home program, chosen to start with."""
    for cmd in (["add", "Ann", "--level", "classic_home"], ["select", "Ann"]):
        subprocess.run([sys.executable, str(root / "main.py"), "patients", "--data-dir", data_dir, *cmd], env=env,
                       cwd=root, check=True, capture_output=True, timeout=60)


def measure(mode: str, runs: int, env: dict[str, str], roots: tuple[Path, ...] = (ROOT,)) -> list[dict[str, object]]:
    """One row per checkout in ``roots``; their runs are taken in turn."""
    with tempfile.TemporaryDirectory() as tmp:
        dirs = []
        for i, root in enumerate(roots):
            d = str(Path(tmp) / str(i))
            os.mkdir(d)
            dirs.append(d)
            if mode == "program":
                _give_a_program(root, d, env)
        args = [["--data-dir", d] + (["--headless", "--input", "keyboard"] if mode != "window" else []) for d in dirs]
        firsts = [start_once(a, env, root=r) for a, r in zip(args, roots)]
        later: list[list[dict]] = [[] for _ in roots]
        for _ in range(runs):
            for i, root in enumerate(roots):
                later[i].append(start_once(args[i], env, root=root))
    rows = []
    for root, first, runs_ in zip(roots, firsts, later):
        secs = [r["seconds"] for r in runs_]
        rows.append({"mode": mode, "root": str(root), "first_run_s": first["seconds"],
                     "median_s": statistics.median(secs), "p90_s": p90(secs), "max_s": max(secs), "runs": runs,
                     "rss_mb": statistics.median(r["rss_mb"] for r in runs_), "scene": runs_[0]["scene"],
                     "cpu_median_s": statistics.median(r["cpu_s"] for r in runs_),
                     "ok": statistics.median(secs) <= TARGET_S})
    return rows


def run(runs: int, window: bool = True, compare: Path | None = None, program: bool = True) -> dict[str, object]:
    env = dict(os.environ, PYGAME_HIDE_SUPPORT_PROMPT="1", SDL_AUDIODRIVER="dummy")
    # An installed game keeps its compiled bytecode; a shell that forbids writing it would
    # count compiling every module on every start, which no patient's machine does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    headless_env = dict(env, SDL_VIDEODRIVER="dummy")
    roots = (ROOT,) if compare is None else (ROOT, compare.resolve())
    out: dict[str, object] = {"target_s": TARGET_S, "python_floor_s": python_floor(headless_env, 3),
                              "modes": measure("headless", runs, headless_env, roots)}
    if program:
        out["modes"] += measure("program", runs, headless_env, roots)
    if window:
        with Xvfb() as x:
            if x is None:
                out["window_note"] = "no X server (Xvfb not installed): window start not measured"
            else:
                win_env = {k: v for k, v in env.items() if k != "SDL_VIDEODRIVER"}
                win_env["DISPLAY"] = x.display
                out["modes"] += measure("window", runs, win_env, roots)
    return out


def print_table(res: dict[str, object]) -> None:
    print(f"startup to the title screen's first frame (target: median <= {TARGET_S:.1f} s); "
          f"Python itself starts and stops in {res['python_floor_s'] * 1000:.0f} ms")
    roots = list(dict.fromkeys(m.get("root", str(ROOT)) for m in res["modes"]))
    print(f"{'mode':<10} {'new user':>9} {'median':>8} {'p90':>8} {'worst':>8} {'cpu':>7} {'runs':>5} {'RSS MB':>7}  screen"
          f"       verdict" + ("  checkout" if len(roots) > 1 else ""))
    for m in res["modes"]:
        where = f"  {m['root']}" if len(roots) > 1 else ""
        print(f"{m['mode']:<10} {m['first_run_s']:8.3f}s {m['median_s']:7.3f}s {m.get('p90_s', m['max_s']):7.3f}s "
              f"{m['max_s']:7.3f}s {m.get('cpu_median_s', 0):6.3f}s {m['runs']:5d} {m['rss_mb']:7.1f}  {m['scene']:<12} {'ok' if m['ok'] else 'OVER'}"
              f"{where}")
    if "window_note" in res:
        print(res["window_note"])
    print("cpu: the process's own CPU time to the first frame (median), which other programs do not inflate")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 runs, headless only (for CI)")
    ap.add_argument("--runs", type=int, help="runs per mode after the first (default 11)")
    ap.add_argument("--no-window", action="store_true", help="headless runs only")
    ap.add_argument("--compare", type=Path, metavar="DIR", help="also measure the game checked out in DIR, in turn")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ns = ap.parse_args(argv)
    res = run(ns.runs or (3 if ns.quick else 11), window=not (ns.quick or ns.no_window), compare=ns.compare,
              program=not ns.quick)
    print_and_save(res, print_table, ns.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
