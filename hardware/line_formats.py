"""The text lines a squeeze ball sends, and how each becomes force and roll.

Five formats, detected from the first lines or fixed by a device profile:

``number``
    a bare number per line: what the unmodified Arduino ``AnalogReadSerial``
    (an integer) and ``ReadAnalogVoltage`` (a voltage) examples print.
``plotter``
    Arduino Serial Plotter style, ``label:value`` pairs separated by comma,
    space or tab (``fsr:512,gx:-3.5``).
``labelled``
    text labels each followed by ``:`` or ``=`` and a number, with any text
    between the pairs: the stock ``AnalogInOutSerial`` example
    (``sensor = 512\t output = 127``) and the HX711 library examples
    (``HX711 reading: 123456``, ``one reading:\t0.12\t| average:\t0.11``).
    A label's value is the first number after its ``:``/``=``; anything after
    that number up to the next label (units, a second number) is ignored.
``csv``
    numbers separated by commas, or by spaces/tabs (the Serial Plotter's
    unlabelled form, ``512 300``), with a column map (``fsr,ax,ay,az,gx,gy,gz``);
    a header line of names sets the map by itself.
``firmware``
    this project's own protocol (``hardware/firmware/PROTOCOL.md``):
    ``D,<seq>,<ms>,<force>[,<gx>,<gy>,<gz>]*<crc16>``, with a CRC so a corrupt
    line is never mistaken for a squeeze.

When a line holds several values, force is the profile's field, else the first
field whose name is a force name (``force``, ``fsr``, ``sensor``, ``pressure``,
``reading``, ``raw``... exactly, then as part of a longer name such as
``sensorValue`` or ``HX711 reading``), else the first field.
:meth:`LineParser.force_field` says which, for ``devices`` and ``monitor``.

Parsing never raises on bad input: every dropped line is counted under a
reason (garbage, not finite, out of range, read failure, checksum, overlong,
wrong fields), so the screen can say how healthy the link is. Two realities
of real boards are handled rather than dropped: a device time field that
wraps or jumps is re-based (:class:`DeviceTimeline`), and force readings a
device cannot produce are refused (:class:`ForceRange`).
"""

from __future__ import annotations

import binascii
import importlib.resources
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

MAX_LINE_BYTES = 256  # longer than any real reading line: anything beyond is noise
DEFAULT_FORCE_LIMIT = 1e7  # covers a raw 24-bit HX711 count; beyond that the line is corrupt
DEFAULT_ROLL_LIMIT = 5000.0  # deg/s; an MPU-6050 tops out at 2000

# Drop reasons, as counted and shown.
GARBAGE = "garbage"
NOT_FINITE = "not_finite"
OUT_OF_RANGE = "out_of_range"
CHECKSUM = "checksum"
NON_MONOTONIC = "non_monotonic"
OVERLONG = "overlong"
WRONG_FIELDS = "wrong_fields"
READ_FAILURE = "read_failure"  # a zero or negative error code where the sensor cannot read that: a gap
DROP_REASONS = (GARBAGE, NOT_FINITE, OUT_OF_RANGE, READ_FAILURE, CHECKSUM, NON_MONOTONIC, OVERLONG, WRONG_FIELDS)


class LineFormat(str, Enum):
    NUMBER = "number"
    PLOTTER = "plotter"
    CSV = "csv"
    FIRMWARE = "firmware"
    LABELLED = "labelled"


# Names a maker is likely to give each channel (compared after lower-casing and
# removing everything but letters and digits).
FORCE_NAMES = ("force", "fsr", "grip", "pressure", "press", "load", "weight", "squeeze", "hx711", "sensor",
               "value", "a0", "analog", "reading", "raw")
ROLL_X_NAMES = ("gx", "gyrox", "gyx", "rollx", "rotx", "wx")
ROLL_Y_NAMES = ("gy", "gyroy", "gyy", "rolly", "roty", "wy")
TIME_NAMES = {"ms": 1e-3, "millis": 1e-3, "timems": 1e-3, "tms": 1e-3, "us": 1e-6, "micros": 1e-6,
              "t": 1.0, "time": 1.0, "s": 1.0, "seconds": 1.0}
# CSV without a header: the layouts existing DIY grip balls use, by column count.
CSV_DEFAULT_COLUMNS = {
    7: ("fsr", "ax", "ay", "az", "gx", "gy", "gz"),
    4: ("fsr", "gx", "gy", "gz"),
    3: ("fsr", "gx", "gy"),
}

FIRMWARE_PREFIX = b"D,"
FIRMWARE_INFO_PREFIX = b"I,"


def norm_name(name: str | bytes) -> str:
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    return re.sub(r"[^a-z0-9]", "", name.lower())


def crc16(data: bytes) -> int:
    """CRC-16/XMODEM (poly 0x1021, init 0), as the firmware computes it."""
    return binascii.crc_hqx(data, 0)


def firmware_line(seq: int, ms: int, force: float, gyro: Sequence[float] | None = None) -> bytes:
    """One data line of the firmware protocol, with its checksum (for fakes and tests)."""
    body = f"D,{seq},{ms},{force:g}"
    if gyro is not None:
        body += "," + ",".join(f"{g:g}" for g in gyro)
    raw = body.encode()
    return raw + b"*%04X\n" % crc16(raw)


def firmware_info_line(version: str = "1.0.0", *, sensor: str = "fsr", imu: str = "mpu6050", hz: int = 200) -> bytes:
    raw = f"I,squeeze-ball,{version},proto=1,force={sensor},imu={imu},hz={hz}".encode()
    return raw + b"*%04X\n" % crc16(raw)


# --------------------------------------------------------------------------- mapping
@dataclass(frozen=True, slots=True)
class Channel:
    """Where one game channel comes from: a field index (or label), a sign and a scale."""

    key: str | int
    scale: float = 1.0


def parse_channel(spec: str | None, *, scale: float = 1.0) -> Channel | None:
    """``"gx"``, ``"-gy"`` (inverted) or ``"none"``."""
    if spec is None:
        return None
    spec = spec.strip()
    if spec.lower() in ("", "none", "off"):
        return None
    sign = 1.0
    if spec[0] in "+-":
        sign = -1.0 if spec[0] == "-" else 1.0
        spec = spec[1:]
    return Channel(norm_name(spec), sign * scale)


