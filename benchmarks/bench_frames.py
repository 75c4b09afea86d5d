"""Frame time of every registered mini-game: update + draw, per frame, at 1920x1080 and 1280x720.

Each game runs headless (dummy video driver) inside the real app, played by a
scripted hand (squeezes with tremor and noise, and rolling on both axes for the
rolling games), and every ``App.frame()`` is timed: event routing, samples into
the detector, the fixed-step update and drawing the whole screen. The target is
p99 <= 5 ms (a third of a 60 Hz frame).

    python benchmarks/bench_frames.py            # 1200 frames per game and size
    python benchmarks/bench_frames.py --quick    # 240 frames, for CI
    python benchmarks/bench_frames.py --check    # exit 1 if any game misses the target
    python benchmarks/bench_frames.py --both --xvfb   # per game: CPU headless, wall and present in a real window
    python benchmarks/bench_frames.py --both --xvfb --against /tmp/sq-before   # before/after, same run
    python benchmarks/bench_frames.py --both --xvfb --sizes 1920x1080 --stages 1,2,3,4,5 \
        --games power_grip,power_grip:balloon,finger_squeeze --repeats 3 [--json out.json]

``--both`` measures each game twice: headless (CPU time per frame: the figure a busy machine
does not inflate) and in a real X window (wall time per frame, and ``present``: the flip that
copies the frame to the window). ``--xvfb`` starts a private Xvfb at 1920x1080x24 for it, as
the CI has it. ``--against DIR`` runs the same measurements on another checkout of the game
(``git worktree add /tmp/sq-before <rev>``), alternating old and new, each in a fresh process,
so both sets of figures come from the same minutes of the same machine (the other checkout's game,
played by this file's scripted hand). ``--stages`` plays the set at those stages and
``exercise:game`` names a second game (``power_grip:balloon``, ``table_roll:marble``);
``--repeats N`` reports the median of N runs of each figure; *sent* is the median share of the
window sent to it per frame (1: a whole frame).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

SIZES = ((1920, 1080), (1280, 720))
TARGET_P99_MS = 5.0
WARMUP_FRAMES = 30  # fonts and text surfaces are cached on first use
BASELINE, MVC = 40.0, 300.0


def hand_trace(seconds: float, seed: int = 0) -> np.ndarray:
    """Squeezes every ~2.5 s with tremor and noise, and the ball rolled in slow circles."""
    from hardware.traces import Squeeze, synth_trace

    rng = np.random.default_rng(seed)
    squeezes, t = [], 1.0
    while t < seconds:
        sq = Squeeze(t, MVC * rng.uniform(0.12, 0.4), rise=rng.uniform(0.2, 0.6), hold=rng.uniform(0.3, 1.0),
                     release=rng.uniform(0.3, 1.2))
        squeezes.append(sq)
        t = sq.end + rng.uniform(0.6, 1.5)
    trace = synth_trace(squeezes, seconds, baseline=BASELINE, noise_sd=1.5, tremor_hz=9.0, tremor_amp=4.0, seed=seed)
    tt = trace[:, 0]
    trace[:, 2] = 80.0 * np.sin(2 * np.pi * 0.35 * tt)  # roll rates, device units per second
    trace[:, 3] = 80.0 * np.cos(2 * np.pi * 0.35 * tt)
    return trace


def bench_game(exercise: str, size: tuple[int, int], frames: int, *,
               window: bool = False, stage: int | None = None,
               game: str | None = None, hand: str | None = None) -> tuple[list[float], list[float]]:
    """Milliseconds per frame after the warm-up, wall clock and this thread's CPU time.

    ``window``: draw into a real window (needs DISPLAY), so the flip to the screen is counted.
    ``stage`` (1..5) and ``game`` (a second game of the exercise, e.g. ``balloon``): the set is
    played at that stage, in that game (default: a new patient's first stage, the first game).

    The CPU time leaves out time the OS gave to other programs, so it is the figure
    to trust on a busy machine. A 300-rep set: the daily ceiling, the longest HUD.
    """
    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.records.storage import Store
    from game.therapy.calibration import Calibration
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource

    clock = ManualClock()
    total = frames + WARMUP_FRAMES
    src = ScriptedSource(clock, hand_trace(total * STEP + 2.0), name="Bench hand")
    direct = stage is not None or game is not None  # the play scene pushed straight, at that stage and game
    with tempfile.TemporaryDirectory() as d:
        app = App(AppOptions(headless=not window, exercise=None if direct else exercise, window_size=size,
                             sound=False, demos=False, game=game, play=PlaySettings(reps_per_set=300, **({"hand": hand} if hand else {}))),
                  clock=clock, source=src, calibration=Calibration(BASELINE, MVC, noise_sd=1.5),
                  store=Store.in_dir(Path(d)))
        if direct:
            from game.scene import Push
            from game.scenes.play import PlayScene

            app.apply(Push(PlayScene(exercise, stage=stage)))
        return time_frames(app, clock, total, STEP, WARMUP_FRAMES)


def time_frames(app, clock, total: int, step: float,  # noqa: ANN001 - an App and its ManualClock
                warmup: int) -> tuple[list[float], list[float]]:
    """Run ``total`` frames of ``app``, advancing ``clock`` by ``step`` before each, then shut it down.

    Milliseconds per frame after the first ``warmup`` frames: wall clock and this thread's CPU time.
    """
    wall, cpu = [], []
    try:
        for i in range(total):
            clock.advance(step)
            t0, c0 = time.perf_counter(), time.thread_time()
            app.frame()
            dt, dc = time.perf_counter() - t0, time.thread_time() - c0
            if i >= warmup:
                wall.append(dt * 1000.0)
                cpu.append(dc * 1000.0)
    finally:
        app.shutdown()
    return wall, cpu


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def bench_game_timed(exercise: str, size: tuple[int, int], frames: int, *,
                     window: bool = False) -> tuple[list[float], list[float], list[float]]:
    """:func:`bench_game` plus the present (the flip of the frame to the window) of each frame, ms."""
    import pygame

    present: list[float] = []
    real = {"flip": pygame.display.flip, "update": pygame.display.update}

    def timed(name: str):  # noqa: ANN202
        def call(*a):  # noqa: ANN002, ANN202
            t0 = time.perf_counter()
            real[name](*a)
            present.append((time.perf_counter() - t0) * 1000.0)
        return call

    pygame.display.flip, pygame.display.update = timed("flip"), timed("update")
    try:
        wall, cpu = bench_game(exercise, size, frames, window=window)
    finally:
        pygame.display.flip, pygame.display.update = real["flip"], real["update"]
    return wall, cpu, present[-len(wall):]


def uncached_drawing():  # noqa: ANN201
    """A context in which the canvas draws as it did before the frame-time work: two fills per
    clear, every shape drawn with pygame.draw each frame, no static art or width cache."""
    import contextlib

    import pygame

    from game.ui import LOGICAL_H, LOGICAL_W, Canvas, Theme

    def clear(self, color=Theme.BG):  # noqa: ANN001, ANN202
        self.surface.fill((0, 0, 0))
        self.surface.fill(color, self.prect((0, 0, LOGICAL_W, LOGICAL_H)))

    def rect(self, color, r, *, radius=0, width=0):  # noqa: ANN001, ANN202
        pygame.draw.rect(self.surface, color, self.prect(r), self.plen(width) if width else 0,
                         border_radius=self.plen(radius) if radius else -1)

    def sprite(self, key, area, paint, *, slot=None, repaint=None):  # noqa: ANN001, ANN202
        paint(self)

    def text_width(self, text, size, bold=False):  # noqa: ANN001, ANN202
        return self.font(self.scaled(size), bold, text).size(text)[0] / self.scale

    @contextlib.contextmanager
    def ctx():  # noqa: ANN202
        saved = {k: getattr(Canvas, k) for k in ("clear", "rect", "sprite", "text_width")}
        for k, v in (("clear", clear), ("rect", rect), ("sprite", sprite), ("text_width", text_width)):
            setattr(Canvas, k, v)
        try:
            yield
        finally:
            for k, v in saved.items():
                setattr(Canvas, k, v)

    return ctx()


def caches_ab(games: list[str], sizes: tuple[tuple[int, int], ...], frames: int, rounds: int = 2) -> list[dict]:
    """The frame-time work alone, measured in one process: each game drawn without and with the
    caches, alternately, ``rounds`` times; headless CPU p50/p99 per frame (ms)."""
    rows = []
    print(f"{'game':<18} {'size':>10} {'cpu p50 old':>12} {'cpu p50 new':>12} {'cpu p99 old':>12} {'cpu p99 new':>12}")
    for game in games:
        for size in sizes:
            old: list[float] = []
            new: list[float] = []
            for _ in range(rounds):
                with uncached_drawing():
                    old += bench_game(game, size, frames)[1]
                new += bench_game(game, size, frames)[1]
            row = {"game": game, "size": f"{size[0]}x{size[1]}", "old_p50": percentile(old, 50),
                   "new_p50": percentile(new, 50), "old_p99": percentile(old, 99), "new_p99": percentile(new, 99)}
            rows.append(row)
            print(f"{game:<18} {row['size']:>10} {row['old_p50']:12.2f} {row['new_p50']:12.2f} {row['old_p99']:12.2f} "
                  f"{row['new_p99']:12.2f}", flush=True)
    return rows


# Run in a fresh process against a checkout (this one or an older one): this file's bench_game
# plays that checkout's game (its folder goes first on the path before any game module loads),
# timing the flip to the window (present) around pygame.display.flip/update and recording the
# share of the window each frame sends (1 for a whole frame).
WORKER = r"""
import importlib.util, json, os, sys, time
spec = importlib.util.spec_from_file_location("bench_frames_here", {here!r})
bench_frames = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_frames)
sys.path.insert(0, {root!r})
if {window!r}:
    os.environ.pop("SDL_VIDEODRIVER", None)
