"""Soak: four hours of play compressed in time, checked for errors, lost reps, leaks and slow-down.

A scripted hand plays every registered game in turn through the real app and its
real screens (headless, a manual clock advanced one 1/60 s step per frame, so it runs
as fast as the CPU): the menu is clicked, each set is played to its end by a seeded
script of good, weak and too-small movements, the results screen is left with Esc,
and once a round the progress screen is opened. Along the way the ball is unplugged
and plugged back in at seeded times, sometimes in the middle of a squeeze; on some
of those the patient chooses "Use the keyboard" and squeezes with the space bar.

Checks:
- no error: no exception, no failed database write, the app never stops by itself;
- no lost rep: every rep a game reported is a row in the database;
- memory growth under 10 MB: resident memory (RSS) at the end against after the
  first round of all games (caches of fonts and text are full by then);
- frame time unchanged: p50 and p99 of update+draw (this thread's CPU time, which
  other programs on the machine do not inflate) in the last hour against the first.

    python benchmarks/soak.py                 # 4 hours of game time (about 20 minutes here)
    python benchmarks/soak.py --hours 0.1     # a quick look
    python benchmarks/soak.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import headless_env, percentile, rss_mb  # noqa: E402

headless_env()

MEMORY_LIMIT_MB = 10.0
# "Unchanged": the last hour's p50/p99 within 20%/30% of the first hour's, or within a
# small absolute margin (a 0.1 ms change on a 1 ms frame is noise, not a trend).
P50_RATIO, P99_RATIO, ABS_MARGIN_MS = 1.20, 1.30, 0.25
REPS_PER_SET = 8
HAND_HZ = 100.0
SLOW_FRAME_MS = 50.0


@dataclass
class Unplug:
    at: float  # game seconds
    seconds: float
    use_keyboard: bool


@dataclass
class SoakResult:
    hours: float
    frames: int = 0
    wall_s: float = 0.0
    sets: int = 0
    sets_by_game: dict[str, int] = field(default_factory=dict)
    reps_reported: int = 0
    reps_in_db: int = 0
    keyboard_choices: int = 0  # unplugs where the patient chose "Use the keyboard"
    unplugs: int = 0
    keep_going_asked: int = 0  # "Keep going?" questions after a still spell, answered "keep going"
    reconnects_logged: int = 0
    errors: list[str] = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_baseline_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_max_mb: float = 0.0
    baseline_at_min: float = 0.0
    heap_growth_mb: float | None = None
    segments: list[dict[str, float]] = field(default_factory=list)
    memory_timeline: list[tuple[float, float]] = field(default_factory=list)  # (game minutes, RSS MB)
    checks: dict[str, bool] = field(default_factory=dict)
    heap_top: list[str] = field(default_factory=list)  # --heap: where the Python heap grew most
    slow_frames: list[dict] = field(default_factory=list)  # frames over SLOW_FRAME_MS, with the screen shown

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(self.checks.values())


def plan_unplugs(hours: float, seed: int) -> list[Unplug]:
    """Seeded times the ball is unplugged: every 2-10 minutes, for 1-30 s."""
    import numpy as np

    rng = np.random.default_rng(seed + 77)
    out, t = [], 90.0
    while True:
        t += float(rng.uniform(120.0, 600.0))
        if t > hours * 3600 - 60:
            return out
        out.append(Unplug(t, float(rng.uniform(1.0, 30.0)), bool(rng.random() < 0.3)))


class SoakHand:
    """The ball the soak plays with: scripted movements, and a plug the soak pulls.

    An :class:`~hardware.source.InputSource`. While unplugged it reports DISCONNECTED
    and its samples are lost, as a real cable pull loses them. Between sets the hand
    rests on the ball (baseline force, no roll) at the ball's 100 Hz.
    """

    def __init__(self, clock, baseline: float) -> None:  # noqa: ANN001
        from hardware.source import SourceInfo

        self.clock = clock
        self.baseline = baseline
        self.plugged = True
        self.info = SourceInfo(name="Soak hand", has_force=True, has_roll=True)
        self._playing = None  # a ScriptedSource while a set is played
        self._next_rest = 0.0

    def start(self) -> None:
        self._next_rest = self.clock.now()

    def play(self, trace) -> None:  # noqa: ANN001 - an (N, 4) array
        from hardware.scripted import ScriptedSource

        self._playing = ScriptedSource(self.clock, trace, loop=True, name=self.info.name)
        self._playing.start()

    def rest(self) -> None:
        self._playing = None
        self._next_rest = self.clock.now()

    @property
    def status(self):  # noqa: ANN201
        from hardware.source import SourceStatus

        return SourceStatus.CONNECTED if self.plugged else SourceStatus.DISCONNECTED

    @property
    def status_message(self) -> str:
        return "Soak hand: connected" if self.plugged else "Soak hand: unplugged"

    def poll(self) -> list:
        from hardware.sample import Sample

        now = self.clock.now()
        if self._playing is not None:
            out = self._playing.poll()
        else:
            out = []
            while self._next_rest <= now + 1e-9:
                out.append(Sample(self._next_rest, self.baseline, 0.0, 0.0, (self.baseline,)))
                self._next_rest += 1.0 / HAND_HZ
        return out if self.plugged else []

    def close(self) -> None:
        self._playing = None


def set_script(exercise: str, channel: str, k: int):  # noqa: ANN201
    """A seeded set holding exactly REPS_PER_SET reps (plus movements that are not reps)."""
    from tests.helpers import scripted_set
    from tests.roll_scripts import circle_script, stroke_script

    if channel == "force":
        trace, reps = scripted_set(6, 2, 2, seed=k)
        return trace
    if exercise == "thumb_roll":
        sc = circle_script(["good"] * 5 + ["small"] * 2 + ["slow"] + ["tiny", "line"], seed=k)
    else:
        axis = "x" if exercise == "thumb_opposition" else "y"
        sc = stroke_script(["good"] * 5 + ["weak"] * 2 + ["slow"] + ["tiny", "drift"], axis=axis, seed=k)
    assert sc.reps == REPS_PER_SET
    return sc.trace


def run_soak(hours: float = 4.0, *, seed: int = 0, size: tuple[int, int] = (1280, 720), data_dir: Path | None = None,
             heap: bool = False, progress: bool = True) -> SoakResult:
    """Play for ``hours`` of game time; see the module docstring for what is checked."""
    import numpy as np
    import pygame

    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.therapy.exercises import BY_ID
    from game.games import GAMES
    from game.loop import STEP
    from game.scenes.keep_going import KeepGoingScene
    from game.scenes.menu import MenuScene
    from game.scenes.play import DisconnectedScene, PlayScene
    from game.scenes.progress import ProgressScene
    from game.scenes.results import ResultsScene
    from game.records.storage import Store
    from hardware.clock import ManualClock
    from tests.helpers import CAL

    res = SoakResult(hours=hours)
    total_frames = int(round(hours * 3600 / STEP))
    n_seg = max(2, int(round(hours)))  # hours, or halves of a short run
    seg_len = total_frames // n_seg
    # Preallocated and written once now (fresh zeroed pages are only resident once touched),
    # so filling them in does not show up as the game's memory growth.
    cpu_ms = np.full(total_frames, np.nan, dtype=np.float32)
    wall_ms = np.full(total_frames, np.nan, dtype=np.float32)
    mem = np.full(int(hours * 60) + 2, np.nan, dtype=np.float64)
    unplugs = plan_unplugs(hours, seed)
    games = list(GAMES)
    tmp = tempfile.TemporaryDirectory() if data_dir is None else None
    folder = Path(tmp.name) if tmp is not None else data_dir
    if heap:
        import tracemalloc

        tracemalloc.start(1)
    clock = ManualClock()
    hand = SoakHand(clock, CAL.baseline)
    app = App(AppOptions(headless=True, exercise=games[0], window_size=size, sound=False, data_dir=folder,
                         play=PlaySettings(reps_per_set=REPS_PER_SET)),
              clock=clock, source=hand, calibration=CAL, store=Store.in_dir(folder))
    res.rss_start_mb = rss_mb()
    heap_base = heap_snap = None

    def key(k: int, down: bool = True) -> None:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=k, mod=0))

    def click(pos: tuple[float, float]) -> None:
        for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            pygame.event.post(pygame.event.Event(kind, button=1, pos=(int(pos[0]), int(pos[1]))))

    scale = size[0] / 1280.0
    set_k = 0  # sets started
    current_play: PlayScene | None = None
    top_since = 0  # frame the current top scene appeared
    last_top = None
    next_unplug = 0
    unplug_until: float | None = None
    kb_until = 0.0
    next_kb_press = 0.0
    space_down = False
    baseline_frame = None
    wall0 = time.perf_counter()
    try:
        for i in range(total_frames):
            now = clock.now()
            top = app.top
            if top is not last_top:
                last_top, top_since = top, i
                if isinstance(top, PlayScene) and top is not current_play:
                    if current_play is not None and current_play.ended is None:
                        res.errors.append(f"a set of {current_play.exercise} was left unfinished")
                    current_play = top
                    hand.play(set_script(top.exercise, BY_ID[top.exercise].channel, seed * 10_000 + set_k))
                    set_k += 1
                elif isinstance(top, ResultsScene) and not getattr(top, "_soak_counted", False):
                    top._soak_counted = True  # back from the progress screen is the same results
                    hand.rest()
                    s = top.summary
                    res.sets += 1
                    res.sets_by_game[s.exercise] = res.sets_by_game.get(s.exercise, 0) + 1
                    res.reps_reported += s.reps
                    if s.reps != REPS_PER_SET or s.ended != "completed":
                        res.errors.append(f"set {res.sets} ({s.exercise}) ended '{s.ended}' with {s.reps} reps")
                    if res.sets == len(games) and baseline_frame is None:
                        baseline_frame = i  # one round of every game: caches are warm
            waited = (i - top_since) * STEP
            # The patient's hands on the screens between sets.
            if isinstance(top, ResultsScene) and waited >= 1.5:
                if res.sets % len(games) == 0 and not getattr(top, "_soak_progress_seen", False):
                    top._soak_progress_seen = True
                    click(tuple(v * scale for v in top.buttons.buttons[1].rect.center))  # My progress
                else:
                    key(pygame.K_ESCAPE)
                top_since = i  # one press, then wait again
            elif isinstance(top, ProgressScene) and waited >= 2.0:
                key(pygame.K_ESCAPE)
                top_since = i
            elif isinstance(top, KeepGoingScene) and waited >= 0.3 and not getattr(top, "_soak_answered", False):
                # "Keep going?" after a still spell (a long unplug, a drift): the patient carries on.
                top._soak_answered = True
                res.keep_going_asked += 1
                key(pygame.K_ESCAPE)
            elif isinstance(top, MenuScene) and waited >= 1.0:
                exercise = games[set_k % len(games)]
                btn = next(b for b in top.buttons.buttons if b.id == exercise)
                click(tuple(v * scale for v in btn.rect.center))
                top_since = i
            # The cable.
            if unplug_until is None and next_unplug < len(unplugs) and now >= unplugs[next_unplug].at:
                u = unplugs[next_unplug]
                next_unplug += 1
                hand.plugged = False
                unplug_until = now + u.seconds
                res.unplugs += 1
                if u.use_keyboard:
                    kb_until = unplug_until
            elif unplug_until is not None and now >= unplug_until:
                hand.plugged = True
                unplug_until = None
                if space_down:
                    key(pygame.K_SPACE, False)
                    space_down = False
            if isinstance(top, DisconnectedScene) and now < kb_until and waited >= 1.0:
                click(tuple(v * scale for v in top.buttons.buttons[0].rect.center))  # Use the keyboard
                top_since = i
                next_kb_press = now + 1.0
            if not hand.plugged and now < kb_until and isinstance(top, PlayScene) and now >= next_kb_press:
                key(pygame.K_SPACE, not space_down)  # squeeze 1.5 s, rest 1.5 s
                space_down = not space_down
                next_kb_press = now + 1.5

            clock.advance(STEP)
            t0, c0 = time.perf_counter(), time.thread_time()
            app.frame()
            wall_ms[i] = (time.perf_counter() - t0) * 1000.0
            cpu_ms[i] = (time.thread_time() - c0) * 1000.0
            if wall_ms[i] > SLOW_FRAME_MS and len(res.slow_frames) < 40:
                res.slow_frames.append({"minute": round(now / 60, 2), "screen": type(app.top).__name__,
                                        "wall_ms": round(float(wall_ms[i]), 1), "cpu_ms": round(float(cpu_ms[i]), 1)})
            if not app.running:
                res.errors.append(f"the app stopped by itself at game minute {now / 60:.1f}")
                break
            if i % 3600 == 0:  # every game minute
                minute = i // 3600
                mem[minute] = rss_mb()
                if baseline_frame is not None and res.rss_baseline_mb == 0.0:
                    res.rss_baseline_mb = mem[minute]
                    res.baseline_at_min = minute
                    if heap:
                        heap_base = tracemalloc.get_traced_memory()[0]
                        heap_snap = tracemalloc.take_snapshot()
                if progress and minute and minute % 15 == 0:
                    print(f"  soak: {minute // 60}h{minute % 60:02d} game time, {res.sets} sets, "
                          f"{res.reps_reported} reps, RSS {mem[minute]:.1f} MB, "
                          f"{time.perf_counter() - wall0:.0f} s", file=sys.stderr, flush=True)
            res.frames = i + 1
        if current_play is not None and current_play.ended is None:
            res.reps_reported += current_play.game.reps_done  # the set the run ended in
        events = app.store.events()
        res.reconnects_logged = sum(1 for e in events if e["kind"] == "reconnected")
        res.keyboard_choices = sum(1 for e in events if e["kind"] == "disconnected_choice")
        res.errors += [f"database write failed: {m}" for m in app.store.write_errors]
    except Exception:  # noqa: BLE001 - the soak reports any error as its finding
        res.errors.append(traceback.format_exc())
    finally:
        res.wall_s = time.perf_counter() - wall0
        res.rss_end_mb = rss_mb()
        if heap:
            if heap_base is not None:
                res.heap_growth_mb = (tracemalloc.get_traced_memory()[0] - heap_base) / 1e6
                diff = tracemalloc.take_snapshot().compare_to(heap_snap, "lineno")
                res.heap_top = [f"{d.size_diff / 1e3:+.0f} kB, {d.count_diff:+d} blocks: {d.traceback}"
                                for d in diff[:8]]
            tracemalloc.stop()
        try:
            app.shutdown()
        except Exception:  # noqa: BLE001
            res.errors.append("shutdown: " + traceback.format_exc())
    from game.records.storage import DB_NAME

    db = sqlite3.connect(folder / DB_NAME)
    res.reps_in_db = db.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    dupes = db.execute("SELECT COUNT(*) FROM (SELECT session_id, set_number, rep_number FROM reps "
                       "GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)").fetchone()[0]
    if dupes:
        res.errors.append(f"{dupes} reps saved twice")
    db.close()
    if tmp is not None:
        tmp.cleanup()

    n = res.frames
    minutes = max(1, int(np.ceil(n / 3600)))
    res.memory_timeline = [(m, round(float(mem[m]), 2)) for m in range(minutes) if not np.isnan(mem[m])]
    res.rss_max_mb = float(np.nanmax(mem[:minutes])) if not np.all(np.isnan(mem[:minutes])) else res.rss_end_mb
    if not res.rss_baseline_mb:
        res.rss_baseline_mb = res.rss_start_mb
    for s in range(n_seg):
        a, b = s * seg_len, min(n, (s + 1) * seg_len)
        if b - a < 60:
            continue
        res.segments.append({"from_min": a * STEP / 60, "to_min": b * STEP / 60,
                             "cpu_p50": percentile(cpu_ms[a:b], 50), "cpu_p99": percentile(cpu_ms[a:b], 99),
                             "wall_p50": percentile(wall_ms[a:b], 50), "wall_p99": percentile(wall_ms[a:b], 99),
                             "wall_max": float(wall_ms[a:b].max())})
    first, last = (res.segments[0], res.segments[-1]) if len(res.segments) >= 2 else (None, None)

    def same(key: str, ratio: float) -> bool:
        if first is None:
            return False
        return last[key] <= first[key] * ratio or last[key] - first[key] <= ABS_MARGIN_MS

    growth = res.rss_end_mb - res.rss_baseline_mb
    res.checks = {
        "no error": not res.errors,
        "no lost rep": res.reps_reported == res.reps_in_db and res.reps_reported > 0,
        f"memory growth < {MEMORY_LIMIT_MB:.0f} MB": bool(growth < MEMORY_LIMIT_MB),
        "frame time unchanged": bool(same("cpu_p50", P50_RATIO) and same("cpu_p99", P99_RATIO)),
    }
    return res


def report(res: SoakResult) -> str:
    lines = [f"soak: {res.hours:g} h of game time ({res.frames} frames) in {res.wall_s / 60:.1f} min; "
             f"{res.sets} sets ({', '.join(f'{g} {n}' for g, n in res.sets_by_game.items())}); "
             f"{res.unplugs} unplugs ({res.keyboard_choices} played on with the keyboard), "
             f"{res.reconnects_logged} reconnects logged, {res.keep_going_asked} 'Keep going?' answered",
             f"  reps reported by the games {res.reps_reported}, rows in the database {res.reps_in_db}",
             f"  RSS at start {res.rss_start_mb:.1f} MB, after the first round (minute {res.baseline_at_min:.0f}) "
             f"{res.rss_baseline_mb:.1f} MB, at the end {res.rss_end_mb:.1f} MB (growth "
             f"{res.rss_end_mb - res.rss_baseline_mb:+.2f} MB), highest {res.rss_max_mb:.1f} MB"
             + (f"; Python heap growth {res.heap_growth_mb:+.2f} MB" if res.heap_growth_mb is not None else ""),
             "  update+draw per frame (ms):   from-to min   cpu p50  cpu p99  wall p50  wall p99  wall max"]
    for s in res.segments:
        lines.append(f"  {'':28}{s['from_min']:5.0f}-{s['to_min']:<5.0f} {s['cpu_p50']:8.2f} {s['cpu_p99']:8.2f} "
                     f"{s['wall_p50']:9.2f} {s['wall_p99']:9.2f} {s['wall_max']:9.2f}")
    for h in res.heap_top:
        lines.append("  heap grew: " + h)
    if res.slow_frames:
        worst = sorted(res.slow_frames, key=lambda f: -f["wall_ms"])[:5]
        lines.append(f"  frames over {SLOW_FRAME_MS:.0f} ms wall: {len(res.slow_frames)}"
                     f"{'+' if len(res.slow_frames) >= 40 else ''}; worst: "
                     + ", ".join(f"{f['wall_ms']:.0f} ms on {f['screen']} (cpu {f['cpu_ms']:.0f} ms)" for f in worst))
    for name, ok in res.checks.items():
        lines.append(f"  {'ok  ' if ok else 'FAIL'} {name}")
    for e in res.errors[:10]:
        lines.append("  error: " + e.strip().replace("\n", "\n         "))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=4.0, help="game time to play (default 4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="1280x720", help="window size (default 1280x720)")
    ap.add_argument("--heap", action="store_true", help="also trace the Python heap (tracemalloc; slower)")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    ns = ap.parse_args(argv)
    if ns.hours <= 0:
        print("soak: --hours must be more than 0", file=sys.stderr)
        return 2
    w, h = (int(v) for v in ns.size.lower().split("x"))
    res = run_soak(ns.hours, seed=ns.seed, size=(w, h), heap=ns.heap)
    print(report(res))
    if ns.json:
        out = asdict(res)
        out["ok"] = res.ok
        ns.json.write_text(json.dumps(out, indent=1))
    return 0 if res.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