@dataclass(frozen=True)
class ChannelMap:
    """Which named fields become force, roll_x, roll_y and device time."""

    force: str | None = None  # None: pick by name, else the first field
    force_scale: float = 1.0  # -1 for sensors whose reading drops when squeezed
    roll_x: str | None = None  # None: pick by name ("gx", "gyroX"...); "none" for no roll
    roll_y: str | None = None
    roll_scale: float = 1.0  # device roll units to deg/s
    time: str | None = None  # a device time column (ms, us, t...), None: pick by name
    # The raw readings (before force_scale) the device can produce; None: learnt from the
    # readings themselves (see ForceRange).
    force_range: tuple[float, float] | None = None
    roll_limit: float = DEFAULT_ROLL_LIMIT


def _pick(names: Sequence[str], wanted: str | None, candidates: Iterable[str], default_first: bool) -> Channel | None:
    if wanted is not None:
        ch = parse_channel(wanted)
        if ch is None:
            return None
        if ch.key in names:
            return ch
        raise ValueError(f"no field named '{wanted}' in {list(names)}")
    candidates = tuple(candidates)
    for c in candidates:
        if c in names:
            return Channel(c)
    if default_first:
        # A longer name holding a force name ("sensorvalue", "hx711reading", "onereading").
        for c in candidates:
            if len(c) >= 3:
                for n in names:
                    if c in n:
                        return Channel(n)
    if default_first and names:
        return Channel(names[0])
    return None


@dataclass(frozen=True)
class Layout:
    """A resolved mapping: for CSV, field indexes; for plotter, labels."""

    force: Channel
    roll_x: Channel | None
    roll_y: Channel | None
    time: Channel | None
    n_fields: int | None = None  # CSV: lines must have exactly this many fields

    @property
    def has_roll(self) -> bool:
        return self.roll_x is not None or self.roll_y is not None


def resolve_layout(names: Sequence[str], cmap: ChannelMap, *, by_index: bool) -> Layout:
    names = [norm_name(n) for n in names]
    time_ch: Channel | None = None
    if cmap.time is not None:
        time_ch = _pick(names, cmap.time, (), False)
        if time_ch is not None:
            time_ch = Channel(time_ch.key, TIME_NAMES.get(str(time_ch.key), 1e-3))
    else:
        for n in names:
            if n in TIME_NAMES:
                time_ch = Channel(n, TIME_NAMES[n])
                break
    others = [n for n in names if time_ch is None or n != time_ch.key]
    force = _pick(others, cmap.force, FORCE_NAMES, True)
    if force is None:
        raise ValueError("no force field")
    rx = _pick(names, cmap.roll_x, ROLL_X_NAMES, False)
    ry = _pick(names, cmap.roll_y, ROLL_Y_NAMES, False)
    force = Channel(force.key, force.scale * cmap.force_scale)
    rx = Channel(rx.key, rx.scale * cmap.roll_scale) if rx else None
    ry = Channel(ry.key, ry.scale * cmap.roll_scale) if ry else None
    if by_index:
        def idx(ch: Channel | None) -> Channel | None:
            return None if ch is None else Channel(names.index(str(ch.key)), ch.scale)

        return Layout(idx(force), idx(rx), idx(ry), idx(time_ch), n_fields=len(names))  # type: ignore[arg-type]
    return Layout(force, rx, ry, time_ch)


# --------------------------------------------------------------------------- device time
class DeviceTimeline:
    """A device time field made into one continuous, increasing timeline.

    Real boards break a naive "time must increase" rule: a 32-bit ``millis()``
    wraps to 0 after 49.7 days (``micros()`` after 71.6 minutes), a 16-bit
    counter every 65.5 s, and a board can step its clock once (a sketch that
    resets its counter, a corrupt digit). Dropping every line until the time
    passes the old value again silences the ball for good, so instead:

    - a step forward of up to ``max(2 s, 50 periods)`` is ordinary;
    - a step back that a counter wrap (2^16 or 2^32 of the field's unit, and
      for a seconds field 2^32 ms and 2^32 us) turns into an ordinary step is
      a wrap: the modulus is added from then on, so the time stays exact;
    - anything else (a jump forward or back) is re-based: the line is placed
      one typical period after the previous one and the new time carries on
      from there. If the very next line continues the old time, the jump was
      one bad line and the old timeline is taken up again.

    No reading is dropped for its time; the only gap is the jump itself.
    """

    __slots__ = ("_base", "_gap", "_last", "_last_raw", "_moduli", "_period", "_undo", "jumps", "wraps")

    def __init__(self, scale: float = 1e-3) -> None:
        mods = {m * scale for m in (2 ** 16, 2 ** 32)}
        if scale >= 1.0:  # a seconds field printed as millis()/1000.0 or micros()/1e6
            mods |= {2 ** 32 * 1e-3, 2 ** 32 * 1e-6}
        self._moduli = tuple(sorted(mods))
        self.wraps = 0
        self.jumps = 0
        self.reset()

    def reset(self) -> None:
        """The device restarted: its next time starts a new timeline."""
        self._last_raw = math.nan  # nan: no time yet (every comparison with it is false)
        self._last = 0.0
        self._base = 0.0
        self._period: float | None = None
        self._gap = 2.0  # the largest ordinary step: max(2 s, 50 periods)
        self._undo: tuple[float, float] | None = None

    def place(self, t: float) -> float:
        """The time on the continuous timeline for a device time ``t`` (seconds)."""
        d = t - self._last_raw
        if 0.0 < d <= self._gap and self._undo is None and self._period is not None:  # the hot path
            self._period += 0.05 * (d - self._period)
            v = t + self._base
            if v <= self._last:
                v = self._last + 1e-6
            self._last_raw = t
            self._last = v
            return v
        return self._place_slow(t, d)

    def _place_slow(self, t: float, d: float) -> float:
        last_raw = self._last_raw
        if math.isnan(last_raw):
            self._last_raw = t
            self._last = t + self._base
            return self._last
        per = self._period if self._period is not None else 0.01
        gap = self._gap = max(2.0, 50.0 * per)
        if 0.0 < d <= gap:
            v = t + self._base
            self._period = d if self._period is None else self._period + 0.05 * (d - self._period)
            self._undo = None
        else:
            undo, self._undo = self._undo, None
            if undo is not None and 0.0 < t - undo[0] <= gap:
                # the previous line alone had a wrong time: back onto the old timeline
                self._base = undo[1]
                v = t + self._base
                self.jumps -= 1
            else:
                for m in self._moduli:
                    if 0.0 < d + m <= gap and last_raw >= m / 2 - gap:
                        self._base += m
                        v = t + self._base
                        self.wraps += 1
                        break
                else:
                    self._undo = (last_raw, self._base)
                    v = self._last + per
                    self._base = v - t
                    self.jumps += 1
        if v <= self._last:
            v = self._last + 1e-6
        self._last_raw = t
        self._last = v
        return v


