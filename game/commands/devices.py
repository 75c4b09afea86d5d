"""``main.py devices | monitor | replay``: tools for makers and therapists setting up a ball.

``devices`` lists the serial ports and what was detected on each; ``monitor``
shows live force from a ball and prints each rep it detects; ``replay`` runs a
recorded trace through the same detector. Force is judged in %MVC from
``--baseline``/``--mvc`` (device units), else the patient's stored calibration,
else an estimate from the signal itself (rest from the quiet stretches, MVC
from the strongest 250 ms).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from game.cli import subcommand
from game.i18n import N_, _


# ------------------------------------------------------------------ devices
def _add_devices(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-probe", action="store_true", help=_("only list the ports; do not open them"))
    p.add_argument("--all", action="store_true", help=_("probe every port, not only known USB-serial bridges"))
    p.add_argument("--baud", type=int, default=None, help=_("baud rate to probe at (default: 115200, then 9600)"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))


@subcommand("devices", N_("list serial ports and what was detected on each (finds a squeeze ball)"))(_add_devices)
def run_devices(ns: argparse.Namespace) -> int:
    from hardware.discovery import describe_ports, list_ports, probe
    from hardware.line_formats import load_profile, shipped_profiles
    from hardware.serial_ball import AUTO_BAUDS

    try:
        ports = list_ports()
    except Exception as exc:  # noqa: BLE001
        print(f"main.py devices: cannot list serial ports: {exc}", file=sys.stderr)
        return 1
    results = {}
    if not ns.no_probe:
        bauds = (ns.baud,) if ns.baud else AUTO_BAUDS
        for p in ports:
            if p.bridge is not None or ns.all:
                results[p.device] = probe(p.device, bauds=bauds)
    rows = describe_ports(ports, results)
    profiles = [{"name": path.stem, "title": load_profile(path).name} for path in shipped_profiles()]
    if ns.json:
        print(json.dumps({"ports": rows, "profiles": profiles}, indent=2))
        return 0
    if not rows:
        print(_("No serial ports. Plug the ball in with a USB data cable (some cables only charge)."))
    for r in rows:
        kind = f"{r['bridge']} ({r['usb_id']})" if r["bridge"] else (r["usb_id"] or "not a USB bridge")
        print(f"{r['port']}: {r['description'] or '-'} [{kind}]")
        if r["detected"]:
            print(f"    {r['detected']}")
    print("\n" + _("Device profiles (--profile NAME):"))
    for pr in profiles:
        print(f"  {pr['name']}: {pr['title']}")
    return 0


# ------------------------------------------------------------------ shared
def _add_calibration_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", type=float, help=_("rest level in device units"))
    p.add_argument("--mvc", type=float, help=_("strongest squeeze in device units above the rest level"))
    p.add_argument("--patient", help=_("use this patient's stored calibration (number or name)"))
    p.add_argument("--hand", default="right", choices=("left", "right"), help=_("the hand (default right)"))
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help=_("folder of the records database (default: the user's data folder)"))
    p.add_argument("--exercise", default=None,
                   help=_("the exercise whose counting rules to use (power_grip, pinch, finger_flexion, "
                        "finger_squeeze; default power_grip), or with --level the exercise's number or name "
                        "in that file"))
    p.add_argument("--level", type=Path, default=None,
                   help=_("a level file: use its exercise's target, hold and counting rules"))
    p.add_argument("--target", type=float, default=None, help=_("target in %%MVC for success (default 20)"))
    p.add_argument("--hold", type=float, default=None, help=_("hold time in seconds (default: the exercise's)"))
    p.add_argument("--json", action="store_true", help=_("print each rep as a JSON line, then a summary"))


def _given_calibration(ns: argparse.Namespace) -> tuple[Any, str] | None:
    """From --baseline/--mvc, or the patient's stored calibration; None means estimate."""
    from game.therapy.calibration import Calibration

    if ns.mvc is not None or ns.baseline is not None:
        if ns.mvc is None or ns.baseline is None:
            raise ValueError("give both --baseline and --mvc (device units), or neither")
        if ns.mvc <= 0:
            raise ValueError(f"--mvc must be above zero (it is counted above the rest level), got {ns.mvc}")
        return Calibration(baseline=ns.baseline, mvc=ns.mvc), "given on the command line"
    if ns.patient:
        from game.scenes.calibrate import stored_calibration
        from game.records.storage import DB_NAME, Store, default_data_dir

        path = Path(getattr(ns, "data_dir", None) or default_data_dir()) / DB_NAME
        if not path.exists():
            raise ValueError(f"no records at {path}; give --data-dir or --baseline and --mvc")
        store = Store(path)
        try:
            row = None
            if ns.patient.isdigit():
                row = store.db.execute("SELECT id, name FROM patients WHERE id=?", (int(ns.patient),)).fetchone()
            if row is None:
                row = store.db.execute("SELECT id, name FROM patients WHERE name=? ORDER BY id LIMIT 1",
                                       (ns.patient,)).fetchone()
            if row is None:
                raise ValueError(f"no patient '{ns.patient}'")
            cal = stored_calibration(store, int(row["id"]), ns.hand)
        finally:
            store.close()
        if cal is None:
            raise ValueError(f"patient '{row['name']}' has no calibration for the {ns.hand} hand yet")
        return cal, f"{row['name']}'s {ns.hand} hand calibration"
    return None


