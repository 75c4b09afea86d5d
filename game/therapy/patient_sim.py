"""Simulated patients: the difficulty controller and session runner proven without a person.

A :class:`PatientModel` turns each cue into a force trace the way a hand would:
a reaction delay, a rise to a peak (aimed a little above the target shown, but
capped by what the hand can repeat today, with trial-to-trial scatter), a hold
that sags, a release that can take seconds, 6-12 Hz tremor riding on the effort
and sensor noise in device units (so a weak hand, with a tenth of the MVC, has
ten times the noise in %MVC). Effort tires the hand; rest recovers it; each day
of practice adds a little capacity.

The trace goes, sample by sample at 100 Hz, through the REAL
:class:`~game.therapy.force_reps.ForceRepDetector`, and the reps it reports go
to the REAL :class:`~game.session.SessionRunner`. Nothing is decided here that
the game would decide. No display; a session takes a fraction of a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from game.program import SessionPlan
from game.session import RatingStep, RestStep, SessionRunner, SessionSummary, SetStep, SummaryStep
from game.therapy.calibration import Calibration
from game.therapy.difficulty import DifficultyState
from game.therapy.fatigue import FatigueSettings
from game.therapy.force_reps import ForceRepDetector
from game.therapy.roll_calibration import RollCalibrationRun
from game.therapy.roll_reps import RollRange, RollRepSettings, StrokeDetector
from hardware.sample import Sample
from hardware.traces import keyframe_curve

FS = 100.0
GAP_S = 0.5  # the patient waits at least this long after letting go before the next squeeze


@dataclass(frozen=True)
class PatientModel:
    name: str
    mvc: float  # device units above rest
    baseline: float = 60.0
    sensor_noise: float = 0.8  # device units, SD (the same sensor for every hand)
    tremor_hz: float = 8.0
    tremor_frac: float = 0.03  # tremor amplitude as a fraction of the effort
    capacity_pct: float = 35.0  # the peak this hand can repeat when fresh, %MVC
    aim_over: float = 1.2  # aims this far above the target shown
    peak_cv: float = 0.12  # trial-to-trial scatter of the peak (log-normal)
    rise_s: float = 0.5
    release_s: float = 0.5  # time to let go (paretic hands: ~5 s, Seo 2009)
    release_cv: float = 0.12
    reaction_s: float = 0.6
    hold_extra_s: float = 0.4  # keeps holding this long past the hold time asked
    hold_limit_s: float = math.inf  # cannot hold a squeeze longer than this (a strong but unsteady hand)
    droop_per_s: float = 0.02  # fraction of the force lost per second of holding
    fatigue_per_rep: float = 0.004  # capacity lost per rep at full capacity, per second of effort
    recovery_tau_s: float = 60.0  # rest recovers fatigue with this time constant
    fatigue_snowball: float = 0.0  # once tired, each rep tires the hand this much more (x fatigue)
    learning_per_day: float = 0.02  # capacity gained per day of practice
    pain: int = 1
    tiredness: int = 2

    def calibration(self) -> Calibration:
        """What the game's calibration of this hand would say."""
        return Calibration(baseline=self.baseline, mvc=self.mvc, noise_sd=self.sensor_noise)


STRONG = PatientModel("strong", mvc=600.0, capacity_pct=34.0, peak_cv=0.10, release_s=0.5, droop_per_s=0.01)
MEDIUM = PatientModel("medium", mvc=250.0, capacity_pct=27.0, peak_cv=0.13, release_s=1.5, droop_per_s=0.03,
                      tremor_frac=0.05, reaction_s=0.9)
WEAK = PatientModel("weak", mvc=60.0, capacity_pct=20.0, peak_cv=0.16, rise_s=1.0, release_s=5.0, droop_per_s=0.05,
                    tremor_frac=0.08, reaction_s=1.4, hold_extra_s=0.3)
FATIGUING = PatientModel("fatiguing", mvc=250.0, capacity_pct=30.0, peak_cv=0.10, release_s=1.0, droop_per_s=0.03,
                         fatigue_per_rep=0.012, fatigue_snowball=25.0, recovery_tau_s=90.0, tremor_frac=0.05)