# --------------------------------------------------------------------------- plausible force
INT_CLASSES: tuple[tuple[float, float], ...] = (
    (0.0, 1023.0),  # 10-bit ADC (Uno, Nano, Pro Micro analogRead)
    (0.0, 4095.0),  # 12-bit ADC (ESP32, SAMD, RP2040 with analogReadResolution(12))
    (0.0, 65535.0),  # 16-bit (ADS1115 single-ended, analogReadResolution(16))
    (-8388608.0, 8388607.0),  # 24-bit signed: a raw HX711 count
    (-DEFAULT_FORCE_LIMIT, DEFAULT_FORCE_LIMIT),  # anything a line can sensibly hold
)
VOLTAGE_CLASS = (0.0, 5.5)  # ReadAnalogVoltage on a 5 V or 3.3 V board, with a margin
SENSOR_RANGES: dict[str, tuple[float, float]] = {
    "adc10": INT_CLASSES[0], "adc12": INT_CLASSES[1], "adc16": INT_CLASSES[2], "hx711": INT_CLASSES[3],
    "voltage": VOLTAGE_CLASS,
}


class ForceRange:
    """Which raw force readings a device can produce; the rest are refused.

    The range comes from the device profile (``force_range`` or ``sensor``),
    else it is learnt: the first readings choose the smallest class that holds
    them (a 10-bit ADC 0-1023, 12-bit 0-4095, 16-bit 0-65535, a 24-bit signed
    HX711 count, else +-1e7; readings with decimals that stay within 0-5.5 are
    a voltage), and a calibration widens it (:meth:`expect`). A learnt range
    grows when the device shows it can read more: three or more readings in a
    row outside it that move like a real signal (not all equal, each within
    half of its neighbour's size of it). A repeated glitch such as ``1e7`` or
    ``-1`` between ordinary readings never does, so it is refused as
    ``out_of_range`` every time.

    Read failures are gaps, not force (reason ``read_failure``):

    - a negative reading from a device whose range starts at 0 (an error code);
    - a zero from a sensor that reads higher when squeezed and whose rest level
      is clearly above zero: the lowest reading of the last ~500 (up to the one
      before) is at least 2% of the range (20 counts on a 10-bit ADC), so a
      release that comes down through low readings to 0 is read. A pressure sensor's 0.2 V
      offset or a pre-loaded FSR never truly reads 0, but a pull-down FSR
      divider rests at 0 legitimately, and its zeros are readings. A sensor
      whose reading drops when squeezed (``force_scale`` < 0) reads its lowest
      at full force, so its zeros are always readings.
    - on a signed device (a raw HX711 count), a 0 or -1 (the libraries' "no
      reading") when its readings rise with force and have stayed at least
      1024 counts above zero (ten times an HX711's noise): such a reading
      cannot be reached without passing through the values in between.
    - Failures that go on for 100 lines in a row are the device's new reality
      (a rewired sensor, a tared scale resting at -1): they become readings.
    """

    __slots__ = ("_blk_left", "_blk_min", "_calm", "_chain", "_decimals", "_fail_run", "_first", "_mins", "fixed",
                 "hi", "lo", "primed", "rising", "zero_is_failure")
    CHAIN = 3  # out-of-range readings in a row that move like a signal: the range grows
    PERSIST = 100  # read failures in a row after which they are believed
    BLOCK = 64  # readings per block of the rest-level minimum
    BLOCKS = 8

    def __init__(self, fixed: tuple[float, float] | None = None, *, rising: bool = True) -> None:
        self.fixed = fixed is not None
        self.lo, self.hi = (float(fixed[0]), float(fixed[1])) if fixed else INT_CLASSES[-1]
        self.rising = rising
        self.primed = self.fixed
        self.zero_is_failure = False
        self._first: list[float] = []
        self._decimals = False  # a reading with a fractional part was seen
        self._chain: list[float] = []
        self._fail_run = 0
        self._blk_min = math.inf
        self._blk_left = self.BLOCK
        self._mins: list[float] = []
        self._calm = False  # primed, and no failure run or chain going: the fast path needs nothing else

    def describe(self) -> str:
        how = "from the profile" if self.fixed else ("learnt" if self.primed else "learning")
        return f"{self.lo:.10g} to {self.hi:.10g} ({how})"

    # -- learning
    def _class_for(self, lo: float, hi: float) -> tuple[float, float] | None:
        if self._decimals and lo >= VOLTAGE_CLASS[0] and hi <= VOLTAGE_CLASS[1]:
            return VOLTAGE_CLASS
        for c in INT_CLASSES:
            if c[0] <= lo and hi <= c[1]:
                return c
        return None

    def _grow(self, lo: float, hi: float) -> bool:
        c = self._class_for(min(lo, self.lo) if self.primed else lo, max(hi, self.hi) if self.primed else hi)
        if c is None:
            return False
        self.lo, self.hi = c
        self._update_zero_rule()
        return True

    def prime(self, values: Sequence[float]) -> None:
        """Choose the learnt class from a device's first readings (a few extreme ones may be glitches)."""
        if self.fixed or self.primed:
            return
        vals = sorted(v for v in values if math.isfinite(v))
        if not vals:
            return
        self._decimals = self._decimals or any(not v.is_integer() for v in vals)
        cut = len(vals) // 8  # up to 1 in 8 at either end may be glitches
        core = vals[cut:len(vals) - cut] or vals
        self.primed = True
        c = self._class_for(core[0], core[-1])
        if c is not None:
            self.lo, self.hi = c
        # The rest level: the lowest reading, failure codes aside (a real low is never trimmed away).
        lows = [v for v in vals if v != 0.0 and v != -1.0]
        self._mins = [lows[0] if lows else vals[0]]
        self._update_zero_rule()

    def expect(self, lo: float, hi: float) -> None:
        """Readings from ``lo`` to ``hi`` are real (a calibration saw them): a learnt range grows to hold them."""
        if not self.fixed and math.isfinite(lo) and math.isfinite(hi):
            if not self.primed:
                self.primed = True
                self.lo, self.hi = lo, hi
            self._grow(lo, hi)

    def _update_zero_rule(self) -> None:
        # the blocks so far and the one being filled: a release that came down to near zero counts at once
        rest = min(min(self._mins), self._blk_min) if self._mins else None
        if rest is None or not self.rising:
            self.zero_is_failure = False
        elif self.lo >= 0.0:
            self.zero_is_failure = rest > 0.0 and rest >= 0.02 * (self.hi - self.lo)
        else:
            self.zero_is_failure = rest >= 1024.0

    # -- the check, once per reading
    def check(self, v: float) -> str | None:
        """None when ``v`` is a reading, else the reason it is not (the hot path: keep it short)."""
        if self.lo <= v <= self.hi and (not self.zero_is_failure or (v and v != -1.0)):
            if v < self._blk_min:  # noqa: PLR1730 - the hot path: no call to min()
                self._blk_min = v
            self._blk_left -= 1
            if not self._calm or not self._blk_left:
                self._accepted_slow(v)
            return None
        return self._outside(v)

    def _accepted_slow(self, v: float) -> None:
        self._fail_run = 0
        self._chain.clear()
        if not self._blk_left:
            self._mins.append(self._blk_min)
            if len(self._mins) > self.BLOCKS:
                del self._mins[0]
            self._blk_min, self._blk_left = math.inf, self.BLOCK
            self._update_zero_rule()
        if not self.primed:
            self._first.append(v)
            if len(self._first) >= 16:
                self.prime(self._first)
                self._first = []
        self._calm = self.primed

    def _outside(self, v: float) -> str | None:
        self._calm = False
        sentinel = self.lo <= v <= self.hi  # in range, so a 0 or -1 the zero rule refuses
        if sentinel:
            self._update_zero_rule()  # is the rest still clearly above zero, counting the newest readings?
            if not self.zero_is_failure:
                return self.check(v)
        failure = sentinel or v == 0.0 or (v < 0.0 <= self.lo)
        if not self.fixed and not sentinel and v != 0.0:
            if not v.is_integer():
                self._decimals = True
            chain = self._chain
            if chain and abs(v - chain[-1]) > 0.5 * max(abs(v), abs(chain[-1])):
                chain.clear()
            chain.append(v)
            if len(chain) >= self.CHAIN and min(chain) != max(chain) and self._grow(min(chain), max(chain)):
                chain.clear()
                self._fail_run = 0
                return self.check(v)
        if failure:
            self._fail_run += 1
            if self._fail_run >= self.PERSIST:
                self._fail_run = 0
                if sentinel or v == 0.0:
                    self._mins = [v]
                    self._update_zero_rule()
                elif not self.fixed:
                    self._grow(v, v)
                if self.lo <= v <= self.hi and (not self.zero_is_failure or (v and v != -1.0)):
                    return self.check(v)
            return READ_FAILURE
        return OUT_OF_RANGE


