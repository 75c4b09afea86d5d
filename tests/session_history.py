"""Two weeks of a patient's records made by the REAL session code: every rep is a
simulated hand's force (or roll) through the game's detector, every target and hold
time is what the real :class:`~game.session.SessionRunner` and its difficulty
controllers chose, every difficulty change is one the runner logged. The records are
written through the Store's own methods, as the session and play scenes write them,
with a provenance for each session and rep (deterministic: seeded, injected clock).

The input varies as it does at home: a ball most days, the keyboard on one day, the
keyboard standing in for an unplugged ball for part of another, and a second ball,
weight-calibrated at the clinic, near the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from game.levels import load_level
from game.records.provenance import Provenance, program_version
from game.session import RatingStep, RestStep, SessionRunner, SetStep, SummaryStep
from game.records.storage import RepRow, Store
from game.therapy.patient_sim import MEDIUM, ROLL_MEDIUM, Simulation, _roll_set

START = datetime(2026, 3, 2, 9, 30).timestamp()  # local time: days fall on local calendar days
DAY = 86400.0

FORCE_LEVEL = """\
name: Home grip and pinch
hand: either
defaults:
  sets: 2
  reps: 8
  rest_s: 40
exercises:
  - exercise: power_grip
  - exercise: pinch
    target_pct: 15
    hold_s: 1
"""
ROLL_LEVEL = """\
name: Home thumb rolling
hand: either
warmup: false
defaults:
  sets: 2
  reps: 8
  rest_s: 30
exercises:
  - exercise: thumb_flex_ext
"""
BALL = "Squeeze ball"
BALL_ID = "/dev/ttyACM0 (USB 2341:0043 serial 75630313536351F0E1A1)"
CLINIC_BALL = "Clinic load-cell ball"


@dataclass
class SessionHistory:
    store: Store
    patient_id: int
    wall: list[float]
    reps: int = 0
    session_ids: list[int] = field(default_factory=list)
    keyboard_session: int | None = None
    unplugged_session: int | None = None
    kinds: dict[int, set[str]] = field(default_factory=dict)  # session -> input kinds of its reps


def build_session_history(folder: Path, *, days: int = 14, skip: tuple[int, ...] = (3, 8), seed: int = 7,
                          keyboard_day: int = 5, unplug_day: int = 10, clinic_day: int = 12,
                          name: str = "Ann") -> SessionHistory:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    force_file, roll_file = folder / "home_grip.yaml", folder / "home_roll.yaml"
    force_file.write_text(FORCE_LEVEL)
    roll_file.write_text(ROLL_LEVEL)
    force_plan = load_level(force_file).plan()
    roll_plan = load_level(roll_file).plan()
    wall = [START]
    store = Store.in_dir(folder, wall=lambda: wall[0], background=False)
    pid = store.ensure_patient(name, "left")
    h = SessionHistory(store, pid, wall)
    model = replace(MEDIUM, learning_per_day=0.03)
    sim = Simulation(model, force_plan, seed=seed, keep_trace=False)
    roll_states: dict = {}
    cal = model.calibration()

    def ball_prov(plan_file: Path, cal_id: int | None, device: str = BALL, device_id: str | None = BALL_ID,
                  units: str = "device units", scale: float | None = None) -> Provenance:
        basis = f"rest from calibration #{cal_id}, strongest squeeze the median of the last three"
        if scale is not None:
            basis += f"; weight-calibrated: {scale:.4g} {units} per device unit"
        return Provenance("ball", device, device_id, "squeeze-ball 1.2", "squeeze_ball", None, cal_id, basis,
                          units, scale, str(plan_file), program_version(plan_file), False)

    cal_id = None
    for day in range(days):
        if day in skip:
            continue
        wall[0] = START + day * DAY
        if day in (0, 7):
            cal_id = store.save_calibration(pid, "left", baseline=cal.baseline, mvc=cal.mvc * (1 + 0.02 * day),
                                            noise_sd=cal.noise_sd, device=BALL)
        if day == clinic_day:
            # A second ball at the clinic, calibrated against known weights: kg, on its own axis.
            store.save_calibration(pid, "left", baseline=512.0, mvc=1900.0, noise_sd=2.0, units="kg", scale=0.0105,
                                   device=CLINIC_BALL)
        if day == keyboard_day:
            prov = Provenance("keyboard", "Keyboard", calibration_basis="the keyboard's own effort scale (no sensor)",
                              program_file=str(force_file), program_version=program_version(force_file))
        elif day == clinic_day:
            prov = ball_prov(force_file, store.calibrations(pid, "left", limit=1)[0]["id"], CLINIC_BALL,
                             "/dev/ttyUSB0 (USB 1A86:7523)", "kg", 0.0105)
        else:
            prov = ball_prov(force_file, cal_id)
        run = sim.run_session(day)
        stand_in = None
        if day == unplug_day:  # the ball was unplugged during pinch set 2: the keyboard played those reps
            stand_in = prov.with_input("keyboard", f"Keyboard (standing in for {BALL})")
        sid = _record(store, wall, pid, run, prov, force_file, mvc=cal.mvc if prov.input_kind == "ball" else None,
                      stand_in=stand_in, stand_in_set=("pinch", 2))
        h.session_ids.append(sid)
        h.reps += len(run.reps)
        if day == keyboard_day:
            h.keyboard_session = sid
        if day == unplug_day:
            h.unplugged_session = sid
        if day % 2 == 0:  # the rolling routine every other day, after a break
            wall[0] = START + day * DAY + 3 * 3600
            run = _roll_session(roll_plan, roll_states, seed, day)
            sid = _record(store, wall, pid, run, ball_prov(roll_file, cal_id), roll_file, mvc=None, rolling=True)
            h.session_ids.append(sid)
            h.reps += len(run.reps)
    store.flush()
    for sid in h.session_ids:
        rows = store.db.execute("SELECT DISTINCT p.input_kind FROM reps r JOIN provenance p ON p.uid = r.provenance_uid "
                                "WHERE r.session_id=?", (sid,)).fetchall()
        h.kinds[sid] = {r[0] for r in rows}
    return h


def _roll_session(plan, states: dict, seed: int, day: int):
    """A rolling session with the runner's log kept (as simulate_rolling, plus the log)."""
    import numpy as np

    from game.therapy.patient_sim import SessionRun

    rng = np.random.default_rng([seed, day, 99])
    clock = [0.0]
    events: list = []
    runner = SessionRunner(plan, states={k: replace(v) for k, v in states.items()},
                           log=lambda kind, detail: events.append((clock[0], kind, detail)))
    rr = ROLL_MEDIUM.roll_range(rng)
    reps: list = []
    while True:
        step = runner.next_step(clock[0])
        if isinstance(step, SummaryStep):
            runner.summary_shown()
            break
        if isinstance(step, RatingStep):
            clock[0] += 8.0
            runner.rated(step.when, 1, 2 + (day % 3), clock[0])
        elif isinstance(step, RestStep):
            clock[0] += step.seconds
        elif isinstance(step, SetStep):
            clock[0] = _roll_set(ROLL_MEDIUM, step, runner, rr, rng, clock[0], reps)
    states.clear()
    states.update({k: replace(v) for k, v in runner.states().items()})
    return SessionRun(patient=ROLL_MEDIUM.name, day=day, summary=runner.summary(clock[0]), reps=reps, events=events,
                      trace_t=np.zeros(0), trace_pct=np.zeros(0), states=dict(states), budget_s=runner.budget_s)