PATIENTS: dict[str, PatientModel] = {p.name: p for p in (WEAK, MEDIUM, STRONG, FATIGUING)}


@dataclass(frozen=True)
class RepLog:
    """One rep as the harness saw it."""

    t: float
    exercise: str
    set_number: int
    rep: int  # number in the session (working reps only)
    target_before: float
    target_after: float
    hold_s: float
    cue_s: float
    peak_pct: float
    success: bool
    failure: str | None
    capacity_pct: float  # the hand's true capacity at that moment (the game never sees it)
    fatigue_flag: str | None


@dataclass
class SessionRun:
    patient: str
    day: int
    summary: SessionSummary
    reps: list[RepLog]
    events: list[tuple[float, str, dict]]
    trace_t: np.ndarray  # force over the session, decimated for plotting
    trace_pct: np.ndarray
    states: dict[str, DifficultyState]
    budget_s: float

    @property
    def running_success(self) -> list[float]:
        """Success rate over all working reps so far, after each rep."""
        out, ok = [], 0
        for i, r in enumerate(self.reps, 1):
            ok += r.success
            out.append(ok / i)
        return out

    def rests(self, reason: str | None = None) -> list[tuple[float, dict]]:
        return [(t, d) for t, k, d in self.events if k == "rest" and (reason is None or d["reason"] == reason)]


@dataclass
class _Hand:
    """The simulated hand's changing condition during a session."""

    model: PatientModel
    day: int
    fatigue: float = 0.0  # fraction of capacity lost

    @property
    def capacity(self) -> float:
        m = self.model
        return m.capacity_pct * (1.0 + m.learning_per_day * self.day) * (1.0 - self.fatigue)

    def recover(self, seconds: float) -> None:
        if seconds > 0:
            self.fatigue *= math.exp(-seconds / self.model.recovery_tau_s)

    def exert(self, peak_pct: float, seconds: float) -> None:
        fresh = self.model.capacity_pct * (1.0 + self.model.learning_per_day * self.day)
        m = self.model
        more = m.fatigue_per_rep * (peak_pct / fresh) * seconds * (1.0 + m.fatigue_snowball * self.fatigue)
        self.fatigue = min(0.7, self.fatigue + more)  # a tired hand still moves