# --------------------------------------------------------------------------- parser
# One parsed reading: device time in seconds (or None), force, roll_x, roll_y, raw values.
Reading = tuple[float | None, float, float, float, tuple[float, ...]]


@dataclass
class ParseStats:
    ok: int = 0
    comments: int = 0  # version lines, '#' notes and blank lines: expected, not errors
    dropped: Counter = field(default_factory=Counter)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


_NUM_START = re.compile(rb"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)")
_LABEL_TRIM = b" \t\r|,;"
_HAS_LETTER = re.compile(rb"[A-Za-z]").search
_LAST_FIELD = re.compile(rb"[\t|,;]")


def labelled_pairs(line: bytes) -> list[tuple[bytes, bytes]]:
    """``label: value`` / ``label = value`` pairs in a line of free text, in order.

    A label is the text before a ``:`` or ``=``, back to the previous pair's
    number or the last separator (tab, ``|``, ``,``, ``;``), so a unit after
    a number is not part of the next label; it must hold a letter. Its value
    is the first number after the ``:``/``=``.
    Linear in the line's length whatever it holds (no backtracking regex).
    """
    segs = re.split(rb"[:=]", line)
    out = []
    rest = segs[0]
    for seg in segs[1:]:
        m = _NUM_START.match(seg)
        label = _LAST_FIELD.split(rest)[-1].strip(_LABEL_TRIM)
        if m is not None:
            if label and _HAS_LETTER(label):
                out.append((label, m.group(1)))
            rest = seg[m.end():]
        else:
            rest = seg
    return out


