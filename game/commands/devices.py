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


# ------------------------------------------------------------------ devices
def _add_devices(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-probe", action="store_true", help="only list the ports; do not open them")
    p.add_argument("--all", action="store_true", help="probe every port, not only known USB-serial bridges")
    p.add_argument("--baud", type=int, default=None, help="baud rate to probe at (default: 115200, then 9600)")
    p.add_argument("--json", action="store_true", help="print JSON")


@subcommand("devices", "list serial ports and what was detected on each (finds a squeeze ball)")(_add_devices)
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
        print("No serial ports. Plug the ball in with a USB data cable (some cables only charge).")
    for r in rows:
        kind = f"{r['bridge']} ({r['usb_id']})" if r["bridge"] else (r["usb_id"] or "not a USB bridge")
        print(f"{r['port']}: {r['description'] or '-'} [{kind}]")
        if r["detected"]:
            print(f"    {r['detected']}")
    print("\nDevice profiles (--profile NAME):")
    for pr in profiles:
        print(f"  {pr['name']}: {pr['title']}")
    return 0


# ------------------------------------------------------------------ shared
def _add_calibration_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", type=float, help="rest level in device units")
    p.add_argument("--mvc", type=float, help="strongest squeeze in device units above the rest level")
    p.add_argument("--patient", help="use this patient's stored calibration (number or name)")
    p.add_argument("--hand", default="right", choices=("left", "right"), help="the hand (default right)")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="folder of the records database (default: the user's data folder)")
    p.add_argument("--target", type=float, default=20.0, help="target in %%MVC for success (default 20)")
    p.add_argument("--hold", type=float, default=0.5, help="hold time in seconds (default 0.5)")
    p.add_argument("--json", action="store_true", help="print each rep as a JSON line")


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
        from game.storage import DB_NAME, Store, default_data_dir

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


def _settings(ns: argparse.Namespace) -> Any:
    from game.therapy.force_reps import ForceRepSettings

    return ForceRepSettings(target_pct=ns.target, hold_s=ns.hold)


def _rep_line(rep: Any, units_note: str) -> str:
    ok = "success" if rep.success else f"not yet ({rep.failure.value.replace('_', ' ')})"
    return (f"rep {rep.number}: peak {rep.peak_pct:.1f} %MVC ({rep.peak_device:.0f} units), "
            f"hold {rep.hold_s:.2f} s, {ok}{units_note}")


