"""Replaying a logged session's raw sensor trace through the rep detector.

Every session stores the samples its detector saw, with the calibration and the
detector (and filter) settings it was played with. Running them through a fresh
detector gives the same reps again: a therapist or a maker can check a count,
and a changed detector can be compared with what the patient saw at the time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from game.therapy.calibration import Calibration
from game.therapy.force_reps import ForceRep, ForceRepDetector, ForceRepSettings
from hardware.sample import Sample

TRACE_FORMAT = 1


def trace_settings(calibration: Calibration, detector_settings: Any, *, exercise: str, hand: str) -> dict[str, Any]:
    """What a replay needs besides the samples (stored once per session)."""
    det = dataclasses.asdict(detector_settings) if dataclasses.is_dataclass(detector_settings) else {}
    return {
        "format": TRACE_FORMAT,
        "exercise": exercise,
        "hand": hand,
        "columns": ["t", "force", "roll_x", "roll_y"],
        "force_units": "device units",
        "calibration": {"baseline": calibration.baseline, "mvc": calibration.mvc, "noise_sd": calibration.noise_sd},
        "detector": det,
        "detector_kind": type(detector_settings).__name__,
        # Named on their own as well: the filters are what CLINICAL.md asks to record with the data.
        "filters": {"detect_cutoff_hz": det.get("detect_cutoff_hz"), "display_cutoff_hz": det.get("display_cutoff_hz")},
    }


@dataclass(frozen=True)
class ReplayResult:
    reps: list[ForceRep]
    logged: list[dict[str, Any]]
    samples: int
    duration_s: float

    @property
    def matches(self) -> bool:
        """The same reps, at the same times, with the same outcome as logged."""
        if len(self.reps) != len(self.logged):
            return False
        for rep, row in zip(self.reps, self.logged):
            if row.get("t_start") is None or abs(rep.t_start - row["t_start"]) > 0.02:
                return False
            if bool(rep.success) != bool(row.get("success")):
                return False
        return True


class ReplayError(ValueError):
    """A session that cannot be replayed; the message says why."""


def settings_from_logged_reps(logged: list[dict[str, Any]]) -> list[tuple[float, dict[str, float]]]:
    """The target and hold time each logged rep was judged against, as changes to
    apply after the rep before it ended (the game changes difficulty between reps)."""
    out: list[tuple[float, dict[str, float]]] = []
    prev_end = -np.inf
    for row in logged:
        change = {k: float(row[src]) for k, src in (("target_pct", "target_pct"), ("hold_s", "hold_target_s"))
                  if row.get(src) is not None}
        if change:
            out.append((prev_end, change))
        if row.get("t_end") is not None:
            prev_end = float(row["t_end"])
    return out


def replay_trace(trace: np.ndarray, settings: dict[str, Any], *, logged: list[dict[str, Any]] | None = None,
                 changes: list[tuple[float, dict[str, float]]] | None = None) -> ReplayResult:
    """Run a stored trace through a new force detector built from its stored settings.

    ``changes`` are (sample time, {setting: value}) pairs applied as the replay
    passes them, as the difficulty controller did during play; by default they
    come from the logged reps.
    """
    if settings.get("detector_kind") not in (None, "ForceRepSettings"):
        raise ReplayError(f"this session used a {settings['detector_kind']} detector; replay knows force reps only")
    cal = settings.get("calibration")
    if not cal:
        raise ReplayError("the session has no stored calibration, so its force cannot be turned into %MVC")
    if len(trace) == 0:
        raise ReplayError("the session has no stored sensor trace")
    known = {f.name for f in dataclasses.fields(ForceRepSettings)}
    det_settings = ForceRepSettings(**{k: v for k, v in (settings.get("detector") or {}).items() if k in known})
    detector = ForceRepDetector(Calibration(baseline=cal["baseline"], mvc=cal["mvc"], noise_sd=cal.get("noise_sd", 0.0)),
                                det_settings)
    if changes is None:
        changes = settings_from_logged_reps(list(logged or []))
    changes = sorted(changes, key=lambda c: c[0])
    reps: list[ForceRep] = []
    ci = 0
    for t, force, rx, ry in trace:
        while ci < len(changes) and changes[ci][0] <= t:
            detector.set_settings(dataclasses.replace(detector.settings, **changes[ci][1]))
            ci += 1
        rep = detector.step(float(t), float(force))
        if rep is not None:
            reps.append(rep)
    return ReplayResult(reps=reps, logged=list(logged or []), samples=len(trace),
                        duration_s=float(trace[-1, 0] - trace[0, 0]))


def samples_from_trace(trace: np.ndarray) -> list[Sample]:
    return [Sample(float(t), float(f), float(x), float(y)) for t, f, x, y in trace]