class LineParser:
    """Turns one line (bytes, without its newline) into a :data:`Reading`, or None.

    Built for one format and layout; ``parse`` is the hot path (hundreds of
    thousands of lines a second), so it avoids anything but splits and floats.
    """

    def __init__(self, fmt: LineFormat, cmap: ChannelMap | None = None, *, columns: Sequence[str] | None = None,
                 labels: Sequence[str] | None = None, separator: bytes | None = b",") -> None:
        self.format = LineFormat(fmt)
        self.cmap = cmap or ChannelMap()
        self.stats = ParseStats()
        self.info: dict[str, str] = {}  # from a firmware version line
        self._label_names: dict[bytes, str] = {}
        self._names: list[str] = list(labels or columns or [])  # as the device spells them, for force_field
        self.range = ForceRange(self.cmap.force_range, rising=self.cmap.force_scale >= 0)
        self._check_force = self.range.check
        self._rlim = float(self.cmap.roll_limit)
        self._sep = separator  # CSV: b"," or None for spaces/tabs
        self._fast: re.Pattern[bytes] | None = None
        self.layout: Layout | None = None
        if self.format is LineFormat.CSV:
            cols = list(columns) if columns else None
            self._columns = cols
            if cols:
                self.layout = resolve_layout(cols, self.cmap, by_index=True)
        elif self.format in (LineFormat.PLOTTER, LineFormat.LABELLED):
            if labels:
                self.layout = resolve_layout(labels, self.cmap, by_index=False)
        elif self.format is LineFormat.FIRMWARE:
            names = ["seq", "ms", "force", "gx", "gy", "gz"]
            fw_map = ChannelMap(force="force", force_scale=self.cmap.force_scale,
                                roll_x=self.cmap.roll_x or "gx", roll_y=self.cmap.roll_y or "gy",
                                roll_scale=self.cmap.roll_scale, time="ms")
            self.layout = resolve_layout(names, fw_map, by_index=True)
        if self.format is LineFormat.LABELLED:
            self._fast = self._known_labels()
        tscale = self.layout.time.scale if self.layout is not None and self.layout.time is not None else 1e-3
        self.timeline = DeviceTimeline(tscale)
        self._dispatch = {
            LineFormat.NUMBER: self._parse_number,
            LineFormat.PLOTTER: self._parse_plotter,
            LineFormat.LABELLED: self._parse_labelled,
            LineFormat.CSV: self._parse_csv,
            LineFormat.FIRMWARE: self._parse_firmware,
        }[self.format]

    @property
    def has_roll(self) -> bool:
        return self.layout is not None and self.layout.has_roll

    def force_field(self) -> str | None:
        """The field force is read from, as the device names it (None for one number per line)."""
        lay = self.layout
        if self.format is LineFormat.NUMBER or lay is None:
            return None
        key = lay.force.key
        if isinstance(key, int):
            cols = getattr(self, "_columns", None) or self._names
            return str(cols[key]) if self.format is not LineFormat.FIRMWARE and key < len(cols) else "force"
        for n in self._names:
            if norm_name(n) == key:
                return n
        for label, name in self._label_names.items():
            if name == key:
                return label.decode("ascii", "replace").strip()
        return str(key)

    def describe_force(self) -> str:
        """Which value is force, in words for ``devices`` and ``monitor``."""
        f = self.force_field()
        if f is None:
            return "force: the number" if self.format is LineFormat.NUMBER else "force: not yet known"
        lay = self.layout
        if self.format is LineFormat.CSV and lay is not None and isinstance(lay.force.key, int):
            return f"force: column {lay.force.key + 1} ('{f}')"
        return f"force: '{f}'"

    def reset_time(self) -> None:
        """Forget the last device time (the device restarted, or the port reopened)."""
        self.timeline.reset()

    def prime_range(self, lines: Iterable[bytes]) -> None:
        """Learn the device's plausible force range from its first lines before reading them for real."""
        if self.range.primed:
            return
        probe = LineParser(self.format, self.cmap, columns=getattr(self, "_columns", None) or None,
                           labels=self._names if self.format in (LineFormat.PLOTTER, LineFormat.LABELLED) else None,
                           separator=self._sep)
        raw: list[float] = []
        probe._check_force = raw.append  # every finite reading, as the device sent it
        probe.parse_lines(lines)
        if len(raw) >= 5:
            self.range.prime(raw)

    def parse(self, line: bytes) -> Reading | None:
        try:
            return self._dispatch(line)
        except Exception:  # noqa: BLE001 - hostile input must never crash the reader
            self.stats.dropped[GARBAGE] += 1
            return None

    def parse_lines(self, lines: Iterable[bytes]) -> list[Reading]:
        parse = self.parse
        out = []
        for line in lines:
            r = parse(line)
            if r is not None:
                out.append(r)
        return out

    # -- checks shared by every format
    def _finish(self, dev_t: float | None, fraw: float, fscale: float, rx: float, ry: float,
                raw: tuple[float, ...]) -> Reading | None:
        """``fraw`` is the device's own force reading; ``fscale`` turns it into force."""
        st = self.stats
        if not (math.isfinite(fraw) and math.isfinite(rx) and math.isfinite(ry)):
            st.dropped[NOT_FINITE] += 1
            return None
        if abs(rx) > self._rlim or abs(ry) > self._rlim:
            st.dropped[OUT_OF_RANGE] += 1
            return None
        if dev_t is not None and not math.isfinite(dev_t):
            st.dropped[NOT_FINITE] += 1
            return None
        why = self._check_force(fraw)
        if why is not None:
            st.dropped[why] += 1
            return None
        if dev_t is not None:
            dev_t = self.timeline.place(dev_t)
        st.ok += 1
        return (dev_t, fraw * fscale, rx, ry, raw)

    def _comment(self, line: bytes) -> bool:
        s = line.strip()
        if not s or s[:1] == b"#":
            self.stats.comments += 1
            return True
        return False

    # -- the formats
    def _parse_number(self, line: bytes) -> Reading | None:
        try:
            v = float(line)
        except ValueError:
            if self._comment(line):
                return None
            self.stats.dropped[GARBAGE] += 1
            return None
        if b"_" in line:  # float() accepts 1_000; a serial line never legitimately does
            self.stats.dropped[GARBAGE] += 1
            return None
        return self._finish(None, v, self.cmap.force_scale, 0.0, 0.0, (v,))

    def _parse_csv(self, line: bytes) -> Reading | None:
        parts = line.split(self._sep) if self._sep else line.split()
        lay = self.layout
        if lay is None:
            # No map yet: the first line decides (a header, or numbers by count).
            if self._comment(line):
                return None
            try:
                [float(p) for p in parts]
            except ValueError:
                names = [p.strip().decode("ascii", "replace") for p in parts]
                if all(norm_name(n) for n in names):
                    self._columns = names
                    self.layout = resolve_layout(names, self.cmap, by_index=True)
                    self.timeline = DeviceTimeline(self.layout.time.scale if self.layout.time else 1e-3)
                    self.stats.comments += 1
                    return None
                self.stats.dropped[GARBAGE] += 1
                return None
            cols = CSV_DEFAULT_COLUMNS.get(len(parts)) or tuple(
                ["force"] + [f"c{i}" for i in range(2, len(parts) + 1)])
            self._columns = list(cols)
            self.layout = lay = resolve_layout(cols, self.cmap, by_index=True)
        if len(parts) != lay.n_fields:
            if self._comment(line):
                return None
            self.stats.dropped[WRONG_FIELDS] += 1
            return None
        try:
            vals = tuple(map(float, parts))
        except ValueError:
            if self._comment(line):
                return None
            self.stats.dropped[GARBAGE] += 1
            return None
        f = lay.force
        rx = vals[lay.roll_x.key] * lay.roll_x.scale if lay.roll_x else 0.0  # type: ignore[index]
        ry = vals[lay.roll_y.key] * lay.roll_y.scale if lay.roll_y else 0.0  # type: ignore[index]
        dev_t = vals[lay.time.key] * lay.time.scale if lay.time else None  # type: ignore[index]
        return self._finish(dev_t, vals[f.key], f.scale, rx, ry, vals)  # type: ignore[index]

    _PLOTTER_SPLIT = re.compile(rb"[,\t ]+")

    def _label_name(self, label: bytes) -> str:
        names = self._label_names
        name = names.get(label)
        if name is None:
            name = norm_name(label)
            if len(names) < 64:  # a ball has a handful of labels; garbage must not grow the cache
                names[label] = name
        return name

    def _parse_plotter(self, line: bytes) -> Reading | None:
        tokens = self._PLOTTER_SPLIT.split(line.strip())
        d: dict[str, float] = {}
        for tok in tokens:
            if not tok:
                continue
            label, sep, value = tok.rpartition(b":")
            if not sep or not label:
                if self._comment(line):
                    return None
                self.stats.dropped[GARBAGE] += 1
                return None
            d[self._label_name(label)] = float(value)
        if not d:
            self.stats.comments += 1
            return None
        return self._from_fields(d)

    def _known_labels(self) -> re.Pattern[bytes] | None:
        # The labels seen at detection, found directly: several times faster than labelled_pairs.
        labels = [n.encode("ascii", "replace") for n in self._names if n.strip()]
        if not labels:
            return None
        alts = b"|".join(re.sub(rb"\\ ", rb"\\s+", re.escape(lb.strip())) for lb in sorted(labels, key=len, reverse=True))
        return re.compile(rb"(?:^|(?<=[\s|,;]))(" + alts + rb")\s*[:=]\s*" + _NUM_START.pattern[3:])

    def _parse_labelled(self, line: bytes) -> Reading | None:
        d: dict[str, float] = {}
        fast = self._fast
        if fast is not None:
            for label, value in fast.findall(line):
                name = self._label_name(label)
                if name not in d:
                    d[name] = float(value)
            if self.layout is not None and self.layout.force.key in d:
                return self._from_fields(d)
            d = {}
        for label, value in labelled_pairs(line):
            name = self._label_name(label)
            if name not in d:
                d[name] = float(value)
        if not d:
            if self._comment(line):
                return None
            self.stats.dropped[GARBAGE] += 1
            return None
        return self._from_fields(d)

    def _from_fields(self, d: dict[str, float]) -> Reading | None:
        lay = self.layout
        if lay is None:
            try:
                self.layout = lay = resolve_layout(list(d), self.cmap, by_index=False)
            except ValueError:
                self.stats.dropped[WRONG_FIELDS] += 1
                return None
            if lay.time is not None:
                self.timeline = DeviceTimeline(lay.time.scale)
        fv = d.get(lay.force.key)  # type: ignore[arg-type]
        if fv is None:
            self.stats.dropped[WRONG_FIELDS] += 1
            return None
        rx = d.get(lay.roll_x.key, 0.0) * lay.roll_x.scale if lay.roll_x else 0.0  # type: ignore[arg-type]
        ry = d.get(lay.roll_y.key, 0.0) * lay.roll_y.scale if lay.roll_y else 0.0  # type: ignore[arg-type]
        dev_t = None
        if lay.time is not None and lay.time.key in d:
            dev_t = d[lay.time.key] * lay.time.scale  # type: ignore[index]
        return self._finish(dev_t, fv, lay.force.scale, rx, ry, tuple(d.values()))

    def _parse_firmware(self, line: bytes) -> Reading | None:
        line = line.rstrip()
        star = line.rfind(b"*")
        if star < 0 or len(line) - star != 5:
            if self._comment(line):
                return None
            self.stats.dropped[GARBAGE] += 1
            return None
        body = line[:star]
        if crc16(body) != int(line[star + 1:], 16):
            self.stats.dropped[CHECKSUM] += 1
            return None
        if body[:2] == FIRMWARE_INFO_PREFIX:
            self._read_info(body)
            return None
        if body[:2] != FIRMWARE_PREFIX:
            self.stats.dropped[GARBAGE] += 1
            return None
        parts = body[2:].split(b",")
        n = len(parts)
        if n != 3 and n != 6:
            self.stats.dropped[WRONG_FIELDS] += 1
            return None
        vals = tuple(map(float, parts))
        lay = self.layout
        assert lay is not None
        rx = vals[lay.roll_x.key] * lay.roll_x.scale if (lay.roll_x and n == 6) else 0.0  # type: ignore[index]
        ry = vals[lay.roll_y.key] * lay.roll_y.scale if (lay.roll_y and n == 6) else 0.0  # type: ignore[index]
        return self._finish(vals[1] * 1e-3, vals[2], lay.force.scale, rx, ry, vals)

    def _read_info(self, body: bytes) -> None:
        # I,squeeze-ball,<version>,key=value,...: the firmware announcing itself after a reset.
        fields = body.decode("ascii", "replace").split(",")
        info = {"device": fields[1] if len(fields) > 1 else "", "version": fields[2] if len(fields) > 2 else ""}
        for f in fields[3:]:
            k, _, v = f.partition("=")
            info[k.strip()] = v.strip()
        self.info = info
        self.reset_time()  # a reset restarts the device clock at zero
        self.stats.comments += 1