def _settings(ns: argparse.Namespace) -> tuple[Any, str]:
    """The detector settings for --exercise / --level, and the exercise's name."""
    from dataclasses import replace

    from game.therapy.force_reps import EXERCISE_TIMINGS, ForceRepSettings

    overrides: dict[str, float] = {}
    prescribed: dict[str, float] = {}
    exercise = ns.exercise or "power_grip"
    if ns.level is None and exercise not in EXERCISE_TIMINGS:
        raise ValueError(f"--exercise must be one of {', '.join(EXERCISE_TIMINGS)} (the force exercises), "
                         f"got '{exercise}'")
    if ns.level is not None:
        from game.levels import LevelError, load_level

        loaded = load_level(ns.level)
        if not loaded.ok:
            raise ValueError(str(LevelError(loaded.problems)))
        force = [e for e in loaded.plan().exercises if e.exercise in EXERCISE_TIMINGS]
        if not force:
            raise ValueError(f"{ns.level} has no force exercise (replay and monitor count force reps)")
        if ns.exercise is None:
            chosen = force[0]
        elif ns.exercise.isdigit():
            plan = loaded.plan().exercises
            if not 1 <= int(ns.exercise) <= len(plan):
                raise ValueError(f"{ns.level} has {len(plan)} exercises; --exercise {ns.exercise} is not one of them")
            chosen = plan[int(ns.exercise) - 1]
            if chosen.exercise not in EXERCISE_TIMINGS:
                raise ValueError(f"exercise {ns.exercise} in {ns.level} is {chosen.exercise}, a rolling exercise")
        else:
            named = [e for e in force if e.exercise == ns.exercise]
            if not named:
                raise ValueError(f"{ns.level} has no {ns.exercise} exercise "
                                 f"(it has: {', '.join(e.exercise for e in force)})")
            chosen = named[0]
        exercise = chosen.exercise
        prescribed = {"target_pct": chosen.target_pct, "hold_s": chosen.hold_s,
                      "release_window_s": chosen.release_window_s}
        overrides = dict(chosen.detector)
    # As the game builds it: the prescription, then the exercise's own timings, then the file's detector block.
    settings = replace(ForceRepSettings(**prescribed), **EXERCISE_TIMINGS[exercise], **overrides)
    if ns.target is not None:
        settings = replace(settings, target_pct=ns.target)
    if ns.hold is not None:
        settings = replace(settings, hold_s=ns.hold)
    return settings, exercise


def _rep_line(rep: Any, units_note: str) -> str:
    ok = "success" if rep.success else f"not yet ({rep.failure.value.replace('_', ' ')})"
    return (f"rep {rep.number}: peak {rep.peak_pct:.1f} %MVC ({rep.peak_device:.0f} units), "
            f"hold {rep.hold_s:.2f} s, {ok}{units_note}")


