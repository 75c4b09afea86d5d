"""Force profiles with the physics of real squeeze-ball sensors: the ground truth for rep detection.

A profile is what one board would report for one patient's set: a calibration
phase (3 s at rest, then three maximal squeezes of 4 s, timed like the game's
calibration scene) followed by ``n_reps`` repetitions of a force exercise, seen
through one sensor (:class:`SensorSpec`) with one or more *realities* switched on
(creep, hysteresis, drift, tremor, quantisation, saturation, read failures, fast
tapping, slow and incomplete releases, a rest-level step, a board that boots
mid-squeeze). The true applied force and the true repetitions come with it, so a
rep detector can be scored against what the hand really did.

The numbers come from sensor datasheets and papers; each is named where it is
used, and where a number is a design choice it says so. Nothing here is tuned to
a detector: the profiles are what the hardware and the hand do.

Pipeline, in the order the physics happens::

    planned effort (keyframes per exercise and reality, %MVC)
      + physiological tremor riding on the effort            -> true force (force_pct)
    -> load on the sensor: rest preload + part-to-part gain x force
      + creep memory (viscoelastic, log-time) + rest steps + drift
    -> transducer: FSR 402 in a 10k divider / load cell + HX711 / air ball + MPX5010
      (hysteresis on the unloading branch)                   -> pin volts (ADC kinds)
    -> converter: 10-bit ADC (averaged x4 as the firmware does) or HX711 24-bit at 80 SPS
    -> board: millis() time stamps, lost lines, jitter, read-failure codes -> counts

numpy only: no pygame, nothing from ``game/``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, fields, replace

import numpy as np

REALITIES = ("clean", "creep", "hysteresis", "drift", "tremor", "quantisation", "saturation",
             "dropouts", "fast_tapping", "slow_release", "incomplete_release", "rest_step", "boot_mid_squeeze")
EXERCISES = ("power_grip", "pinch", "finger_flexion", "finger_squeeze")
SENSOR_KINDS = ("fsr_divider", "load_cell_hx711", "air_pressure")

# The hold settings the profiles are built around, per exercise: the game's own
# starting prescription (levels/classic_home.yaml: pinch holds 1 s; game/program.py
# ExercisePlan: hold 0.5 s; game/games/finger_flexion.py: press and release, no hold).
# Every true rep's hold (time >= 90% of its own peak) is at least
# max(2 x setting, setting + 0.5 s) in the sustained exercises, so a strong rep
# clearly meets the hold; quick presses and fast taps hold ~0.1 s, clearly short of
# any non-zero setting.
HOLD_SETTINGS_S = {"power_grip": 0.5, "pinch": 1.0, "finger_flexion": 0.0, "finger_squeeze": 0.5}
RELEASE_WINDOW_S = 6.0  # game/program.py ExercisePlan.release_window_s; every true release ends within 5 s
START_PCT = 5.0  # CLINICAL.md: a rep starts above 5% MVC
WEAK_MAX = 0.7  # weak reps peak at <= 0.7 x target ...
WEAK_MIN_PCT = 2.0 * START_PCT  # ... and >= 10% MVC: well above rest, they are reps and must be counted
STRONG_MIN = 1.3  # strong reps peak at >= 1.3 x target

# Calibration, timed like game/scenes/calibrate.py: REST_S 3, READY_S 2, SQUEEZE_S 4, RELAX_S 5, three trials.
CAL_REST_S = 3.0
CAL_READY_S = 2.0
CAL_SQUEEZE_S = 4.0
CAL_RELAX_S = 5.0
CAL_TRIALS = 3
CAL_AFTER_S = 4.0  # from the end of the last squeeze window to calibration_end_s (result screen, first cue)
CAL_LENGTH_S = (CAL_REST_S + CAL_TRIALS * (CAL_READY_S + CAL_SQUEEZE_S) + (CAL_TRIALS - 1) * CAL_RELAX_S
                + CAL_AFTER_S)  # 35 s

# The parameters of each reality, used by the generator and listed by sensor_realities_table().
REALITY_PARAMS: dict[str, dict[str, object]] = {
    "clean": {"what": "the sensor's own transfer curve, part-to-part gain, 10-bit quantisation; nothing else"},
    "creep": {"creep_pct_per_decade": "sensor's (FSR 4.0: datasheet < 5%/decade)", "memory_taus_s": (0.3, 3.0, 30.0, 300.0),
              "recovery_pct_per_decade": "sensor's (FSR 2.5)", "rest_between_reps_s": (1.0, 2.0),
              "issue_case": "FSR: rest +~3% MVC (~15 counts of a ~500-count MVC) after calibration, "
                            "wandering ~+/-1.5% MVC over 1-2 s rests"},
    "hysteresis": {"hysteresis_pct": "sensor's (FSR 10: datasheet +10% average (RF+ - RF-)/RF+)",
                   "shape": "unloading branch only; 4u(1-u) bump of the fraction u of the press's peak, "
                            "peak 1.5 x the average"},
    "drift": {"drift": "sensor's: FSR +/-1.2% MVC/min (foam settling, design), load cell 0.05% MVC/min, "
                       "air ball: ideal-gas warm-up dT 3 K, tau 4 min, and a leak tau 30 min"},
    "tremor": {"band_hz": (6.0, 12.0), "centre_hz": (8.0, 10.0), "rms_pct_of_force": 3.0,
               "source": "6-12 Hz (CLINICAL.md, Lakie 2015); rms grows linearly with force (Sutton & Sykes 1967); "
                         "3% of force: enhanced, as after stroke (healthy isometric CV ~1-2%)"},
    "quantisation": {"mvc_span_counts": 50, "what": "a weak hand: its MVC spans ~50 ADC counts (1 count ~ 2% MVC)"},
    "saturation": {"range_top_pct_mvc": 35.0,
                   "what": "ADC kinds: AREF at 3.3 V (pin range 0-3.3 V) and the converter's top (1023) "
                           "reached at 35% MVC; HX711: 0x7FFFFF reached at 35% MVC (a small cell overloaded)"},
    "dropouts": {"isolated_rate": "sensor's (0.5% of samples)", "bursts_per_min": 2.0, "burst_len": (3, 10),
                 "codes": "ADC 0 (broken lead: the 10k pulls A0 to 0 V) and -1 (firmware error code); "
                          "HX711 -1 (0xFFFFFF, DOUT stuck high) and 0 (library time-out)",
                 "missing_rate": 0.01, "gaps_per_min": 3.0, "gap_ms": (30, 150), "jitter_ms_sd": 1.5},
    "fast_tapping": {"press_s": "finger_flexion 0.10-0.30, finger_squeeze 0.15-0.30, pinch/power grip 0.25-0.50",
                     "gap_s": (0.2, 0.4), "valley_fraction_of_lower_peak": (0.15, 0.40), "valley_min_pct": 2.0,
                     "burst_len": (3, 6),
                     "source": "design choice: fingers pumping a ball held in the palm do not lift off, so the "
                               "force between presses falls to 15-40% of the lower neighbouring peak "
                               "(>= 2% MVC above rest), never to rest, until the burst ends"},
    "slow_release": {"release_s": (4.0, 5.0), "fraction_slow": 0.7,
                     "shape": "to 40-60% of peak in 0.5-1.0 s, then an exponential-shaped tail to rest",
                     "source": "Seo 2009: grip termination 5.0 s paretic, 1.6 s non-paretic, 0.4 s healthy"},
    "incomplete_release": {"residual_fraction_of_peak": (0.10, 0.30), "residual_s": (2.0, 3.5),
                           "fraction_incomplete": 0.6,
                           "what": "the hand drops to 10-30% of the peak, stays there 2-3.5 s, then lets go; "
                                   "the whole release ends within 5 s (inside the 6 s release window)"},
    "rest_step": {"step_pct_mvc": (3.0, 8.0), "steps": 2,
                  "what": "the ball put down differently between reps: the rest reading steps by +/-3-8% of the "
                          "calibrated MVC span (the load step that does it depends on the sensor curve; "
                          "a step down needs the preload to allow it, else it goes up)"},
    "boot_mid_squeeze": {"squeeze_pct": (30.0, 70.0), "released_after_s": (0.5, 1.5), "loaded_before_boot_s": 3.0,
                         "what": "the board boots (t = 0) while the hand squeezes; it lets go, rests 2 s, then "
                                 "the calibration phase runs; calibration_end_s = calibration start + 35 s"},
}

TAPPING_PRESS_S = {"finger_flexion": (0.10, 0.30), "finger_squeeze": (0.15, 0.30), "pinch": (0.25, 0.50),
                   "power_grip": (0.25, 0.50)}


# ------------------------------------------------------------------------------------------ data types
@dataclass(frozen=True, slots=True)
class TrueRep:
    t_start: float  # true force starts rising for this press
    t_peak: float
    t_end: float  # true force back at rest, or at the valley before the next press
    peak_pct: float  # true peak, % of the hand's MVC
    hold_s: float  # time the true force stayed >= 90% of this rep's peak
    kind: str  # "squeeze" | "weak" | "quick_press" | "tap" | "slow_release" | "incomplete_release"


# Per-kind defaults for the SensorSpec fields left as None. Units of preload and
# mvc_load: N on the FSR, kg on the load cell, kPa gauge in the air ball.
_KIND_DEFAULTS: dict[str, dict[str, object]] = {
    "fsr_divider": {
        # Design choice matching the device the issue measured: rest ~100 counts and an
        # MVC ~500 counts above it. Most of the grip goes into the ball wall; ~1 N reaches
        # the FSR between its discs at this hand's MVC.
        "preload": 0.05, "mvc_load": 0.95,
        "part_to_part_pct": 6.0,  # FSR 400 datasheet: force repeatability part to part +/-6% (1 SD)
        "creep_pct_per_decade": 4.0,  # FSR 400 datasheet: long-term drift < 5% per log10(time) under load
        # Recovery of ball + sensor after unloading (foam/silicone recovers over seconds):
        # a design choice sized so the rest after calibration rises ~3% MVC, as measured.
        "recovery_pct_per_decade": 2.5,
        "hysteresis_pct": 10.0,  # FSR 400 datasheet: +10% average (RF+ - RF-)/RF+
        "drift_pct_per_min": 1.2,  # design: foam settling; FSR thermal -0.25%/K of R (datasheet -15% at +60 K)
        "adc_noise_counts": 0.3, "failure_codes": (0, -1),
    },
    "load_cell_hx711": {
        "preload": 0.2, "mvc_load": 2.5,  # kg on a 5 kg bar cell (design: a paretic hand through the ball holder)
        "part_to_part_pct": 15.0,  # bar-cell datasheets: rated output 1.0 +/- 0.15 mV/V
        "creep_pct_per_decade": 0.03,  # bar-cell datasheets: creep ~0.05% RO per 30 min
        "recovery_pct_per_decade": 0.02,
        "hysteresis_pct": 0.05,  # bar-cell datasheets: hysteresis 0.05% RO
        "drift_pct_per_min": 0.05,  # zero TC ~0.05% RO / 10 K; HX711 offset drift is nV/K
        "adc_noise_counts": 0.0, "failure_codes": (-1, 0),
    },
    "air_pressure": {
        "preload": 0.5, "mvc_load": 6.0,  # kPa gauge: ball inflated slightly; MVC uses 60% of the 10 kPa range
        "part_to_part_pct": 5.0,  # MPX5010 datasheet: accuracy 5.0% VFSS (0-85 C)
        "creep_pct_per_decade": 1.0,  # design: rubber ball stress relaxation
        "recovery_pct_per_decade": 0.5,
        "hysteresis_pct": 2.0,  # design: rubber wall; the sensor itself +/-0.1% VFSS (MPX2010 datasheet)
        "drift_pct_per_min": 4.3,  # initial rate of the ideal-gas warm-up below (101.8 kPa x 3 K / 295 K / 4 min)
        "adc_noise_counts": 0.5, "failure_codes": (0, -1),
    },
}


@dataclass(frozen=True)
class SensorSpec:
    """One force-sensing device: its transfer curve, imperfections and the board that reads it.

    Fields left as None take the kind's datasheet-based default (``_KIND_DEFAULTS``).
    """

    kind: str = "fsr_divider"  # "fsr_divider" | "load_cell_hx711" | "air_pressure"
    # Board and 10-bit ADC (ATmega328P datasheet: ADC = Vin x 1024 / Vref, 0..1023)
    vcc_v: float = 5.0
    adc_vref_v: float = 5.0
    adc_max: int = 1023
    adc_noise_counts: float | None = None  # analog noise per conversion, SD in counts ("under one count")
    adc_average: int = 4  # hardware/firmware/squeeze_ball.ino averages 4 analogRead()s and divides (floor)
    # Load on the sensor at rest and at the hand's MVC (N / kg / kPa by kind)
    preload: float | None = None
    mvc_load: float | None = None
    # FSR 402 in a divider: V = Vcc x Rm / (Rm + Rfsr) (hardware/README.md wiring: 5V-FSR-A0-10k-GND)
    divider_r_ohm: float = 10_000.0
    # R = r_1n x (F / 1 N)^-exponent: fitted to the FSR 402 force curve as tabulated in Adafruit's FSR guide
    # (0.2 N 30 kOhm, 1 N 6 kOhm, 10 N 1 kOhm, 100 N 250 Ohm); conductance ~ proportional to force
    fsr_r_1n_ohm: float = 7_000.0
    fsr_exponent: float = 0.87
    fsr_r_open_ohm: float = 10e6  # FSR 400 datasheet: non-actuated resistance > 10 MOhm
    fsr_r_min_ohm: float = 200.0  # the curve flattens past ~100 N
    # Load cell + HX711 (HX711 datasheet: gain 128 -> full scale +/-0.5 AVDD/128; 2's complement 24 bit,
    # saturates at 0x800000 / 0x7FFFFF; 80 SPS with RATE high; input noise 90 nV rms at 80 SPS)
    hx_avdd_v: float = 4.3  # common breakouts: on-chip regulator VBG x (R1 + R2) / R1 = 4.3 V
    hx_gain: int = 128
    hx_rated_mv_per_v: float = 1.0  # bar-cell datasheets: 1.0 +/- 0.15 mV/V
    hx_capacity_kg: float = 5.0
    hx_zero_balance_mv_per_v: float = 0.1  # bar-cell datasheets: zero balance +/-0.1 mV/V (seeded within)
    hx_noise_nv: float = 90.0
    hx_rate_sps: float = 80.0
    hx_rate_tolerance: float = 0.05  # on-chip oscillator: "typically" 80 SPS
    # Air ball + MPX5010DP (datasheet: Vout = Vs x (0.09 P + 0.04), P in kPa 0..10, 450 mV/kPa at 5 V)
    mpx_gain_per_kpa: float = 0.09
    mpx_offset_frac: float = 0.04
    mpx_v_max: float = 4.9  # output stage saturates near the rail (datasheet VFSO max 4.925 V at 10 kPa)
    atmosphere_kpa: float = 101.325
    air_warm_k: float = 3.0  # design: the hand warms the ball's air by ~3 K ...
    air_warm_tau_s: float = 240.0  # ... over minutes (ideal gas: dP = P dT / T)
    air_leak_tau_s: float = 1800.0  # design: a slow leak through the tube fitting
    # Imperfections (kind defaults when None)
    part_to_part_pct: float | None = None
    creep_pct_per_decade: float | None = None
    recovery_pct_per_decade: float | None = None
    hysteresis_pct: float | None = None
    drift_pct_per_min: float | None = None
    # Board and link (design choices; see REALITY_PARAMS["dropouts"])
    dropout_rate: float = 0.005  # isolated read failures, fraction of samples
    dropout_bursts_per_min: float = 2.0
    dropout_burst_len: tuple[int, int] = (3, 10)
    missing_rate: float = 0.01  # lines lost (serial overrun), fraction of samples
    gaps_per_min: float = 3.0  # USB hiccups: every sample in 30-150 ms missing
    gap_ms: tuple[float, float] = (30.0, 150.0)
    jitter_ms: float = 1.5  # SD of the loop's timing jitter; stamps are whole milliseconds (millis())
    failure_codes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KIND_DEFAULTS:
            raise ValueError(f"unknown sensor kind {self.kind!r}; choose from {', '.join(SENSOR_KINDS)}")
        for name, value in _KIND_DEFAULTS[self.kind].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)

    @property
    def is_adc(self) -> bool:
        return self.kind != "load_cell_hx711"

    @property
    def hx_full_scale_v(self) -> float:
        return 0.5 * self.hx_avdd_v / self.hx_gain


@dataclass(frozen=True)
class ProfileTrace:
    t: np.ndarray  # sample times in s as the board would stamp them (irregular spacing allowed)
    counts: np.ndarray  # what the device reports (integer-valued); read failures as 0 or negative codes; NaN never
    volts: np.ndarray | None  # the analog pin voltage for ADC sensors (to drive a simulated board's ADC), None for HX711
    force_pct: np.ndarray  # the true applied force, % MVC, no sensor effects
    reps: list[TrueRep]  # ground truth, only reps after calibration_end_s
    calibration_end_s: float  # see calibration_windows()
    sensor: SensorSpec
    notes: str  # which effects and parameters, in words


# ------------------------------------------------------------------------------------------ helpers
def _rng(seed: int, *parts: object) -> np.random.Generator:
    """One independent stream per effect, so switching one effect on leaves the others' draws alone."""
    key = zlib.crc32(("|".join(str(p) for p in parts)).encode())
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, key])


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