@dataclass
class Simulation:
    """Runs one patient through sessions of a plan, deterministically for a seed."""

    model: PatientModel
    plan: SessionPlan
    seed: int = 0
    fatigue: FatigueSettings | None = None
    fatigue_guard: bool = True
    pacing: bool = True
    keep_trace: bool = True
    states: dict[str, DifficultyState] = field(default_factory=dict)

    def run_days(self, days: int) -> list[SessionRun]:
        return [self.run_session(day) for day in range(days)]

    def run_session(self, day: int = 0) -> SessionRun:
        rng = np.random.default_rng([self.seed, day, sum(map(ord, self.model.name))])
        m = self.model
        hand = _Hand(m, day)
        events: list[tuple[float, str, dict]] = []
        clock = [0.0]
        runner = SessionRunner(
            self.plan, states={k: replace(v) for k, v in self.states.items()}, fatigue=self.fatigue,
            log=lambda kind, detail: events.append((clock[0], kind, detail)),
            pacing=self.pacing, fatigue_guard=self.fatigue_guard,
        )
        cal = m.calibration()
        reps: list[RepLog] = []
        trace_t: list[np.ndarray] = []
        trace_pct: list[np.ndarray] = []
        while True:
            step = runner.next_step(clock[0])
            if isinstance(step, SummaryStep):
                runner.summary_shown()
                break
            if isinstance(step, RatingStep):
                clock[0] += 8.0
                hand.recover(8.0)
                pain = m.pain if step.when == "before" else m.pain + (1 if hand.fatigue > 0.3 else 0)
                runner.rated(step.when, pain, min(10, m.tiredness + round(hand.fatigue * 10)), clock[0])
            elif isinstance(step, RestStep):
                clock[0] += step.seconds
                hand.recover(step.seconds)
            elif isinstance(step, SetStep):
                self._play_set(step, runner, hand, cal, rng, clock, reps, trace_t, trace_pct)
        return SessionRun(
            patient=m.name, day=day, summary=runner.summary(clock[0]), reps=reps, events=events,
            trace_t=np.concatenate(trace_t) if trace_t else np.zeros(0),
            trace_pct=np.concatenate(trace_pct) if trace_pct else np.zeros(0),
            states=self._keep(runner), budget_s=runner.budget_s,
        )

    def _keep(self, runner: SessionRunner) -> dict[str, DifficultyState]:
        self.states = {k: replace(v) for k, v in runner.states().items()}
        return {k: replace(v) for k, v in self.states.items()}

    # ------------------------------------------------------------- a set
    def _play_set(self, step: SetStep, runner: SessionRunner, hand: _Hand, cal: Calibration,
                  rng: np.random.Generator, clock: list[float], reps: list[RepLog],
                  trace_t: list[np.ndarray], trace_pct: list[np.ndarray]) -> None:
        m = self.model
        runner.set_started(step, clock[0])
        detector = ForceRepDetector(cal, step.detector_settings())
        counted = 0
        attempts = 0
        cue = clock[0] + 1.0  # the first cue comes a second into the set
        t_free = clock[0]  # when the hand is free for the next squeeze
        ended = "completed"
        tremor_phase = rng.uniform(0, 2 * math.pi)
        while counted < step.reps and attempts < step.reps * 3:
            if runner.time_up(clock[0]):
                ended = "time_cap"
                break
            attempts += 1
            s = detector.settings
            target, hold = s.target_pct, s.hold_s
            cue_at = max(cue, t_free)
            start = cue_at + m.reaction_s * math.exp(rng.normal(0.0, 0.2))
            cap = hand.capacity
            reach = cap * math.exp(rng.normal(0.0, m.peak_cv))
            peak = min(target * m.aim_over * math.exp(rng.normal(0.0, m.peak_cv / 2)), reach)
            rise = m.rise_s * math.exp(rng.normal(0.0, 0.15))
            hold_for = min(hold + m.hold_extra_s * math.exp(rng.normal(0.0, 0.3)), m.hold_limit_s)
            sag = max(0.0, 1.0 - m.droop_per_s * hold_for * (1.0 + hand.fatigue))
            release = m.release_s * math.exp(rng.normal(0.0, m.release_cv))
            t1, t2 = start + rise, start + rise + hold_for
            t3 = t2 + release
            frames = [(start, 0.0), (t1, peak), (t2, peak * sag), (t3, 0.0)]
            seg_end = t3 + GAP_S
            t = np.arange(math.ceil(clock[0] * FS), math.ceil(seg_end * FS)) / FS
            effort = keyframe_curve(t, frames)
            wobble = m.tremor_frac * effort * np.sin(2 * np.pi * m.tremor_hz * t + tremor_phase)
            noise = rng.normal(0.0, m.sensor_noise, size=t.shape)
            device = cal.baseline + (effort + wobble) / 100.0 * cal.mvc + noise
            if self.keep_trace:
                trace_t.append(t[::5])
                trace_pct.append(((device - cal.baseline) / cal.mvc * 100.0)[::5])
            hand.exert(peak, rise + hold_for + release / 2)
            flag_reason = None
            cued = False
            for ti, f in zip(t.tolist(), device.tolist()):
                if not cued and ti >= cue_at - 1e-9:
                    detector.cue(ti)  # the game shows the cue: reaction time is measured from here
                    cued = True
                rep = detector.step(ti, f)
                if rep is None:
                    continue
                counted += 1
                res = runner.rep_done(step, success=rep.success, peak_pct=rep.peak_pct, target_pct=rep.target_pct,
                                      failure=rep.failure)
                detector.set_settings(s.with_target(res.difficulty_after))
                if not step.warmup:
                    reps.append(RepLog(ti, step.exercise.exercise, step.set_number, len(reps) + 1,
                                       res.difficulty_before, res.difficulty_after, rep.hold_target_s, step.cue_s,
                                       rep.peak_pct, rep.success, rep.failure.value if rep.failure else None,
                                       hand.capacity, res.fatigue.reason if res.fatigue else None))
                if res.rest_now:
                    flag_reason = res.fatigue
            clock[0] = float(t[-1]) + 1.0 / FS if len(t) else seg_end
            hand.recover(GAP_S)
            t_free = clock[0]
            cue = cue_at + step.cue_s  # the game's next cue comes a pace after this one
            if flag_reason is not None:
                ended = "fatigue"
                break
        runner.set_ended(step, clock[0], ended, counted)


