"""Rep-detection quality on sensor-physics profiles: precision, recall, F1 and success agreement.

    python benchmarks/bench_detection.py            # full: >= 1,000 true reps (about a minute)
    python benchmarks/bench_detection.py --quick    # fewer seeds
    python benchmarks/bench_detection.py --smoke    # a few reps per case (CI: proves it runs)

Each force exercise x each reality of ``hardware/sensor_physics.py`` (and a few
combinations, and the other two sensor kinds) gives seeded profiles. Each profile
is calibrated from its own calibration phase with ``game.therapy.calibration.calibrate``
(raw counts, read failures included, as the game's calibration scene gets them),
then every sample after ``calibration_end_s`` goes through
``ForceRepDetector.step(t, counts)`` built with the exercise's real settings: the
game's path from the level file ``levels/classic_home.yaml`` through
``SetStep.detector_settings()`` and the game's ``force_settings`` (its timing
defaults and the plan's overrides). Detected reps are matched one-to-one to true
reps by time overlap (the largest overlaps first).

Success agreement: over matched reps, how often the detector's ``success`` equals
the truth's (a strong rep, peak >= 1.3 x target, whose hold meets the setting;
weak reps, <= 0.7 x target, are failures). Targets: F1 >= 0.98 overall and for
quick presses (finger_flexion, fast_tapping). Nothing is asserted here; the
figures are printed and saved (benchmarks/results.json, part "detection").

The detector's cost per sample is measured in the same run for the current
``game/therapy/force_reps.py`` and for the one committed in git b9eb54a (loaded
with importlib from ``git show``; skipped, and said so, without git).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, headless_env  # noqa: E402

BASELINE_COMMIT = "b9eb54a"
TARGET_F1 = 0.98
LEVEL_FILE = ROOT / "levels" / "classic_home.yaml"
COMBOS: tuple[tuple[str, ...], ...] = (
    ("creep", "hysteresis"),  # what a real FSR ball does every time
    ("creep", "hysteresis", "tremor", "dropouts"),
    ("fast_tapping", "creep", "hysteresis"),
    ("slow_release", "incomplete_release", "creep"),
    ("drift", "rest_step", "tremor"),
)
OTHER_SENSOR_REALITIES = ("clean", "creep", "drift", "dropouts")
LEVELS = {
    "smoke": {"seeds": 1, "n_reps": 3, "combo_seeds": 1, "sensor_seeds": 1, "quick_seeds": 1},
    "quick": {"seeds": 1, "n_reps": 10, "combo_seeds": 1, "sensor_seeds": 1, "quick_seeds": 3},
    "full": {"seeds": 2, "n_reps": 10, "combo_seeds": 2, "sensor_seeds": 1, "quick_seeds": 8},
}


# ------------------------------------------------------------------ the game's settings
def exercise_settings() -> dict[str, object]:
    """ForceRepSettings per force exercise, built the way a session set builds them."""
    headless_env()
    from game.games import GAMES, GameSetup
    from game.levels import load_level_or_raise
    from game.session import SetStep
    from game.therapy.calibration import Calibration
    from hardware.sensor_physics import EXERCISES

    plan = load_level_or_raise(LEVEL_FILE).to_plan()
    out: dict[str, object] = {}
    for i, ep in enumerate(plan.exercises):
        if ep.exercise not in EXERCISES or ep.exercise in out:
            continue
        step = SetStep(exercise=ep, exercise_index=i, set_number=1, sets=ep.sets, reps=ep.reps,
                       target_pct=ep.target_pct, hold_s=ep.hold_s, cue_s=ep.cue_s)
        setup = GameSetup(calibration=Calibration(baseline=0.0, mvc=1.0), detector=step.detector_settings(),
                          reps_target=ep.reps, rng=random.Random(0), plan=step.game_plan())
        out[ep.exercise] = GAMES[ep.exercise].force_settings(setup)
    return out


def load_baseline() -> tuple[ModuleType | None, str]:
    """The detector as committed in BASELINE_COMMIT, as a module of its own (or None and why)."""
    try:
        src = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:game/therapy/force_reps.py"], cwd=ROOT,
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"git unavailable ({e.__class__.__name__})"
    if src.returncode != 0:
        return None, f"git show failed: {src.stderr.strip()[:120]}"
    name = f"force_reps_{BASELINE_COMMIT}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up while the class is made
    code = compile(src.stdout, f"{BASELINE_COMMIT}:game/therapy/force_reps.py", "exec")
    exec(code, mod.__dict__)  # noqa: S102 - the committed detector's own source, from git
    return mod, "loaded"


def settings_for(module: ModuleType, settings: object) -> object:
    """The same settings as ``module``'s own ForceRepSettings (fields it does not know are left out)."""
    cls = module.ForceRepSettings
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in dataclasses.asdict(settings).items() if k in known})  # type: ignore[call-overload]