_LIN, _COS, _EXP = 0, 1, 2
_EXP_K = 3.0


class _Path:
    """The planned effort (% MVC): continuous, built segment by segment."""

    def __init__(self, t0: float, v0: float = 0.0) -> None:
        self.t = t0
        self.v = v0
        self.segs: list[tuple[float, float, float, float, int]] = []

    def to(self, dur: float, v1: float, shape: int = _COS) -> None:
        dur = max(dur, 1e-3)
        self.segs.append((self.t, self.t + dur, self.v, v1, shape))
        self.t += dur
        self.v = v1

    def stay(self, dur: float, v1: float | None = None) -> None:
        self.to(dur, self.v if v1 is None else v1, _LIN)

    def arrays(self) -> tuple[np.ndarray, ...]:
        a = np.array(self.segs, dtype=float)
        return a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4].astype(int)


def _eval_path(arrs: tuple[np.ndarray, ...], t: np.ndarray) -> np.ndarray:
    t0, t1, v0, v1, shape = arrs
    i = np.clip(np.searchsorted(t0, t, side="right") - 1, 0, len(t0) - 1)
    u = np.clip((t - t0[i]) / (t1[i] - t0[i]), 0.0, 1.0)
    s = np.where(shape[i] == _COS, (1 - np.cos(np.pi * u)) / 2, u)
    s = np.where(shape[i] == _EXP, (1 - np.exp(-_EXP_K * u)) / (1 - math.exp(-_EXP_K)), s)
    out = v0[i] + (v1[i] - v0[i]) * s
    out = np.where(t < t0[0], v0[0], out)
    return np.where(t >= t1[-1], v1[-1], out)