import pygame
present, sent = [], []
def timed(real, whole):
    def call(*a):
        t0 = time.perf_counter()
        real(*a)
        present.append((time.perf_counter() - t0) * 1000.0)
        surf = pygame.display.get_surface()
        area = surf.get_width() * surf.get_height()
        sent.append(1.0 if whole or not a or a[0] is None else min(1.0, sum(r[2] * r[3] for r in a[0]) / area))
    return call
pygame.display.flip = timed(pygame.display.flip, True)
pygame.display.update = timed(pygame.display.update, False)
wall, cpu = bench_frames.bench_game({game!r}, {size!r}, {frames!r}, window={window!r}, **{extra!r})
n = len(wall)
print("RESULT " + json.dumps({{"wall": wall, "cpu": cpu, "present": present[-n:], "sent": sent[-n:]}}))
"""


NICE = 0  # --nice: the scheduling priority of the measured processes (and of the Xvfb)
HAND: str | None = None  # --hand: the patient's trained hand (left: the world mirrored); default right


def measure(root: Path, game: str, size: tuple[int, int], frames: int, window: bool, *,
            stage: int | None = None) -> dict:
    """One game (``exercise`` or ``exercise:game``) at one size, in a fresh process on the checkout
    at ``root``: p50/p99 of wall, CPU and (in a window) present in ms, and of the share sent."""
    import json
    import subprocess

    exercise, _, variant = game.partition(":")
    extra = {k: v for k, v in (("stage", stage), ("game", variant or None), ("hand", HAND)) if v is not None}
    code = WORKER.format(here=str(Path(__file__).resolve()), root=str(root), window=window, game=exercise,
                         size=tuple(size), frames=frames, extra=extra)
    env = dict(os.environ)
    if not window:
        env["SDL_VIDEODRIVER"] = "dummy"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         timeout=600, preexec_fn=(lambda: os.nice(NICE)) if NICE else None)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{game} at {root} failed:\n{out.stderr[-2000:]}")
    data = json.loads(line[7:])
    res = {}
    for k, v in data.items():
        if v:
            res[f"{k}_p50"], res[f"{k}_p99"] = percentile(v, 50), percentile(v, 99)
    return res


def both_modes(games: list[str], sizes: tuple[tuple[int, int], ...], frames: int,
               against: Path | None = None, *, stages: list[int | None] | None = None,
               repeats: int = 1) -> list[dict]:
    """Per game (``exercise`` or ``exercise:game``), stage and size: CPU p50/p99 headless, wall and
    present p50/p99 in the window and the median share of the window sent; with ``against``, the
    other checkout's figures measured alternately with these. With ``repeats`` > 1 each figure is
    the median over that many runs, old and new taken in turn (a shared machine's noise)."""
    import statistics

    here = Path(__file__).resolve().parent.parent
    trees = [("after", here)] + ([("before", against)] if against else [])
    order = trees if len(trees) == 1 else trees[::-1]  # before first, then after
    rows = []
    print(f"{'game':<26} {'stage':>5} {'size':>10} {'tree':<7} {'cpu p50':>8} {'cpu p99':>8} {'wall p50':>9} "
          f"{'wall p99':>9} {'present p50':>12} {'present p99':>12} {'sent':>5}")
    for game in games:
        for stage in stages or [None]:
            for size in sizes:
                runs: dict[str, list[dict]] = {label: [] for label, _root in order}
                for _ in range(repeats):
                    for label, root in order:
                        head = measure(root, game, size, frames, window=False, stage=stage)
                        win = measure(root, game, size, frames, window=True, stage=stage)
                        runs[label].append({"cpu_p50": head["cpu_p50"], "cpu_p99": head["cpu_p99"],
                                            "wall_p50": win["wall_p50"], "wall_p99": win["wall_p99"],
                                            "window_cpu_p99": win["cpu_p99"],
                                            "present_p50": win.get("present_p50", float("nan")),
                                            "present_p99": win.get("present_p99", float("nan")),
                                            "sent_p50": win.get("sent_p50", float("nan"))})
                for label, _root in order:
                    row = {"game": game, "stage": stage, "size": f"{size[0]}x{size[1]}", "tree": label,
                           "repeats": repeats, "wall_p99_runs": [r["wall_p99"] for r in runs[label]]}
                    for k in runs[label][0]:
                        row[k] = statistics.median(r[k] for r in runs[label])
                    rows.append(row)
                    print(f"{game:<26} {stage or '-':>5} {row['size']:>10} {label:<7} {row['cpu_p50']:8.2f} "
                          f"{row['cpu_p99']:8.2f} {row['wall_p50']:9.2f} {row['wall_p99']:9.2f} "
                          f"{row['present_p50']:12.2f} {row['present_p99']:12.2f} {row['sent_p50']:5.2f}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="240 frames per game and size (for CI)")
    ap.add_argument("--frames", type=int, help="frames per game and size (default 1200)")
    ap.add_argument("--games", help="comma-separated exercise ids (default: every registered game)")
    ap.add_argument("--check", action="store_true", help=f"exit 1 if any p99 is over {TARGET_P99_MS} ms")
    ap.add_argument("--window", action="store_true",
                    help="draw into a real window on $DISPLAY (e.g. Xvfb), counting the flip to the screen")
    ap.add_argument("--both", action="store_true",
                    help="each game headless (CPU) and in a real window (wall, present), one row each")
    ap.add_argument("--xvfb", action="store_true", help="start a private Xvfb (1920x1080x24) for the window runs")
    ap.add_argument("--against", type=Path, help="with --both: also measure this other checkout (before/after)")
    ap.add_argument("--stages", help="with --both: comma-separated stages 1..5 (default: a new patient's first)")
    ap.add_argument("--sizes", help="comma-separated window sizes, e.g. 1920x1080 (default: 1920x1080,1280x720)")
    ap.add_argument("--json", type=Path, help="with --both: also write the rows to this file")
    ap.add_argument("--nice", type=int, default=0,
                    help="with --both: run the game and the Xvfb at this priority (e.g. -10, as root: the game as "
                         "the machine's foreground program while other programs keep running)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="with --both: runs per figure, old and new in turn; the median is reported")
    ap.add_argument("--hand", choices=("left", "right"), help="with --both: the patient's hand (default right)")
    ap.add_argument("--caches-ab", action="store_true",
                    help="headless CPU per frame with and without the drawing caches, alternately (one process)")
    ns = ap.parse_args(argv)
    global HAND
    HAND = ns.hand
    sizes = tuple(tuple(int(v) for v in sz.split("x")) for sz in ns.sizes.split(",")) if ns.sizes else SIZES
    stages = [int(v) for v in ns.stages.split(",")] if ns.stages else None
    if ns.caches_ab:
        from game.games import GAMES

        games = ns.games.split(",") if ns.games else list(GAMES)
        caches_ab(games, sizes, ns.frames or (240 if ns.quick else 600))
        return 0
    if ns.both:
        from game.games import GAMES

        games = ns.games.split(",") if ns.games else list(GAMES)
        frames = ns.frames or (240 if ns.quick else 1200)
        print(f"{frames} frames per game after {WARMUP_FRAMES} warm-up; target p99 <= {TARGET_P99_MS} ms "
              f"(cpu: headless, this thread's CPU time; wall and present: a real X window)")
        if ns.xvfb:
            from benchmarks.bench_startup import Xvfb

            with Xvfb() as x:
                if x is None:
                    print("bench_frames: Xvfb is not installed or did not start", file=sys.stderr)
                    return 2
                os.environ["DISPLAY"] = x.display
                if ns.nice:
                    global NICE
                    NICE = ns.nice
                    os.setpriority(os.PRIO_PROCESS, x.proc.pid, ns.nice)
                rows = both_modes(games, sizes, frames, ns.against, stages=stages, repeats=ns.repeats)
        elif os.environ.get("DISPLAY"):
            rows = both_modes(games, sizes, frames, ns.against, stages=stages, repeats=ns.repeats)
        else:
            print("bench_frames: --both needs an X server: --xvfb, or set DISPLAY", file=sys.stderr)
            return 2
        if ns.json:
            import json

            ns.json.write_text(json.dumps(rows, indent=1))
        over = [r for r in rows if r["tree"] == "after" and max(r["cpu_p99"], r["wall_p99"]) > TARGET_P99_MS]
        for r in over:
            print(f"over the target: {r['game']} stage {r['stage'] or '-'} {r['size']} (cpu p99 {r['cpu_p99']:.2f}, "
                  f"wall p99 {r['wall_p99']:.2f})")
        return 1 if (ns.check and over) else 0
    if ns.window:
        if not os.environ.get("DISPLAY"):
            print("bench_frames: --window needs an X server: set DISPLAY (e.g. run under xvfb-run)", file=sys.stderr)
            return 2
        if os.environ.get("SDL_VIDEODRIVER") == "dummy":
            del os.environ["SDL_VIDEODRIVER"]
    from game.games import GAMES

    frames = ns.frames or (240 if ns.quick else 1200)
    games = ns.games.split(",") if ns.games else list(GAMES)
    unknown = [g for g in games if g not in GAMES]
    if unknown:
        print(f"bench_frames: not a registered game: {', '.join(unknown)}; choose from {', '.join(GAMES)}",
              file=sys.stderr)
        return 2
    print(f"update+draw per frame, {frames} frames after {WARMUP_FRAMES} warm-up; target p99 <= {TARGET_P99_MS} ms")
    print("wall = elapsed time; cpu = this thread's CPU time (unaffected by other programs on a busy machine)")
    print(f"{'game':<18} {'size':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'cpu p50':>8} {'cpu p99':>8}  verdict")
    over = []
    for ex in games:
        for w, h in sizes:
            times, cpu = bench_game(ex, (w, h), frames, window=ns.window)
            p50, p99 = percentile(times, 50), percentile(times, 99)
            ok = p99 <= TARGET_P99_MS
            if not ok:
                over.append(f"{ex} {w}x{h}")
            verdict = "ok" if ok else ("OVER (cpu ok: machine busy)" if percentile(cpu, 99) <= TARGET_P99_MS
                                       else "OVER")
            print(f"{ex:<18} {f'{w}x{h}':>10} {p50:8.2f} {p99:8.2f} {max(times):8.2f} "
                  f"{percentile(cpu, 50):8.2f} {percentile(cpu, 99):8.2f}  {verdict}", flush=True)
    if over:
        print(f"over the target: {', '.join(over)}")
    return 1 if (ns.check and over) else 0


if __name__ == "__main__":
    raise SystemExit(main())