def simulate(model: PatientModel, plan: SessionPlan, *, days: int = 1, seed: int = 0, **kw: object) -> list[SessionRun]:
    """Run ``days`` sessions of ``plan`` for one patient (the difficulty state carries over)."""
    return Simulation(model, plan, seed=seed, **kw).run_days(days)  # type: ignore[arg-type]



# ----------------------------------------------------------------- rolling hands
@dataclass(frozen=True)
class RollerModel:
    """A thumb rolling the ball in strokes: how far it can roll and how it moves.

    Each stroke is a roll out (aimed a little past the target shown, capped by what the
    thumb can repeat today, with scatter), a short stop, and a roll back; the gyro's rates
    carry a bias, rate noise and a 9 Hz tremor. They go through the REAL
    :class:`~game.therapy.roll_reps.StrokeDetector`, set up as the rolling games set it
    up, and the reps to the REAL SessionRunner (whose target is then % of the range)."""

    name: str
    range_units: float  # the calibrated comfortable range on the stroke axis (device units)
    capacity_pct: float  # the stroke this thumb can repeat today, % of its range
    aim_over: float = 1.15
    cv: float = 0.13
    out_s: float = 0.8
    back_s: float = 0.8
    reaction_s: float = 0.6
    noise: float = 1.0  # rate noise, units/s
    tremor: float = 2.0  # 9 Hz tremor on the rate, units/s
    bias: float = 1.5  # gyro bias, units/s

    def stroke(self, rng: np.random.Generator, fed_to: float, t: float, target_pct: float,
               phase: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One stroke's gyro rates from ``fed_to`` (the last time fed) after rest until ``t``,
        aimed at ``target_pct`` of the range: times, rate on the stroke axis, rate on the other."""
        reach = self.capacity_pct * math.exp(rng.normal(0.0, self.cv))
        amp_pct = min(target_pct * self.aim_over * math.exp(rng.normal(0.0, self.cv / 2)), reach)
        amp = amp_pct / 100.0 * self.range_units * (1 if rng.random() < 0.5 else -1)
        start = t + self.reaction_s * math.exp(rng.normal(0, 0.2))
        out = self.out_s * math.exp(rng.normal(0, 0.15))
        back = self.back_s * math.exp(rng.normal(0, 0.15))
        frames = [(fed_to, 0.0), (start, 0.0), (start + out, amp), (start + out + 0.3, amp),
                  (start + out + 0.3 + back, 0.0)]
        tt = np.arange(math.ceil(fed_to * FS), math.ceil((start + out + 0.3 + back + 0.9) * FS)) / FS
        rate = np.gradient(keyframe_curve(tt, frames), 1.0 / FS) + self.bias + rng.normal(0.0, self.noise, tt.shape)
        rate += self.tremor * np.sin(2 * np.pi * 9.0 * tt + phase)
        other = self.bias + rng.normal(0.0, self.noise, tt.shape)
        return tt, rate, other

    def roll_range(self, rng: np.random.Generator) -> RollRange:
        """What the roll calibration would store: this range, with the rest noise it measures."""
        run = RollCalibrationRun()
        run.begin()
        for ti in np.arange(0.0, run.still_s + 0.05, 1.0 / FS):
            tremor = self.tremor * math.sin(2 * math.pi * 9.0 * ti)
            run.feed([Sample(float(ti), 0.0, self.bias + rng.normal(0, self.noise) + tremor,
                             self.bias + rng.normal(0, self.noise) - tremor)])
            run.update(1.0 / FS)
        # The gyro's rest rate goes to the detector too, as the game hands it over from the
        # stored calibration (an unlearnt bias near the dead-band would stretch the strokes).
        bx, by = run.bias
        return RollRange(self.range_units, self.range_units, noise_rate=run.noise_rate, bias_x=bx, bias_y=by)


ROLL_WEAK = RollerModel("weak", 30.0, 40.0, cv=0.16, out_s=1.5, back_s=2.0, reaction_s=1.4, tremor=1.5)
ROLL_WEAK_SLOW = RollerModel("weak slow", 30.0, 40.0, cv=0.16, out_s=3.0, back_s=3.5, reaction_s=1.4, tremor=1.5)
ROLL_MEDIUM = RollerModel("medium", 60.0, 60.0, out_s=1.5, back_s=1.8, reaction_s=0.9)
ROLL_STRONG = RollerModel("strong", 110.0, 82.0, cv=0.10)
ROLLERS: dict[str, RollerModel] = {r.name: r for r in (ROLL_WEAK, ROLL_WEAK_SLOW, ROLL_MEDIUM, ROLL_STRONG)}


def simulate_rolling(model: RollerModel, plan: SessionPlan, *, days: int = 1, seed: int = 0) -> list[SessionRun]:
    """Run ``days`` sessions of a rolling ``plan`` (stroke exercises) for one thumb."""
    states: dict[str, DifficultyState] = {}
    runs = []
    for day in range(days):
        rng = np.random.default_rng([seed, day, sum(map(ord, model.name))])
        runner = SessionRunner(plan, states={k: replace(v) for k, v in states.items()})
        rr = model.roll_range(rng)
        clock = 0.0
        reps: list[RepLog] = []
        while True:
            step = runner.next_step(clock)
            if isinstance(step, SummaryStep):
                runner.summary_shown()
                break
            if isinstance(step, RatingStep):
                clock += 8.0
                runner.rated(step.when, 1, 2, clock)
            elif isinstance(step, RestStep):
                clock += step.seconds
            elif isinstance(step, SetStep):
                clock = _roll_set(model, step, runner, rr, rng, clock, reps)
        states = {k: replace(v) for k, v in runner.states().items()}
        runs.append(SessionRun(patient=model.name, day=day, summary=runner.summary(clock), reps=reps, events=[],
                               trace_t=np.zeros(0), trace_pct=np.zeros(0), states=states, budget_s=runner.budget_s))
    return runs


def _roll_set(m: RollerModel, step: SetStep, runner: SessionRunner, rr: RollRange, rng: np.random.Generator,
              clock: float, reps: list[RepLog]) -> float:
    runner.set_started(step, clock)
    plan = step.game_plan()
    # As RollGame.roll_settings: the set's roll target, and the level's roll overrides.
    known = {k: v for k, v in plan.detector.items() if k in RollRepSettings.__dataclass_fields__}
    det = StrokeDetector("y", rr, replace(RollRepSettings(target_fraction=plan.roll_target), **known))
    counted, attempts = 0, 0
    fed_to = clock
    t = clock + 3.5  # the hand rests first: the detector learns the gyro bias
    phase = rng.uniform(0, 2 * math.pi)
    while counted < step.reps and attempts < step.reps * 3:
        attempts += 1
        target = det.settings.target_fraction * 100.0  # what the game shows, % of range
        tt, rate, other = m.stroke(rng, fed_to, t, target, phase)
        for ti, ry, rx in zip(tt.tolist(), rate.tolist(), other.tolist()):
            rep = det.step(Sample(ti, 0.0, rx, ry))
            if rep is None:
                continue
            counted += 1
            res = runner.rep_done(step, success=rep.success, peak_pct=rep.range_pct, target_pct=rep.target_pct,
                                  failure=rep.failure)
            det.set_settings(det.settings.with_target(res.difficulty_after))
            if not step.warmup:
                reps.append(RepLog(ti, step.exercise.exercise, step.set_number, len(reps) + 1,
                                   res.difficulty_before, res.difficulty_after, 0.0, step.cue_s, rep.range_pct,
                                   rep.success, rep.failure.value if rep.failure else None, m.capacity_pct, None))
        fed_to = t = float(tt[-1]) + 1.0 / FS
    runner.set_ended(step, fed_to, "completed", counted)
    return fed_to