@dataclass
class _Press:
    t_start: float
    t_top: float  # when the planned effort reaches its peak (unloading starts after)
    t_end: float
    peak: float  # planned peak, % MVC
    kind: str
    is_rep: bool


@dataclass
class _Tremor:
    on: bool
    fc: float = 9.0
    mods: tuple[tuple[float, float, float], ...] = ()  # (delta_hz, nu_hz, phase)
    am: tuple[float, float, float] = (0.0, 0.3, 0.0)
    phase0: float = 0.0
    rms_frac: float = 0.03

    def __call__(self, t: np.ndarray, effort: np.ndarray) -> np.ndarray:
        if not self.on:
            return np.zeros_like(t)
        ph = 2 * np.pi * self.fc * t + self.phase0
        for dhz, nu, th in self.mods:
            ph = ph + (dhz / nu) * np.sin(2 * np.pi * nu * t + th)
        depth, nu, th = self.am
        amp = self.rms_frac * math.sqrt(2) * (1 + depth * np.sin(2 * np.pi * nu * t + th))
        return np.maximum(effort, 0.0) * amp * np.sin(ph)


# ------------------------------------------------------------------------------------------ the plan
_SHAPES = {
    # rise s, plateau s (>= 90% of peak), fall s, rest s, strong peak x target, droop over the plateau
    "power_grip": {"rise": (0.6, 1.2), "plateau": (1.3, 2.0), "fall": (0.4, 0.9), "rest": (1.5, 3.5),
                   "strong": (1.3, 2.0), "droop": (0.0, 0.03), "kind": "squeeze"},
    "pinch": {"rise": (0.3, 0.7), "plateau": (2.4, 3.2), "fall": (0.3, 0.6), "rest": (1.5, 3.0),
              "strong": (1.3, 1.8), "droop": (0.0, 0.03), "kind": "squeeze"},
    "finger_flexion": {"rise": (0.08, 0.15), "plateau": (0.0, 0.08), "fall": (0.10, 0.18), "rest": (0.8, 2.0),
                       "strong": (1.3, 2.0), "droop": (0.0, 0.0), "kind": "quick_press"},
    # between two fingers: lower forces, peaks closer to the target
    "finger_squeeze": {"rise": (0.3, 0.6), "plateau": (1.3, 1.8), "fall": (0.3, 0.6), "rest": (1.0, 2.5),
                       "strong": (1.3, 1.6), "droop": (0.0, 0.03), "kind": "squeeze"},
}