# --------------------------------------------------------------------------- detection
@dataclass(frozen=True)
class Detected:
    """What the first lines from a port look like."""

    format: LineFormat
    columns: tuple[str, ...] | None = None  # CSV column names (header or default by count)
    labels: tuple[str, ...] | None = None  # plotter / labelled labels, as the device spells them
    score: float = 0.0  # fraction of the examined lines that parsed
    good_lines: int = 0
    info: dict[str, str] = field(default_factory=dict)
    separator: bytes | None = b","  # CSV: comma, or None for spaces/tabs
    header: bool = False  # CSV: the columns came from a header line

    def describe(self) -> str:
        if self.format is LineFormat.CSV and self.columns:
            kind = "CSV" if self.separator else "values separated by spaces"
            return f"{kind} ({','.join(self.columns)})"
        if self.format is LineFormat.PLOTTER and self.labels:
            return f"Serial Plotter ({','.join(self.labels)})"
        if self.format is LineFormat.LABELLED and self.labels:
            return "labelled values (" + ", ".join(self.labels) + ")"
        if self.format is LineFormat.FIRMWARE:
            v = self.info.get("version")
            return f"Squeeze Quest firmware{f' {v}' if v else ''}"
        return {"number": "one number per line"}.get(self.format.value, self.format.value)

    def same_layout(self, other: Detected | None) -> bool:
        return other is not None and (self.format, self.columns, self.labels, self.separator) == (
            other.format, other.columns, other.labels, other.separator)