# ------------------------------------------------------------------ replay
def _add_replay(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", type=Path, help="CSV with columns t (seconds) and force, optional roll_x, roll_y")
    _add_calibration_args(p)


@subcommand("replay", "run a recorded force trace (CSV: t, force) through the rep detector and print the reps")(
    _add_replay)
def run_replay(ns: argparse.Namespace) -> int:
    from game.therapy.calibration import estimate_from_signal
    from game.therapy.force_reps import ForceRepDetector
    from hardware.sample import Sample
    from hardware.scripted import TraceFormatError, load_trace_csv

    try:
        trace = load_trace_csv(ns.trace)
        given = _given_calibration(ns)
    except (OSError, TraceFormatError, ValueError) as exc:
        print(f"main.py replay: {exc}", file=sys.stderr)
        return 2
    if given is None:
        cal, source = estimate_from_signal(trace[:, 0], trace[:, 1]), "estimated from the trace"
    else:
        cal, source = given
    det = ForceRepDetector(cal, _settings(ns))
    reps = det.feed([Sample(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in trace])
    if ns.json:
        for rep in reps:
            print(json.dumps({"type": "rep", **rep.as_record()}))
        print(json.dumps({"type": "summary", "reps": len(reps), "successes": sum(r.success for r in reps),
                          "baseline": cal.baseline, "mvc": cal.mvc, "calibration": source}))
        return 0
    print(f"{ns.trace}: {len(trace)} samples over {trace[-1, 0] - trace[0, 0]:.1f} s; "
          f"rest {cal.baseline:.1f}, MVC {cal.mvc:.1f} device units ({source})")
    for rep in reps:
        print(_rep_line(rep, ""))
    print(f"{len(reps)} reps, {sum(r.success for r in reps)} reached the {ns.target:g}% target")
    return 0


# ------------------------------------------------------------------ monitor
def _add_monitor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", default="auto", help="auto (default), a port (/dev/ttyACM0, COM3) or a pyserial URL")
    p.add_argument("--baud", type=int, default=None, help="baud rate (default: try 115200, then 9600)")
    p.add_argument("--profile", default=None, help="device profile name or YAML file")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    _add_calibration_args(p)


class LiveReps:
    """Rep detection on a live stream, with a calibration estimated as it goes when none is given."""

    def __init__(self, settings: Any, given: Any = None) -> None:
        self.settings = settings
        self.given = given
        self.samples: list[Any] = []
        self.cal = given
        self.det = None
        self.last_printed = float("-inf")
        self._next_estimate = 0.0

    def feed(self, samples: list[Any]) -> list[Any]:
        from game.therapy.calibration import estimate_from_signal
        from game.therapy.force_reps import ForceRepDetector

        if not samples:
            return []
        self.samples.extend(samples)
        del self.samples[:-60000]  # the last 10 minutes at 100 Hz are plenty to estimate from
        t_now = samples[-1].t
        if self.given is None and t_now >= self._next_estimate and len(self.samples) > 50:
            # Re-estimate every second; replay the stream only if MVC moved (a stronger squeeze came).
            self._next_estimate = t_now + 1.0
            import numpy as np

            t = np.array([s.t for s in self.samples])
            f = np.array([s.force for s in self.samples])
            new = estimate_from_signal(t, f)
            if self.cal is None or abs(new.mvc - self.cal.mvc) > 0.1 * self.cal.mvc:
                self.cal = new
                self.det = ForceRepDetector(new, self.settings)
                reps = self.det.feed(self.samples)
                return self._fresh(reps)
        if self.cal is None:
            return []
        if self.det is None:
            self.det = ForceRepDetector(self.cal, self.settings)
            return self._fresh(self.det.feed(self.samples))
        return self._fresh(self.det.feed(samples))

    def _fresh(self, reps: list[Any]) -> list[Any]:
        out = [r for r in reps if r.t_start > self.last_printed + 1e-9]
        if out:
            self.last_printed = out[-1].t_start
        return out

    @property
    def level_pct(self) -> float | None:
        if self.cal is None or not self.samples:
            return None
        return self.cal.to_pct(self.samples[-1].force)


@subcommand("monitor", "show live force from a ball and print each rep it detects")(_add_monitor)
def run_monitor(ns: argparse.Namespace) -> int:
    from hardware.clock import SystemClock
    from hardware.discovery import KeyboardFallback, open_ball
    from hardware.line_formats import ProfileError, load_profile
    from hardware.source import SourceStatus

    try:
        given = _given_calibration(ns)
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
    live = LiveReps(_settings(ns), given[0] if given else None)
    src.start()
    out = sys.stdout
    end = None if ns.seconds is None else time.monotonic() + ns.seconds
    last_show = 0.0
    last_status = None
    try:
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
                force = f"{lvl:5.1f} %MVC" if lvl is not None else "estimating MVC (squeeze hard once)"
                bar = "#" * max(0, min(40, round((lvl or 0) / 2.5)))
                out.write(f"force {force} |{bar:<40}| {snap.rate_hz:5.0f} Hz, "
                          f"dropped {snap.dropped_total}\n")
                out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        src.close()
    if ns.json:
        snap = src.snapshot()
        out.write(json.dumps({"type": "summary", "port": snap.port, "format": snap.format, "baud": snap.baud,
                              "lines": snap.lines_ok, "dropped": snap.dropped}) + "\n")
    return 0