def _peaks(rng: np.random.Generator, n: int, weak_fraction: float, target: float,
           strong: tuple[float, float]) -> list[tuple[float, bool]]:
    n_weak = round(weak_fraction * n)
    weak = np.zeros(n, dtype=bool)
    weak[rng.permutation(n)[:n_weak]] = True
    out = []
    for w in weak:
        if w:
            out.append((_u(rng, (WEAK_MIN_PCT, WEAK_MAX * target)), True))
        else:
            out.append((min(85.0, target * _u(rng, strong)), False))
    return out


def _release(path: _Path, rng: np.random.Generator, peak: float, fall: float, style: str) -> None:
    """From the top of a press back to rest, in the given style."""
    if style == "slow_release":
        total = _u(rng, REALITY_PARAMS["slow_release"]["release_s"])  # type: ignore[arg-type]
        first = _u(rng, (0.5, 1.0))
        path.to(first, peak * _u(rng, (0.4, 0.6)), _COS)
        path.to(total - first, 0.0, _EXP)
    elif style == "incomplete_release":
        p = REALITY_PARAMS["incomplete_release"]
        r = _u(rng, p["residual_fraction_of_peak"])  # type: ignore[arg-type]
        path.to(_u(rng, (0.3, 0.6)), r * peak, _COS)
        path.stay(_u(rng, p["residual_s"]), r * peak * _u(rng, (0.8, 1.1)))  # type: ignore[arg-type]
        path.to(_u(rng, (0.3, 0.6)), 0.0, _COS)
    else:
        path.to(fall, 0.0, _COS)


def _calibration(path: _Path, rng: np.random.Generator, slow: bool, presses: list[_Press]) -> None:
    """3 s rest, then three maximal squeezes inside 4 s windows, 2 s ready before each, 5 s relax between."""
    cal_start = path.t
    path.stay(CAL_REST_S)
    best = int(rng.integers(CAL_TRIALS))
    for k in range(CAL_TRIALS):
        w0 = cal_start + CAL_REST_S + k * (CAL_READY_S + CAL_SQUEEZE_S + CAL_RELAX_S) + CAL_READY_S
        path.stay(w0 - path.t)
        react = _u(rng, (0.3, 0.6))
        path.stay(react)
        peak = 100.0 if k == best else _u(rng, (90.0, 99.0))
        rise = _u(rng, (0.5, 0.8))
        t_start = path.t
        path.to(rise, peak, _COS)
        t_top = path.t
        top = w0 + CAL_SQUEEZE_S - _u(rng, (0.2, 0.4))
        path.stay(top - path.t, peak * _u(rng, (0.93, 0.98)))
        if slow:  # a paretic hand lets go slowly here too (at most 4 s, inside the relax)
            path.to(_u(rng, (0.6, 1.0)), 0.5 * path.v, _COS)
            path.to(_u(rng, (2.0, 2.8)), 0.0, _EXP)
        else:
            path.to(_u(rng, (0.4, 0.7)), 0.0, _COS)
        presses.append(_Press(t_start, t_top, path.t, peak, "calibration", False))
    end = cal_start + CAL_LENGTH_S
    path.stay(end - path.t)


def _plan(exercise: str, realities: frozenset[str], seed: int, n_reps: int, weak_fraction: float,
          target: float) -> tuple[_Path, list[_Press], float, list[float]]:
    """The planned effort, the presses (calibration ones too), calibration_end_s and mid-rest times."""
    rng = _rng(seed, "plan", exercise)
    shape = _SHAPES[exercise]
    presses: list[_Press] = []
    path = _Path(0.0)
    if "boot_mid_squeeze" in realities:
        p = REALITY_PARAMS["boot_mid_squeeze"]
        level = _u(rng, p["squeeze_pct"])  # type: ignore[arg-type]
        path = _Path(0.0, level)
        path.stay(_u(rng, p["released_after_s"]))  # type: ignore[arg-type]
        t_top = -float(p["loaded_before_boot_s"])  # type: ignore[arg-type]
        _release(path, rng, level, _u(rng, shape["fall"]) + 0.3,
                 "slow_release" if "slow_release" in realities else "normal")
        presses.append(_Press(t_top, 0.0, path.t, level, "boot", False))
        path.stay(2.0)
    cal_start = path.t
    slow = "slow_release" in realities
    _calibration(path, rng, slow, presses)
    cal_end = cal_start + CAL_LENGTH_S

    peaks = _peaks(rng, n_reps, weak_fraction, target, shape["strong"])  # type: ignore[arg-type]
    rest_range = REALITY_PARAMS["creep"]["rest_between_reps_s"] if "creep" in realities else shape["rest"]
    mid_rests: list[float] = []
    path.stay(_u(rng, (1.0, 2.5)))
    if "fast_tapping" in realities:
        tp = REALITY_PARAMS["fast_tapping"]
        press_s = TAPPING_PRESS_S[exercise]
        k = 0
        while k < n_reps:
            burst = min(n_reps - k, int(rng.integers(tp["burst_len"][0], tp["burst_len"][1] + 1)))  # type: ignore[index]
            group = peaks[k:k + burst]
            for j, (pk, weak) in enumerate(group):
                d = _u(rng, press_s)
                t_start = path.t
                up = d * _u(rng, (0.4, 0.55))
                path.to(up, pk, _COS)
                t_top = path.t
                if j + 1 < burst:
                    lower = min(pk, group[j + 1][0])
                    valley = max(float(tp["valley_min_pct"]), _u(rng, tp["valley_fraction_of_lower_peak"]) * lower)  # type: ignore[arg-type]
                    path.to(d - up, valley, _COS)
                    presses.append(_Press(t_start, t_top, path.t, pk, "weak" if weak else "tap", True))
                    path.stay(_u(rng, tp["gap_s"]))  # type: ignore[arg-type]
                else:
                    path.to(d - up, 0.0, _COS)
                    presses.append(_Press(t_start, t_top, path.t, pk, "weak" if weak else "tap", True))
            k += burst
            if k < n_reps:
                gap = _u(rng, (1.0, 2.0))
                mid_rests.append(path.t + gap / 2)
                path.stay(gap)
    else:
        frac_slow = float(REALITY_PARAMS["slow_release"]["fraction_slow"])  # type: ignore[arg-type]
        frac_inc = float(REALITY_PARAMS["incomplete_release"]["fraction_incomplete"])  # type: ignore[arg-type]
        for k, (pk, weak) in enumerate(peaks):
            style = "normal"
            if "slow_release" in realities and rng.random() < frac_slow:
                style = "slow_release"
            elif "incomplete_release" in realities and rng.random() < frac_inc:
                style = "incomplete_release"
            t_start = path.t
            rise = _u(rng, shape["rise"])  # type: ignore[arg-type]
            path.to(rise, pk, _COS)
            t_top = path.t
            plateau = _u(rng, shape["plateau"])  # type: ignore[arg-type]
            if plateau > 0:
                path.stay(plateau, pk * (1 - _u(rng, shape["droop"])))  # type: ignore[arg-type]
            _release(path, rng, path.v, _u(rng, shape["fall"]), style)  # type: ignore[arg-type]
            kind = "weak" if weak else (style if style != "normal" else str(shape["kind"]))
            presses.append(_Press(t_start, t_top, path.t, pk, kind, True))
            if k + 1 < n_reps:
                gap = _u(rng, rest_range)  # type: ignore[arg-type]
                mid_rests.append(path.t + gap / 2)
                path.stay(gap)
    path.stay(2.0)
    return path, presses, cal_end, mid_rests