_WS_OR_COMMA = re.compile(rb"[,\s]+")


def _classify(line: bytes) -> tuple[str, object] | None:
    s = line.strip()
    if not s or s[:1] == b"#":
        return None
    if (s[:2] == FIRMWARE_PREFIX or s[:2] == FIRMWARE_INFO_PREFIX) and b"*" in s:
        star = s.rfind(b"*")
        try:
            if crc16(s[:star]) == int(s[star + 1:], 16):
                return ("firmware", s[:2] == FIRMWARE_INFO_PREFIX)
        except ValueError:
            return None
        return None
    try:
        v = float(s)
        if math.isfinite(v) and b"_" not in s:
            return ("number", None)
        return None
    except ValueError:
        pass
    if b":" in s:
        toks = [t for t in re.split(rb"[,\t ]+", s) if t]
        labels = []
        for t in toks:
            label, sep, value = t.rpartition(b":")
            if not sep or not norm_name(label):
                labels = []
                break
            try:
                float(value)
            except ValueError:
                labels = []
                break
            labels.append(label.decode("ascii", "replace"))
        if labels:
            return ("plotter", tuple(labels))
    if b":" in s or b"=" in s:
        pairs = labelled_pairs(s)
        if pairs and all(math.isfinite(float(v)) for _, v in pairs):
            names: list[str] = []
            for label, _v in pairs:
                name = label.decode("ascii", "replace")
                if norm_name(name) and norm_name(name) not in {norm_name(n) for n in names}:
                    names.append(name)
            if names:
                return ("labelled", tuple(names))
        return None
    sep = b"," if b"," in s else None
    parts = s.split(b",") if sep else s.split()
    if len(parts) >= 2:
        try:
            vals = [float(p) for p in parts]
            if all(math.isfinite(v) for v in vals) and b"_" not in s:
                return ("csv", (len(parts), sep))
        except ValueError:
            names = tuple(p.strip().decode("ascii", "replace") for p in parts)
            if all(norm_name(n) and not re.fullmatch(r"[-+.\deE]+", n) for n in names):
                return ("csv_header", (names, sep))
    return None


def is_text(line: bytes) -> bool:
    """Mostly printable ASCII: words a sketch meant to print, not the noise of a wrong baud rate."""
    s = line.strip()
    if not s:
        return False
    ok = sum(1 for c in s if 32 <= c < 127 or c == 9)
    return ok >= 0.9 * len(s)


def detect_format(lines: Sequence[bytes], *, min_lines: int = 5, min_score: float = 0.6,
                  text_score: float = 0.3) -> Detected | None:
    """Guess the format from the first lines (boot noise allowed), or None if unsure.

    The kind most lines agree on wins, if at least ``min_lines`` lines and
    ``min_score`` of the non-blank lines agree. Where every other line is
    printable text (a sketch printing ``Force:`` on one line and the number on
    the next), ``text_score`` and twice ``min_lines`` are enough. A CSV header
    seen before the data names the columns.
    """
    votes: Counter = Counter()
    header: tuple[tuple[str, ...], bytes | None] | None = None
    info: dict[str, str] = {}
    examined = 0
    noise = 0  # non-blank lines of no format that are not text
    for line in lines:
        c = _classify(line)
        if line.strip():
            examined += 1
        if c is None:
            if line.strip() and not is_text(line):
                noise += 1
            continue
        kind, extra = c
        if kind == "csv_header":
            if header is None:
                examined -= 1  # a header is not a reading; but text lines that keep coming are not headers
            header = extra  # type: ignore[assignment]
            continue
        if kind == "firmware" and extra:
            p = LineParser(LineFormat.FIRMWARE)
            p.parse(line.strip())
            info = p.info
            examined -= 1
            continue
        votes[(kind, extra)] += 1
    if not votes:
        return None
    (kind, extra), n = votes.most_common(1)[0]
    score = n / max(1, examined)
    if n < min_lines or score < min_score:
        # Enough when the rest is text (not noise) and no other kind of reading competes.
        text_ok = (noise <= 0.1 * examined and n >= 2 * min_lines and score >= text_score
                   and n >= sum(votes.values()) - n)
        if not text_ok:
            return None
    fmt = LineFormat(kind)
    if fmt is LineFormat.CSV:
        count, sep = extra  # type: ignore[misc]
        from_header = header is not None and len(header[0]) == count and header[1] == sep
        cols = header[0] if from_header else CSV_DEFAULT_COLUMNS.get(count)  # type: ignore[index]
        if cols is None:
            cols = ("force",) + tuple(f"c{i}" for i in range(2, int(count) + 1))
        return Detected(fmt, columns=tuple(cols), score=score, good_lines=n, separator=sep, header=from_header)
    if fmt in (LineFormat.PLOTTER, LineFormat.LABELLED):
        return Detected(fmt, labels=extra, score=score, good_lines=n)  # type: ignore[arg-type]
    return Detected(fmt, score=score, good_lines=n, info=info)


def split_lines(buffer: bytearray, data: bytes, stats: ParseStats) -> list[bytes]:
    """Append ``data`` to ``buffer`` and take out the complete lines.

    A partial line stays in the buffer for the next read; a line that grows past
    :data:`MAX_LINE_BYTES` without a newline is noise (wrong baud, a stuck
    device) and is thrown away and counted, so memory stays bounded.
    """
    buffer += data
    if b"\n" not in data:
        if len(buffer) > MAX_LINE_BYTES:
            stats.dropped[OVERLONG] += 1
            buffer.clear()
        return []
    lines = bytes(buffer).split(b"\n")
    buffer.clear()
    tail = lines.pop()
    if len(tail) > MAX_LINE_BYTES:
        stats.dropped[OVERLONG] += 1
    else:
        buffer += tail
    out = []
    for ln in lines:
        if len(ln) > MAX_LINE_BYTES:
            stats.dropped[OVERLONG] += 1
        else:
            out.append(ln)
    return out