# ------------------------------------------------------------------ one profile
@dataclasses.dataclass
class Score:
    true: int = 0
    detected: int = 0
    matched: int = 0
    success_agree: int = 0
    samples: int = 0
    seconds: float = 0.0

    def add(self, o: Score) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(o, f.name))

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else (1.0 if not self.true else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def agreement(self) -> float | None:
        return self.success_agree / self.matched if self.matched else None

    def as_dict(self) -> dict:
        return {"true": self.true, "detected": self.detected, "matched": self.matched, "precision": self.precision,
                "recall": self.recall, "f1": self.f1, "success_agreement": self.agreement}


def match(true_reps: list, detected: list) -> list[tuple[int, int]]:
    """One-to-one pairs (true index, detected index) by time overlap, largest overlaps first."""
    cands = []
    for i, tr in enumerate(true_reps):
        for j, d in enumerate(detected):
            ov = min(tr.t_end, d.t_end) - max(tr.t_start, d.t_start)
            if ov > 0:
                cands.append((ov, i, j))
    used_t: set[int] = set()
    used_d: set[int] = set()
    pairs = []
    for _, i, j in sorted(cands, reverse=True):
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
            pairs.append((i, j))
    return pairs


def calibrate_profile(trace) -> object:
    import numpy as np

    from game.therapy.calibration import calibrate
    from hardware.sensor_physics import calibration_windows

    (r0, r1), trials = calibration_windows(trace)
    rest = trace.counts[(trace.t >= r0) & (trace.t < r1)]
    tr = []
    for a, b in trials:
        m = (trace.t >= a) & (trace.t < b)
        tr.append((trace.t[m], trace.counts[m]))
    return calibrate(np.asarray(rest, dtype=float), tr, units="counts")


def run_detector(module: ModuleType, calibration, settings, t, counts) -> tuple[list, float]:
    det = module.ForceRepDetector(calibration, settings)
    step = det.step
    reps = []
    t0 = time.perf_counter()
    for ti, fi in zip(t, counts):
        rep = step(ti, fi)
        if rep is not None:
            reps.append(rep)
    return reps, time.perf_counter() - t0


def score_profile(trace, module: ModuleType, settings, hold_s: float) -> Score:
    cal = calibrate_profile(trace)
    m = trace.t >= trace.calibration_end_s
    t = trace.t[m].tolist()
    counts = trace.counts[m].tolist()
    detected, secs = run_detector(module, cal, settings, t, counts)
    pairs = match(trace.reps, detected)
    agree = 0
    for i, j in pairs:
        truth = trace.reps[i].kind != "weak" and trace.reps[i].hold_s >= hold_s - 1e-9
        agree += bool(getattr(detected[j], "success", False)) == truth
    return Score(true=len(trace.reps), detected=len(detected), matched=len(pairs), success_agree=agree,
                 samples=len(t), seconds=secs)


# ------------------------------------------------------------------ the run
def cases(level: str) -> list[tuple[str, str, tuple[str, ...], str, int]]:
    """(group, exercise, realities, sensor kind, seed) for every profile of a run level."""
    from hardware.sensor_physics import EXERCISES, REALITIES, SENSOR_KINDS

    lv = LEVELS[level]
    out = []
    for ex in EXERCISES:
        # Taps that never open the hand are a finger press's movement; in a power grip
        # ("squeeze, then a full release") or a pinch they are one held effort, so they
        # are reported on their own line, outside the exercise and overall figures.
        slow = ex in ("power_grip", "pinch")
        for reality in REALITIES:
            for seed in range(lv["seeds"]):
                group = "other" if slow and reality == "fast_tapping" else "reality"
                out.append((group, ex, (reality,), "fsr_divider", seed))
        for combo in COMBOS:
            for seed in range(lv["combo_seeds"]):
                out.append(("other" if slow and "fast_tapping" in combo else "combo", ex, combo, "fsr_divider",
                            100 + seed))
        if ex == "finger_flexion":  # more quick presses for their own line
            for seed in range(lv["quick_seeds"]):
                out.append(("quick", ex, ("fast_tapping",), "fsr_divider", 300 + seed))
        for kind in SENSOR_KINDS[1:]:
            for reality in OTHER_SENSOR_REALITIES:
                for seed in range(lv["sensor_seeds"]):
                    out.append(("sensor", ex, (reality,), kind, 200 + seed))
    return out


def run(level: str = "full", *, progress: bool = True) -> dict:
    from game.therapy import force_reps as current
    from hardware.sensor_physics import EXERCISES, REALITIES, make_profile

    settings = exercise_settings()
    baseline, baseline_status = load_baseline()
    base_settings = {ex: settings_for(baseline, s) for ex, s in settings.items()} if baseline else {}
    lv = LEVELS[level]
    detectors = {"current": (current, settings)}
    if baseline is not None:
        detectors[BASELINE_COMMIT] = (baseline, base_settings)
    scores: dict[str, dict[str, Score]] = {name: {} for name in detectors}
    t_start = time.perf_counter()
    all_cases = cases(level)
    for n, (group, ex, realities, kind, seed) in enumerate(all_cases):
        from hardware.sensor_physics import SensorSpec

        s = settings[ex]
        trace = make_profile(ex, realities if len(realities) > 1 else realities[0], seed, n_reps=lv["n_reps"],
                             sensor=SensorSpec(kind=kind), target_pct=s.target_pct)
        names = list(detectors)
        if n % 2:
            names.reverse()  # neither detector always runs on a warm cache
        for name in names:
            module, sets = detectors[name]
            sc = score_profile(trace, module, sets[ex], s.hold_s)
            keys = [f"{group}|{ex}|{'+'.join(realities)}|{kind}"]
            if group == "reality":
                keys += [f"exercise|{ex}", f"reality|{realities[0]}", "overall"]
                if ex == "finger_flexion" and realities == ("fast_tapping",):
                    keys.append("quick_presses")
            elif group == "quick":
                keys.append("quick_presses")
            elif group == "combo":
                keys.append(f"combo|{'+'.join(realities)}")
            elif group == "other":
                keys = [f"other|{ex}|{'+'.join(realities)}"]  # not this exercise's movement: its own line only
            else:
                keys.append(f"sensor|{kind}")
            keys.append("all_profiles")
            for k in keys:
                scores[name].setdefault(k, Score()).add(sc)
        if progress and (n + 1) % 40 == 0:
            print(f"  {n + 1}/{len(all_cases)} profiles, {time.perf_counter() - t_start:.0f} s", flush=True)

    def dump(name: str) -> dict:
        sc = scores[name]
        allp = sc["all_profiles"]
        return {
            "overall": sc["overall"].as_dict(),
            "quick_presses": sc["quick_presses"].as_dict(),
            "by_exercise": {ex: sc[f"exercise|{ex}"].as_dict() for ex in EXERCISES},
            "by_reality": {r: sc[f"reality|{r}"].as_dict() for r in REALITIES},
            "combos": {"+".join(c): sc[f"combo|{'+'.join(c)}"].as_dict() for c in COMBOS if f"combo|{'+'.join(c)}" in sc},
            "sensors": {k: sc[f"sensor|{k}"].as_dict() for k in ("load_cell_hx711", "air_pressure")},
            "by_case": {f"{ex}|{r}": sc[f"reality|{ex}|{r}|fsr_divider"].as_dict()
                        for ex in EXERCISES for r in REALITIES if f"reality|{ex}|{r}|fsr_divider" in sc},
            "other_movement": {k.split("|", 1)[1]: v.as_dict() for k, v in sc.items() if k.startswith("other|")},
            "all_profiles": allp.as_dict(),
            "us_per_sample": allp.seconds / allp.samples * 1e6 if allp.samples else None,
            "samples": allp.samples,
        }

    import hashlib

    src = Path(current.__file__).read_bytes()
    res = {
        "level": level,
        "detector_source_sha1": hashlib.sha1(src).hexdigest()[:12],  # the working-tree force_reps.py measured
        "target_f1": TARGET_F1,
        "profiles": len(all_cases),
        "true_reps": scores["current"]["all_profiles"].true,
        "true_reps_main_table": scores["current"]["overall"].true,
        "settings": {ex: dataclasses.asdict(s) for ex, s in settings.items()},
        "level_file": str(LEVEL_FILE.relative_to(ROOT)),
        "current": dump("current"),
        "baseline_commit": BASELINE_COMMIT,
        "baseline_status": baseline_status,
        "baseline": dump(BASELINE_COMMIT) if baseline is not None else None,
        "seconds": time.perf_counter() - t_start,
    }
    return res


# ------------------------------------------------------------------ printing
def _row(label: str, d: dict) -> str:
    agree = "-" if d["success_agreement"] is None else f"{d['success_agreement']:.3f}"
    return (f"{label:<44} {d['true']:>5} {d['detected']:>5} {d['matched']:>5} {d['precision']:>6.3f} "
            f"{d['recall']:>6.3f} {d['f1']:>6.3f} {agree:>7}")


def print_table(res: dict) -> None:
    cur = res["current"]
    print(f"rep detection on sensor-physics profiles ({res['level']}; force_reps.py sha1 "
          f"{res.get('detector_source_sha1', '?')}): {res['profiles']} profiles, "
          f"{res['true_reps']} true reps ({res['true_reps_main_table']} in the exercise x reality table); "
          f"settings from {res['level_file']}")
    for ex, s in res["settings"].items():
        print(f"  {ex}: target {s['target_pct']:g}% MVC, hold {s['hold_s']:g} s, start_confirm {s['start_confirm_s']:g} s, "
              f"end_confirm {s['end_confirm_s']:g} s, min_rep {s['min_rep_s']:g} s, min_gap {s['min_gap_s']:g} s")
    head = f"{'':<44} {'true':>5} {'det':>5} {'match':>5} {'prec':>6} {'recall':>6} {'F1':>6} {'success':>7}"
    print("\n" + head)
    print("-- by exercise (FSR divider, every reality)")
    for ex, d in cur["by_exercise"].items():
        print(_row(ex, d))
    print("-- by reality (FSR divider, every exercise)")
    for r, d in cur["by_reality"].items():
        print(_row(r, d))
    print("-- combinations (FSR divider, every exercise)")
    for c, d in cur["combos"].items():
        print(_row(c, d))
    print("-- other sensors (" + ", ".join(OTHER_SENSOR_REALITIES) + "; every exercise)")
    for k, d in cur["sensors"].items():
        print(_row(k, d))
    print("--")
    print(_row("OVERALL (exercise x reality table)", cur["overall"]) + f"   target F1 >= {res['target_f1']}")
    print(_row("QUICK PRESSES (finger_flexion, fast_tapping)", cur["quick_presses"]) + f"   target F1 >= {res['target_f1']}")
    print(_row("every profile", cur["all_profiles"]))
    if cur.get("other_movement"):
        print("-- not the exercise's movement (taps that never open the hand, in power grip and pinch: "
              "one held effort by the exercise's own rule; reported, not scored above)")
        for k, d in cur["other_movement"].items():
            print(_row(k.replace("|", " / "), d))
    under = [(k, d) for k, d in cur["by_case"].items() if d["f1"] < res["target_f1"]]
    if under:
        print(f"-- exercise x reality cases under F1 {res['target_f1']}")
        for k, d in under:
            print(_row(k.replace("|", " / "), d))
    print("success = detected success equals the truth's (strong and held = success; weak = failure), over matched reps")
    cost = f"detector cost: current {cur['us_per_sample']:.2f} us/sample over {cur['samples']:,} samples"
    if res["baseline"] is not None:
        b = res["baseline"]
        cost += f"; {res['baseline_commit']} {b['us_per_sample']:.2f} us/sample (same run, same samples)"
        print(cost)
        print(f"{res['baseline_commit']} for comparison: " + _row("overall", b["overall"]).split(None, 1)[1].strip()
              + f"; quick presses F1 {b['quick_presses']['f1']:.3f}")
    else:
        print(cost)
        print(f"comparison with {res['baseline_commit']} skipped: {res['baseline_status']}")


def save(res: dict, path: Path) -> None:
    """Into the suite's results file as the part "detection" (other parts kept), summary redone."""
    from benchmarks.run_all import summary_rows

    saved = json.loads(path.read_text()) if path.exists() else {"level": res["level"], "parts": {}}
    saved.setdefault("parts", {})["detection"] = res
    ok_parts = {n: r for n, r in saved["parts"].items() if "failed" not in r}
    saved["summary"] = summary_rows(ok_parts, saved.get("level", res["level"]))
    path.write_text(json.dumps(saved, indent=1, default=float))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--quick", action="store_const", dest="level", const="quick", help="one seed per case")
    how.add_argument("--smoke", action="store_const", dest="level", const="smoke", help="a few reps per case")
    ap.set_defaults(level="full")
    ap.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results.json",
                    help="results file to put the figures in (part 'detection'); default benchmarks/results.json")
    ap.add_argument("--no-save", action="store_true", help="print only")
    ns = ap.parse_args(argv)
    res = run(ns.level)
    print_table(res)
    if not ns.no_save:
        save(res, ns.json)
        print(f"figures written to {ns.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