def _record(store: Store, wall: list[float], pid: int, run, prov: Provenance, plan_file: Path, *,
            mvc: float | None, stand_in: Provenance | None = None,
            stand_in_set: tuple[str, int] | None = None, rolling: bool = False) -> int:
    """Write one simulated session as the session and play scenes do."""
    t0 = wall[0]
    sid = store.start_session(pid, input_device=prov.device_name, level=str(plan_file), app_version="test",
                              provenance=prov)
    if mvc is not None:
        store.start_trace(sid, {"calibration": {"baseline": 60.0, "mvc": mvc}})
    before = run.summary.ratings.get("before")
    if before:
        store.rate_session(sid, pain_before=before["pain"], fatigue_before=before["fatigue"])
    reps = sorted(run.reps, key=lambda r: r.t)
    events = sorted(run.events, key=lambda e: e[0])
    ei = 0
    numbers: dict[tuple[str, int], int] = {}
    for rep in reps:
        key = (rep.exercise, rep.set_number)
        numbers[key] = numbers.get(key, 0) + 1
        while ei < len(events) and events[ei][0] <= rep.t:
            _event(store, sid, wall, t0, events[ei])
            ei += 1
        wall[0] = t0 + rep.t
        m = {"success": rep.success, "failure": rep.failure, "target_pct": rep.target_before,
             "hold_target_s": rep.hold_s, "difficulty_before": rep.target_before,
             "difficulty_after": rep.target_after}
        if rolling:
            m["roll_range"] = rep.peak_pct
        else:
            m["peak_pct"] = rep.peak_pct
            if mvc is not None:
                m["peak_device"] = 60.0 + rep.peak_pct / 100.0 * mvc
        own = stand_in if stand_in is not None and (rep.exercise, rep.set_number) == stand_in_set else None
        store.add_rep(sid, RepRow(rep.exercise, "left", rep.set_number, numbers[key], m), provenance=own)
    for e in events[ei:]:
        _event(store, sid, wall, t0, e)
    wall[0] = t0 + run.summary.elapsed_s
    after = run.summary.ratings.get("after")
    if after:
        store.rate_session(sid, pain_after=after["pain"], fatigue_after=after["fatigue"])
    store.end_session(sid, {"pain": "stopped_pain"}.get(run.summary.end_reason, run.summary.end_reason))
    return sid


def _event(store: Store, sid: int, wall: list[float], t0: float, event: tuple) -> None:
    t, kind, detail = event
    wall[0] = t0 + t
    if kind == "difficulty_change":
        store.log_difficulty_change(sid, exercise=detail.get("exercise", ""), setting=detail["setting"],
                                    before=detail["before"], after=detail["after"], reason=detail["reason"],
                                    set_number=detail.get("set"), rep_number=detail.get("rep"))
    elif kind == "set_end":
        store.finish_set(sid, exercise=detail["exercise"], set_number=detail["set"], hand="left",
                         reps_target=detail.get("reps"))
    store.log_event(sid, kind, detail)