def parser_for(detected: Detected, cmap: ChannelMap | None = None) -> LineParser:
    return LineParser(detected.format, cmap, columns=detected.columns, labels=detected.labels,
                      separator=detected.separator)


# --------------------------------------------------------------------------- profiles
# Shipped inside this package (package data, also in a wheel); importlib.resources finds them.
PROFILE_DIR = Path(str(importlib.resources.files("hardware") / "profiles"))


def _profile_model():  # noqa: ANN202 - built lazily: no pydantic work at import time
    from pydantic import BaseModel, ConfigDict, Field, field_validator

    class UsbMatch(BaseModel):
        model_config = ConfigDict(extra="forbid")
        vid: int | None = Field(None, description="USB vendor id, e.g. 0x2341")
        pid: int | None = Field(None, description="USB product id")
        description: str | None = Field(None, description="text the port's description contains")

    class DeviceProfile(BaseModel):
        """A device profile: how one kind of ball talks. Every field is optional."""

        model_config = ConfigDict(extra="forbid")
        name: str = Field(description="what the therapist sees, e.g. 'DIY grip ball (FSR + MPU-6050)'")
        format: Literal["auto", "number", "plotter", "labelled", "csv", "firmware"] = Field(
            "auto", description="line format; auto detects it from the first lines")
        separator: Literal["comma", "spaces"] = Field(
            "comma", description="csv: values separated by commas, or by spaces/tabs")
        baud: int | None = Field(None, description="baud rate; none tries 115200 then 9600")
        columns: list[str] | None = Field(None, description="CSV column names, e.g. [fsr, ax, ay, az, gx, gy, gz]")
        force: str | None = Field(None, description="the field that is force (prefix '-' to invert)")
        force_scale: float = Field(1.0, description="multiply force by this; -1 when squeezing lowers the reading")
        force_range: tuple[float, float] | None = Field(
            None, description="[low, high] of the raw reading (before force_scale): readings outside are dropped; "
                              "none learns it from the readings")
        sensor: Literal["adc10", "adc12", "adc16", "hx711", "voltage"] | None = Field(
            None, description="what the force number is, when force_range is not given: a 10/12/16-bit analog "
                              "reading (0-1023, 0-4095, 0-65535), a raw HX711 count (24-bit signed) or volts (0-5.5)")
        roll_x: str | None = Field(None, description="gyro field for roll_x ('-gy' inverts, 'none' for no roll)")
        roll_y: str | None = Field(None, description="gyro field for roll_y")
        roll_scale: float = Field(1.0, description="device roll units to degrees per second")
        time: str | None = Field(None, description="a device time field (ms, us, t)")
        boot_seconds: float = Field(3.0, gt=0, le=30, description="how long to wait for the first valid lines")
        usb: list[UsbMatch] = Field(default_factory=list, description="USB ids this profile fits")
        notes: str | None = None

        @field_validator("baud")
        @classmethod
        def _baud_ok(cls, v: int | None) -> int | None:
            if v is not None and v not in (300, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 74880, 115200,
                                           230400, 250000, 460800, 500000, 921600, 1000000, 2000000):
                raise ValueError(f"{v} is not a standard baud rate")
            return v

        @field_validator("force_range")
        @classmethod
        def _range_ok(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
            if v is not None and not v[0] < v[1]:
                raise ValueError("force_range must be [low, high] with low < high")
            return v

        def channel_map(self) -> ChannelMap:
            force, fscale = self.force, self.force_scale
            if force and force.startswith("-"):
                force, fscale = force[1:], -fscale
            return ChannelMap(
                force=force, force_scale=fscale, roll_x=self.roll_x, roll_y=self.roll_y, roll_scale=self.roll_scale,
                time=self.time,
                force_range=self.force_range or (SENSOR_RANGES[self.sensor] if self.sensor else None),
            )

        def fixed_format(self) -> Detected | None:
            """The format this profile pins down, or None to detect it."""
            if self.format == "auto":
                return None
            cols = tuple(self.columns) if self.columns else None
            return Detected(LineFormat(self.format), columns=cols, header=cols is not None,
                            separator=b"," if self.separator == "comma" else None)

    return DeviceProfile


_MODEL = None


def profile_model():  # noqa: ANN201
    global _MODEL  # noqa: PLW0603 - a cache of a class, built on first use
    if _MODEL is None:
        _MODEL = _profile_model()
    return _MODEL


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file, line and field."""


def load_profile(path_or_name: str | Path):  # noqa: ANN201
    """Load a profile from a YAML file, or a shipped one by name (``squeeze_ball``)."""
    import yaml
    from pydantic import ValidationError

    path = Path(path_or_name)
    if not path.suffix and not path.exists():
        path = PROFILE_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        shipped = ", ".join(p.stem for p in shipped_profiles())
        raise ProfileError(f"no device profile '{path_or_name}' (shipped ones: {shipped})")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: line 1: a profile is a mapping of settings (name: ..., format: ...)")
    try:
        return profile_model().model_validate(data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = err["loc"]
            line = _line_of(node, loc)
            where = ".".join(str(x) for x in loc) or "profile"
            msgs.append(f"{path}: line {line}: {where}: {err['msg']}")
        raise ProfileError("\n".join(msgs)) from None


def _line_of(node, loc: tuple) -> int:  # noqa: ANN001
    # Walk the YAML node tree to the failing key so the message names its line.
    line = 1
    cur = node
    for key in loc:
        if cur is None:
            break
        nxt = None
        if hasattr(cur, "value") and isinstance(cur.value, list):
            if cur.tag.endswith(":map"):
                for k, v in cur.value:
                    if k.value == str(key):
                        line = k.start_mark.line + 1
                        nxt = v
                        break
            elif isinstance(key, int) and key < len(cur.value):
                nxt = cur.value[key]
                line = nxt.start_mark.line + 1
        cur = nxt
    return line


def shipped_profiles() -> list[Path]:
    return sorted(PROFILE_DIR.glob("*.yaml"))