# ------------------------------------------------------------------------------------------ the truth
def _truth(presses: list[_Press], env: tuple[np.ndarray, ...], tremor: _Tremor) -> list[TrueRep]:
    reps = []
    for p in presses:
        if not p.is_rep:
            continue
        tt = np.arange(p.t_start, p.t_end + 5e-4, 1e-3)
        e = _eval_path(env, tt)
        f = np.maximum(e + tremor(tt, e), 0.0)
        i = int(np.argmax(f))
        peak = float(f[i])
        hold = float(np.count_nonzero(f >= 0.9 * peak) * 1e-3)
        reps.append(TrueRep(t_start=round(p.t_start, 6), t_peak=round(float(tt[i]), 6), t_end=round(p.t_end, 6),
                            peak_pct=peak, hold_s=hold, kind=p.kind))
    return reps


# ------------------------------------------------------------------------------------------ the sensor chain
def _memory(t: np.ndarray, drive: np.ndarray, taus: tuple[float, ...], init: np.ndarray | None = None) -> np.ndarray:
    """Sum over first-order states dx/dt = (drive - x) / tau (a Prony series: ~equal creep per decade of time)."""
    n = len(t)
    out = np.zeros(n)
    x = np.zeros(len(taus)) if init is None else init.astype(float).copy()
    inv = np.array([1.0 / tau for tau in taus])
    prev = t[0]
    for k in range(n):
        dt = t[k] - prev
        prev = t[k]
        a = np.exp(-dt * inv) if dt > 0 else 1.0
        x = drive[k] + (x - drive[k]) * a
        out[k] = x.sum()
    return out


def _unload_weight(t: np.ndarray, effort: np.ndarray, presses: list[_Press]) -> np.ndarray:
    """0 on loading and at rest; 4u(1-u) on the unloading branch, u = effort / the press's peak."""
    w = np.zeros_like(t)
    starts = sorted(p.t_start for p in presses)
    for p in presses:
        nxt = [s for s in starts if s > p.t_start + 1e-9]
        stop = nxt[0] if nxt else np.inf
        m = (t >= p.t_top) & (t < stop)
        u = np.clip(effort[m] / max(p.peak, 1e-9), 0.0, 1.0)
        w[m] = 4 * u * (1 - u)
    return w


def _fsr_volts(spec: SensorSpec, load_n: np.ndarray, gain: float, unload_w: np.ndarray, hyst: float) -> np.ndarray:
    f = np.maximum(load_n, 1e-6)
    r = spec.fsr_r_1n_ohm * f ** (-spec.fsr_exponent) / gain
    r = 1.0 / (1.0 / r + 1.0 / spec.fsr_r_open_ohm)
    r = np.maximum(r, spec.fsr_r_min_ohm)
    # Hysteresis: on unloading the resistance is lower than on loading at the same force;
    # the datasheet's +10% is an average, the bump 4u(1-u) averages 2/3 of its peak.
    r = r * (1.0 - 1.5 * hyst * unload_w)
    return spec.vcc_v * spec.divider_r_ohm / (spec.divider_r_ohm + r)


def _air_volts(spec: SensorSpec, load_kpa_lin: np.ndarray, t: np.ndarray, drift_on: bool, gain: float,
               offset_v: float) -> np.ndarray:
    # Isothermal squeeze of the ball: (P_atm + p0) V0 = (P_atm + p) (V0 - dV), dV linear in the load.
    p_abs0 = spec.atmosphere_kpa + float(spec.preload)  # type: ignore[arg-type]
    mvc = float(spec.mvc_load)  # type: ignore[arg-type]
    v_mvc = 1.0 - p_abs0 / (p_abs0 + mvc)  # volume fraction squeezed out at the MVC
    squeeze = np.clip(load_kpa_lin / mvc * v_mvc, -0.5, 0.9)
    p = p_abs0 / (1.0 - squeeze) - spec.atmosphere_kpa
    if drift_on:
        warm = spec.air_warm_k * (1 - np.exp(-t / spec.air_warm_tau_s))
        p = p + (spec.atmosphere_kpa + p) * warm / 295.0
        p = p - float(spec.preload) * (1 - np.exp(-t / spec.air_leak_tau_s))  # type: ignore[arg-type]
    v = spec.vcc_v * (spec.mpx_gain_per_kpa * gain * p + spec.mpx_offset_frac) + (offset_v - spec.vcc_v * spec.mpx_offset_frac)
    return np.clip(v, 0.0, spec.mpx_v_max)