# ------------------------------------------------------------------ replay
def _add_replay(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", type=Path, help=_("CSV with columns t (seconds) and force, optional roll_x, roll_y"))
    _add_calibration_args(p)


@subcommand("replay", N_("run a recorded force trace (CSV: t, force) through the rep detector and print the reps"))(
    _add_replay)
def run_replay(ns: argparse.Namespace) -> int:
    from hardware.sample import Sample
    from hardware.scripted import TraceFormatError, load_trace_csv

    try:
        trace = load_trace_csv(ns.trace)
        given = _given_calibration(ns)
        settings, exercise = _settings(ns)
    except (OSError, TraceFormatError, ValueError) as exc:
        print(f"main.py replay: {exc}", file=sys.stderr)
        return 2
    live = LiveReps(settings, given[0] if given else None)
    source = given[1] if given else "estimated from the trace, from its first credible squeeze on"
    reps = live.feed([Sample(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in trace])
    cal = live.calibration
    summary = {"type": "summary", "exercise": exercise, "reps": len(reps), "successes": sum(r.success for r in reps),
               "target_pct": settings.target_pct, "hold_s": settings.hold_s,
               "calibration": source if cal is not None else "waiting for a first squeeze",
               "baseline": cal.baseline if cal else None, "mvc": cal.mvc if cal else None,
               "rest_now": live.det.baseline if live.det else None,
               "dropped_samples": live.det.dropped_samples if live.det else 0,
               "samples": len(trace), "seconds": float(trace[-1, 0] - trace[0, 0]) if len(trace) else 0.0}
    if ns.json:
        for rep in reps:
            print(json.dumps({"type": "rep", "exercise": exercise, **rep.as_record()}))
        print(json.dumps(summary))
        return 0
    print(f"{ns.trace}: {len(trace)} samples over {summary['seconds']:.1f} s, counted as {exercise} "
          f"(target {settings.target_pct:g}%, hold {settings.hold_s:g} s)")
    if cal is None:
        print("Waiting for a first squeeze: none was seen (a squeeze must rise well above the rest noise and "
              "come back down), so no reps are counted. Give --baseline and --mvc, or --patient, to count "
              "without one.")
        return 0
    print(f"rest {cal.baseline:.1f}, MVC {cal.mvc:.1f} device units ({source})")
    for rep in reps:
        print(_rep_line(rep, ""))
    if live.det.dropped_samples:
        print(f"{live.det.dropped_samples} readings no hand could make (read failures) were skipped")
    print(f"{len(reps)} reps, {sum(r.success for r in reps)} reached the {settings.target_pct:g}% target")
    return 0


# ------------------------------------------------------------------ monitor
def _add_monitor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", default="auto",
                   help=_("auto (default), a port (COM3, /dev/ttyACM0, /dev/cu.usbmodem1101) or a pyserial URL"))
    p.add_argument("--baud", type=int, default=None, help=_("baud rate (default: try 115200, then 9600)"))
    p.add_argument("--profile", default=None, help=_("device profile name or YAML file"))
    p.add_argument("--seconds", type=float, default=None, help=_("stop after this many seconds (default: Ctrl-C)"))
    _add_calibration_args(p)


class LiveReps:
    """Rep detection on a stream, with an honest calibration estimate when none is given.

    Without a calibration nothing is counted until a credible first squeeze
    (:class:`FirstSqueezeEstimate`); the samples up to it are kept and then
    counted, so that squeeze is rep 1. A stronger squeeze later raises MVC for
    the reps after it; a rep once reported is never changed or taken back.
    """

    KEEP_S = 60.0  # samples kept while waiting for the first squeeze

    def __init__(self, settings: Any, given: Any = None) -> None:
        from game.therapy.calibration import FirstSqueezeEstimate
        from game.therapy.force_reps import ForceRepDetector

        self.settings = settings
        self.estimate = None if given is not None else FirstSqueezeEstimate()
        self.det = ForceRepDetector(given, settings) if given is not None else None
        self.waiting: list[Any] = []
        self.last_force: float | None = None

    @property
    def calibration(self) -> Any:
        return self.det.calibration if self.det is not None else None

    def feed(self, samples: list[Any]) -> list[Any]:
        from game.therapy.force_reps import ForceRepDetector

        if samples:
            self.last_force = samples[-1].force
        if self.estimate is None:
            return self.det.feed(samples)
        reps: list[Any] = []
        for s in samples:
            cal = self.estimate.add(s.t, s.force)
            if self.det is None:
                self.waiting.append(s)
                if cal is not None:
                    self.det = ForceRepDetector(cal, self.settings)
                    reps += self.det.feed(self.waiting)
                    self.waiting = []
                elif s.t - self.waiting[0].t > self.KEEP_S:
                    del self.waiting[: len(self.waiting) // 4]
                continue
            if cal is not None:
                self.det.recalibrate(cal)
            rep = self.det.step(s.t, s.force)
            if rep is not None:
                reps.append(rep)
        return reps

    @property
    def level_pct(self) -> float | None:
        return self.det.level_pct if self.det is not None else None

    def view(self) -> str:
        """The detector's view, for a maker: where rest is, where a rep starts and ends."""
        d = self.det
        if d is None:
            return "waiting for a first squeeze (squeeze hard once, then let go)"
        cal = d.calibration
        dev = cal.to_device
        return (f"rest {d.baseline:.0f}, starts above {dev(d.start_at_pct):.0f}, "
                f"ends below {dev(d.end_at_pct):.0f} ({d.state.replace('_', ' ')})")


@subcommand("monitor", N_("show live force from a ball and print each rep it detects"))(_add_monitor)
def run_monitor(ns: argparse.Namespace) -> int:
    from hardware.clock import SystemClock
    from hardware.discovery import KeyboardFallback, open_ball
    from hardware.line_formats import ProfileError, load_profile
    from hardware.source import SourceStatus

    try:
        given = _given_calibration(ns)
        settings, _exercise = _settings(ns)
        prof = load_profile(ns.profile) if ns.profile else None
    except (ValueError, ProfileError) as exc:
        print(f"main.py monitor: {exc}", file=sys.stderr)
        return 2
    clock = SystemClock()
    src = open_ball(ns.input, clock, baud=ns.baud, profile=prof)
    if isinstance(src, KeyboardFallback):
        print(f"main.py monitor: {src.reason} Plug the ball in, or name its port with --input "
              "(see `main.py devices`).", file=sys.stderr)
        return 1
    live = LiveReps(settings, given[0] if given else None)
    out = sys.stdout
    end = None if ns.seconds is None else time.monotonic() + ns.seconds
    last_show = 0.0
    last_status = None
    try:
        src.start()  # inside: a Ctrl+C from here on still closes the ball and prints the summary
        while end is None or time.monotonic() < end:
            time.sleep(0.05)  # a terminal tool: the serial thread does the waiting for data
            for rep in live.feed(src.poll()):
                if ns.json:
                    out.write(json.dumps({"type": "rep", **rep.as_record()}) + "\n")
                else:
                    out.write(_rep_line(rep, "") + "\n")
                out.flush()
            if src.status is not last_status:
                last_status = src.status
                if not ns.json:
                    out.write(f"[{src.status.value}] {src.status_message}\n")
            now = time.monotonic()
            if not ns.json and now - last_show >= 0.5 and src.status is SourceStatus.CONNECTED:
                last_show = now
                snap = src.snapshot()
                lvl = live.level_pct
                raw = f"{live.last_force:.0f}" if live.last_force is not None else "-"
                force = f"{lvl:5.1f} %MVC" if lvl is not None else "    -    "
                bar = "#" * max(0, min(40, round((lvl or 0) / 2.5)))
                out.write(f"reading {raw:>6} = {force} |{bar:<40}| {live.view()}; {snap.rate_hz:4.0f} Hz, "
                          f"dropped {snap.dropped_total}\n")
                out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        src.close()
    # The summary always counts every line: readings, and the dropped ones by reason.
    snap = src.snapshot()
    if ns.json:
        out.write(json.dumps({"type": "summary", **snap.as_dict(), "status": src.status_message}) + "\n")
    else:
        dropped = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(snap.dropped.items())) or "none"
        out.write(f"{snap.lines_seen} lines seen, {snap.lines_ok} readings ({snap.format or 'no format found'}"
                  f"{'; ' + snap.force if snap.force else ''}), dropped: {dropped}\n")
        if snap.problem:
            out.write(f"problem: {src.status_message}\n")
    return 0