def _adc(spec: SensorSpec, volts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = max(1, int(spec.adc_average))
    ideal = np.maximum(volts, 0.0) / spec.adc_vref_v * (spec.adc_max + 1)
    total = np.zeros(len(volts), dtype=np.int64)
    for _ in range(n):
        conv = np.floor(ideal + rng.normal(0.0, float(spec.adc_noise_counts), len(volts)))  # type: ignore[arg-type]
        total += np.clip(conv, 0, spec.adc_max).astype(np.int64)
    return total // n


def _device_top_load(spec: SensorSpec) -> float:
    """The load (kind units) at which the converter reaches its top: for the saturation reality."""
    if spec.kind == "fsr_divider":
        v = spec.adc_vref_v * spec.adc_max / (spec.adc_max + 1)
        r = spec.divider_r_ohm * (spec.vcc_v / v - 1.0)
        return (spec.fsr_r_1n_ohm / r) ** (1.0 / spec.fsr_exponent)
    if spec.kind == "air_pressure":
        v = spec.adc_vref_v * spec.adc_max / (spec.adc_max + 1)
        p_gauge = (v / spec.vcc_v - spec.mpx_offset_frac) / spec.mpx_gain_per_kpa
        return p_gauge  # kPa, close enough to the linearised load for sizing
    kg_per_v = spec.hx_capacity_kg / (spec.hx_avdd_v * spec.hx_rated_mv_per_v / 1000.0)
    return spec.hx_full_scale_v * kg_per_v


def _device_value(spec: SensorSpec, load: float) -> float:
    """The noise-free reading (counts) of a steady load, for sizing the quantisation reality."""
    arr = np.array([load])
    if spec.kind == "fsr_divider":
        v = _fsr_volts(spec, arr, 1.0, np.zeros(1), 0.0)
        return float(v[0] / spec.adc_vref_v * (spec.adc_max + 1))
    if spec.kind == "air_pressure":
        v = _air_volts(spec, arr - float(spec.preload), np.zeros(1), False, 1.0, spec.vcc_v * spec.mpx_offset_frac)  # type: ignore[arg-type]
        return float(v[0] / spec.adc_vref_v * (spec.adc_max + 1))
    return load / _device_top_load(spec) * 2 ** 23


def _size_for_reality(spec: SensorSpec, realities: frozenset[str], gain: float,
                      zero_load: float = 0.0) -> tuple[SensorSpec, str]:
    """Size the hand (MVC load) for the quantisation and saturation realities, given this part's gain."""
    notes = []
    if "quantisation" in realities:
        span = float(REALITY_PARAMS["quantisation"]["mvc_span_counts"])  # type: ignore[arg-type]
        pre = float(spec.preload)  # type: ignore[arg-type]
        if spec.kind == "load_cell_hx711":
            span_dev = span * 6.6 * _hx_noise_counts(spec)  # 50 noise-free steps (6.6 x rms noise each)
        else:
            span_dev = span
        base = _device_value(spec, pre)
        lo, hi = 1e-6, float(spec.mvc_load)  # type: ignore[arg-type]
        for _ in range(60):
            mid = (lo + hi) / 2
            if _device_value(spec, pre + mid) - base < span_dev:
                lo = mid
            else:
                hi = mid
        spec = replace(spec, mvc_load=hi / gain)
        notes.append(f"quantisation: weak hand, MVC load {hi:.4g} (spans ~{span_dev:.0f} counts)")
    if "saturation" in realities:
        top_pct = float(REALITY_PARAMS["saturation"]["range_top_pct_mvc"])  # type: ignore[arg-type]
        if spec.is_adc:
            spec = replace(spec, adc_vref_v=min(spec.adc_vref_v, 3.3))
        top = _device_top_load(spec)
        pre = float(spec.preload)  # type: ignore[arg-type]
        # the cell's zero balance shifts where the HX711's range ends (kg equivalent; 0 for the ADC kinds)
        mvc = (top - pre - zero_load) / (top_pct / 100.0)
        spec = replace(spec, mvc_load=mvc / gain)
        notes.append(f"saturation: range top at {top_pct:g}% MVC (AREF {spec.adc_vref_v:g} V)" if spec.is_adc
                     else f"saturation: 0x7FFFFF at {top_pct:g}% MVC")
    return spec, "; ".join(notes)


def _hx_noise_counts(spec: SensorSpec) -> float:
    return spec.hx_noise_nv * 1e-9 / spec.hx_full_scale_v * 2 ** 23


# ------------------------------------------------------------------------------------------ the board
def _board_times(spec: SensorSpec, rate_hz: float, t_stop: float, dropouts: bool, seed: int) -> np.ndarray:
    """True instants of the board's readings (before millis() stamping)."""
    t = np.arange(0.0, t_stop, 1.0 / rate_hz)
    if not dropouts:
        return t
    rng = _rng(seed, "times")
    t = t + np.clip(rng.normal(0.0, spec.jitter_ms * 1e-3, len(t)), -3e-3, 3e-3)
    keep = rng.random(len(t)) >= spec.missing_rate
    n_gaps = rng.poisson(spec.gaps_per_min * t_stop / 60.0)
    for _ in range(n_gaps):
        g0 = rng.uniform(0.0, t_stop)
        g1 = g0 + rng.uniform(*spec.gap_ms) * 1e-3
        keep &= ~((t >= g0) & (t < g1))
    keep[0] = True
    return np.sort(t[keep])


def _stamp(t_true: np.ndarray) -> np.ndarray:
    ms = np.floor(t_true * 1000.0 + 1e-6)
    ms = np.maximum.accumulate(ms)
    # strictly increasing stamps (a 100 Hz loop never reads twice in one millisecond)
    for k in range(1, len(ms)):
        if ms[k] <= ms[k - 1]:
            ms[k] = ms[k - 1] + 1
    return ms / 1000.0


def _read_failures(spec: SensorSpec, n: int, t_stop: float, seed: int) -> np.ndarray:
    """Per sample: 0 = a good reading, else 1 + index into failure_codes."""
    rng = _rng(seed, "failures")
    codes = np.zeros(n, dtype=int)
    n_codes = len(spec.failure_codes or (0,))
    iso = rng.random(n) < spec.dropout_rate
    codes[iso] = 1 + rng.integers(0, n_codes, int(iso.sum()))
    n_bursts = rng.poisson(spec.dropout_bursts_per_min * t_stop / 60.0)
    for _ in range(n_bursts):
        start = int(rng.integers(0, max(1, n - 1)))
        length = int(rng.integers(spec.dropout_burst_len[0], spec.dropout_burst_len[1] + 1))
        codes[start:start + length] = 1 + int(rng.integers(0, n_codes))
    return codes


# ------------------------------------------------------------------------------------------ public
def _realities(reality: str | tuple[str, ...]) -> frozenset[str]:
    rs = (reality,) if isinstance(reality, str) else tuple(reality)
    bad = [r for r in rs if r not in REALITIES]
    if bad:
        raise ValueError(f"unknown reality {', '.join(bad)}; choose from {', '.join(REALITIES)}")
    return frozenset(r for r in rs if r != "clean")


def make_profile(exercise: str, reality: str | tuple[str, ...], seed: int, *, n_reps: int = 10,
                 sensor: SensorSpec | None = None, rate_hz: float = 100.0, weak_fraction: float = 0.3,
                 target_pct: float = 20.0) -> ProfileTrace:
    """One seeded profile: calibration phase, then ``n_reps`` reps of ``exercise``, through ``sensor``."""
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; choose from {', '.join(EXERCISES)}")
    if n_reps < 1:
        raise ValueError("n_reps must be at least 1")
    if not 0.0 <= weak_fraction <= 1.0:
        raise ValueError("weak_fraction must be within 0..1")
    if weak_fraction > 0 and WEAK_MAX * target_pct < WEAK_MIN_PCT:
        raise ValueError(f"target {target_pct:g}% MVC leaves no room for weak reps "
                         f"(<= {WEAK_MAX:g} x target and >= {WEAK_MIN_PCT:g}% MVC)")
    if STRONG_MIN * target_pct > 85.0:
        raise ValueError(f"target {target_pct:g}% MVC is too high for strong reps (>= {STRONG_MIN:g} x target)")
    rs = _realities(reality)
    spec = sensor or SensorSpec()
    sp_rng = _rng(seed, "part")
    gain = float(np.clip(1 + sp_rng.normal(0, float(spec.part_to_part_pct) / 100), 0.5, 1.5))  # type: ignore[arg-type]
    zb = float(_rng(seed, "zero").uniform(-1, 1)) * spec.hx_zero_balance_mv_per_v  # load cell zero balance, mV/V
    zero_kg = zb / spec.hx_rated_mv_per_v * spec.hx_capacity_kg if spec.kind == "load_cell_hx711" else 0.0
    spec, size_note = _size_for_reality(spec, rs, gain, zero_kg)

    path, presses, cal_end, mid_rests = _plan(exercise, rs, seed, n_reps, weak_fraction, target_pct)
    env = path.arrays()
    tr_rng = _rng(seed, "tremor")
    tp = REALITY_PARAMS["tremor"]
    fc = _u(tr_rng, tp["centre_hz"])  # type: ignore[arg-type]
    lo_hz, hi_hz = tp["band_hz"]  # type: ignore[misc]
    room = min(fc - lo_hz, hi_hz - fc)
    mods = tuple((room * 0.45, float(tr_rng.uniform(0.1, 0.5)), float(tr_rng.uniform(0, 2 * np.pi))) for _ in range(2))
    tremor = _Tremor("tremor" in rs, fc, mods, (0.3, float(tr_rng.uniform(0.2, 0.6)), float(tr_rng.uniform(0, 6.28))),
                     float(tr_rng.uniform(0, 6.28)), float(tp["rms_pct_of_force"]) / 100.0)  # type: ignore[arg-type]
    reps = [r for r in _truth(presses, env, tremor) if r.t_start >= cal_end]

    t_stop = path.t
    dropouts = "dropouts" in rs
    t_true = _board_times(spec, rate_hz, t_stop, dropouts, seed)
    # HX711: conversions at its own ~80 SPS; the board reads the latest one (the firmware repeats it).
    if spec.kind == "load_cell_hx711":
        hx_rng = _rng(seed, "hx711")
        period = 1.0 / (spec.hx_rate_sps * (1 + hx_rng.uniform(-spec.hx_rate_tolerance, spec.hx_rate_tolerance)))
        t_conv = np.arange(hx_rng.uniform(0, period), t_stop + period, period)
    else:
        t_conv = t_true
    effort = _eval_path(env, t_conv)
    force_conv = np.maximum(effort + tremor(t_conv, effort), 0.0)

    # Load on the sensor, % of the MVC load above the preload
    load_pct = force_conv.copy()
    notes = [f"{exercise}, {spec.kind}, {rate_hz:g} Hz, seed {seed}, realities: {', '.join(sorted(rs)) or 'clean'}",
             f"part-to-part gain {gain:.3f} (+/-{spec.part_to_part_pct:g}% 1 SD)"]
    if size_note:
        notes.append(size_note)
    if "creep" in rs:
        taus = REALITY_PARAMS["creep"]["memory_taus_s"]  # type: ignore[assignment]
        init = None
        if "boot_mid_squeeze" in rs and presses and presses[0].kind == "boot":
            loaded = float(REALITY_PARAMS["boot_mid_squeeze"]["loaded_before_boot_s"])  # type: ignore[arg-type]
            init = np.array([presses[0].peak * (1 - math.exp(-loaded / tau)) for tau in taus])
        mem = _memory(t_conv, force_conv, taus, init)  # type: ignore[arg-type]
        # Under load the reading creeps up c% of the load per decade of time; after unloading
        # the ball and sensor recover over seconds to minutes (recovery < creep: part of the
        # creep goes back at once when the load comes off).
        c = float(spec.creep_pct_per_decade) / 100.0  # type: ignore[arg-type]
        r = float(spec.recovery_pct_per_decade) / 100.0  # type: ignore[arg-type]
        w = np.clip(force_conv / START_PCT, 0.0, 1.0)  # blend: fully "under load" above 5% MVC
        load_pct = load_pct + (r + (c - r) * w) * mem
        notes.append(f"creep {spec.creep_pct_per_decade:g}%/decade under load, recovery "
                     f"{spec.recovery_pct_per_decade:g}%/decade after, taus {taus} s")
    if "rest_step" in rs and mid_rests:
        st_rng = _rng(seed, "steps")
        p = REALITY_PARAMS["rest_step"]
        n_steps = min(int(p["steps"]), len(mid_rests))  # type: ignore[call-overload]
        at = sorted(st_rng.choice(len(mid_rests), n_steps, replace=False))
        pre = float(spec.preload)  # type: ignore[arg-type]
        mvc_load = float(spec.mvc_load)  # type: ignore[arg-type]
        span = _device_value(spec, pre + mvc_load) - _device_value(spec, pre)
        level = 0.0  # load added so far, % of the MVC load
        steps = []
        for i in at:
            mag = _u(st_rng, p["step_pct_mvc"])  # type: ignore[arg-type]
            sign = 1.0 if st_rng.random() < 0.5 else -1.0
            # The step is in the reading (% of the calibrated MVC span), as a detector sees it;
            # the load step that makes it depends on the sensor's curve where the rest sits.
            here = pre + level / 100.0 * mvc_load
            floor = 0.01 * mvc_load
            if sign < 0 and _device_value(spec, floor) > _device_value(spec, here) - mag / 100.0 * span:
                sign = 1.0  # not enough preload to step down that far
            want = _device_value(spec, here) + sign * mag / 100.0 * span
            lo, hi = (here, here + mvc_load) if sign > 0 else (floor, here)
            for _ in range(60):
                mid = (lo + hi) / 2
                if _device_value(spec, mid) < want:
                    lo = mid
                else:
                    hi = mid
            d_pct = ((lo + hi) / 2 - here) / mvc_load * 100.0
            level += d_pct
            load_pct = load_pct + np.where(t_conv >= mid_rests[i], d_pct, 0.0)
            steps.append(f"{sign * mag:+.1f}% of the MVC reading at {mid_rests[i]:.1f} s (load {d_pct:+.1f}%)")
        notes.append("rest steps " + ", ".join(steps))
    drift_sign = 1.0 if _rng(seed, "drift").random() < 0.5 else -1.0
    if "drift" in rs and spec.kind != "air_pressure":
        load_pct = load_pct + drift_sign * float(spec.drift_pct_per_min) * t_conv / 60.0  # type: ignore[arg-type]
        notes.append(f"drift {drift_sign * float(spec.drift_pct_per_min):+.2f}% MVC/min")  # type: ignore[arg-type]
    hyst = float(spec.hysteresis_pct) / 100.0 if "hysteresis" in rs else 0.0  # type: ignore[arg-type]
    unload_w = _unload_weight(t_conv, effort, presses) if hyst else np.zeros_like(t_conv)
    if hyst:
        notes.append(f"hysteresis +{spec.hysteresis_pct:g}% average on unloading")
    if tremor.on:
        notes.append(f"tremor {fc:.1f} Hz (6-12 Hz), rms {tremor.rms_frac * 100:g}% of force")

    adc_rng = _rng(seed, "adc")
    volts_conv: np.ndarray | None
    mvc = float(spec.mvc_load)  # type: ignore[arg-type]
    pre = float(spec.preload)  # type: ignore[arg-type]
    if spec.kind == "fsr_divider":
        load_n = pre + load_pct / 100.0 * mvc
        volts_conv = _fsr_volts(spec, load_n, gain, unload_w, hyst)
        counts_conv = _adc(spec, volts_conv, adc_rng)
    elif spec.kind == "air_pressure":
        offset_v = spec.vcc_v * spec.mpx_offset_frac + float(_rng(seed, "mpx").uniform(0.0, 0.1))
        lin = load_pct / 100.0 * mvc * (1 + hyst * 1.5 * unload_w)
        volts_conv = _air_volts(spec, lin, t_conv, "drift" in rs, gain, offset_v)
        counts_conv = _adc(spec, volts_conv, adc_rng)
        if "drift" in rs:
            notes.append(f"air ball warm-up {spec.air_warm_k:g} K (tau {spec.air_warm_tau_s:g} s), "
                         f"leak tau {spec.air_leak_tau_s:g} s")
    else:
        volts_conv = None
        kg = pre + load_pct / 100.0 * mvc * gain * (1 + hyst * 1.5 * unload_w)
        v_diff = spec.hx_avdd_v * (spec.hx_rated_mv_per_v * kg / spec.hx_capacity_kg + zb) / 1000.0
        raw = v_diff / spec.hx_full_scale_v * 2 ** 23 + adc_rng.normal(0, _hx_noise_counts(spec), len(kg))
        counts_conv = np.clip(np.round(raw), -(2 ** 23), 2 ** 23 - 1).astype(np.int64)

    if spec.kind == "load_cell_hx711":
        idx = np.clip(np.searchsorted(t_conv, t_true, side="right") - 1, 0, len(t_conv) - 1)
        counts = counts_conv[idx].astype(float)
        volts = None
    else:
        counts = counts_conv.astype(float)
        volts = volts_conv
    force_pct = np.maximum(_eval_path(env, t_true) + tremor(t_true, _eval_path(env, t_true)), 0.0)

    if dropouts:
        codes = _read_failures(spec, len(counts), t_stop, seed)
        failure_codes = spec.failure_codes or (0,)
        bad = codes > 0
        counts[bad] = np.array(failure_codes, dtype=float)[codes[bad] - 1]
        if volts is not None:
            volts = volts.copy()
            volts[bad & (counts == 0)] = 0.0  # a broken lead: the divider pulls the pin to 0 V
        notes.append(f"read failures {spec.dropout_rate * 100:g}% isolated + {spec.dropout_bursts_per_min:g}/min "
                     f"bursts of {spec.dropout_burst_len[0]}-{spec.dropout_burst_len[1]} (codes {failure_codes}); "
                     f"{spec.missing_rate * 100:g}% lines lost, {spec.gaps_per_min:g}/min gaps of "
                     f"{spec.gap_ms[0]:g}-{spec.gap_ms[1]:g} ms, jitter {spec.jitter_ms:g} ms SD")
    for name in ("fast_tapping", "slow_release", "incomplete_release", "boot_mid_squeeze"):
        if name in rs:
            notes.append(f"{name}: {REALITY_PARAMS[name].get('what') or REALITY_PARAMS[name].get('shape') or ''}".rstrip(": "))
    notes.append(f"target {target_pct:g}% MVC: weak reps {WEAK_MIN_PCT:g}-{WEAK_MAX * target_pct:.1f}%, "
                 f"strong >= {STRONG_MIN * target_pct:.1f}%; calibration ends at {cal_end:.3f} s")
    return ProfileTrace(t=_stamp(t_true), counts=counts, volts=volts, force_pct=force_pct, reps=reps,
                        calibration_end_s=float(cal_end), sensor=spec, notes="; ".join(notes))


def force_at(trace: ProfileTrace, t: float) -> float:
    """The true applied force (% MVC) at time ``t``, interpolated between samples."""
    return float(np.interp(t, trace.t, trace.force_pct))


def volts_at(trace: ProfileTrace, t: float) -> float:
    """The analog pin voltage at time ``t`` (ADC sensors), interpolated between samples."""
    if trace.volts is None:
        raise ValueError(f"a {trace.sensor.kind} sensor has no analog pin voltage")
    return float(np.interp(t, trace.t, trace.volts))


def calibration_windows(trace: ProfileTrace) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """The calibration phase's rest window and its three squeeze windows, (start, end) in trace time.

    The phase is timed like the game's calibration scene and ends CAL_AFTER_S after the
    last squeeze window; when the board booted mid-squeeze the phase starts 2 s after
    that squeeze was let go, so everything is placed from ``calibration_end_s``.
    """
    start = trace.calibration_end_s - CAL_LENGTH_S
    rest = (start, start + CAL_REST_S)
    trials = []
    for k in range(CAL_TRIALS):
        w0 = start + CAL_REST_S + k * (CAL_READY_S + CAL_SQUEEZE_S + CAL_RELAX_S) + CAL_READY_S
        trials.append((w0, w0 + CAL_SQUEEZE_S))
    return rest, trials


def sensor_realities_table() -> list[dict[str, object]]:
    """Each reality with its parameters (for the README and the benchmark), and the sensors' defaults."""
    rows: list[dict[str, object]] = [{"reality": name, **REALITY_PARAMS[name]} for name in REALITIES]
    for kind in SENSOR_KINDS:
        spec = SensorSpec(kind=kind)
        rows.append({"sensor": kind, **{f.name: getattr(spec, f.name) for f in fields(spec)
                                         if f.name in _KIND_DEFAULTS[kind] or f.name in ("adc_vref_v", "adc_average")}})
    return rows


def format_realities_table() -> str:
    """sensor_realities_table() as plain text lines."""
    out = []
    for row in sensor_realities_table():
        head = row.get("reality") or f"sensor {row.get('sensor')}"
        params = ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("reality", "sensor"))
        out.append(f"{head}: {params}")
    return "\n".join(out)
