"""The text lines a squeeze ball sends, and how each becomes force and roll.

Four formats, detected from the first lines or fixed by a device profile:

``number``
    a bare number per line: what an unmodified Arduino ``AnalogReadSerial``
    example prints.
``plotter``
    Arduino Serial Plotter style, ``label:value`` pairs separated by comma,
    space or tab (``fsr:512,gx:-3.5``).
``csv``
    plain comma-separated numbers with a column map (``fsr,ax,ay,az,gx,gy,gz``);
    a header line of names sets the map by itself.
``firmware``
    this project's own protocol (``hardware/firmware/PROTOCOL.md``):
    ``D,<seq>,<ms>,<force>[,<gx>,<gy>,<gz>]*<crc16>``, with a CRC so a corrupt
    line is never mistaken for a squeeze.

Parsing never raises on bad input: every dropped line is counted under a
reason (garbage, not finite, out of range, checksum, non-monotonic, overlong),
so the screen can say how healthy the link is.
"""

from __future__ import annotations

import binascii
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
DROP_REASONS = (GARBAGE, NOT_FINITE, OUT_OF_RANGE, CHECKSUM, NON_MONOTONIC, OVERLONG, WRONG_FIELDS)


class LineFormat(str, Enum):
    NUMBER = "number"
    PLOTTER = "plotter"
    CSV = "csv"
    FIRMWARE = "firmware"


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
    force_range: tuple[float, float] = (-DEFAULT_FORCE_LIMIT, DEFAULT_FORCE_LIMIT)
    roll_limit: float = DEFAULT_ROLL_LIMIT


def _pick(names: Sequence[str], wanted: str | None, candidates: Iterable[str], default_first: bool) -> Channel | None:
    if wanted is not None:
        ch = parse_channel(wanted)
        if ch is None:
            return None
        if ch.key in names:
            return ch
        raise ValueError(f"no field named '{wanted}' in {list(names)}")
    for c in candidates:
        if c in names:
            return Channel(c)
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


class LineParser:
    """Turns one line (bytes, without its newline) into a :data:`Reading`, or None.

    Built for one format and layout; ``parse`` is the hot path (hundreds of
    thousands of lines a second), so it avoids anything but splits and floats.
    """

    def __init__(self, fmt: LineFormat, cmap: ChannelMap | None = None, *, columns: Sequence[str] | None = None,
                 labels: Sequence[str] | None = None) -> None:
        self.format = LineFormat(fmt)
        self.cmap = cmap or ChannelMap()
        self.stats = ParseStats()
        self.info: dict[str, str] = {}  # from a firmware version line
        self._last_dev_t: float | None = None
        self._label_names: dict[bytes, str] = {}
        lo, hi = self.cmap.force_range
        self._flo, self._fhi = float(lo), float(hi)
        self._rlim = float(self.cmap.roll_limit)
        self.layout: Layout | None = None
        if self.format is LineFormat.CSV:
            cols = list(columns) if columns else None
            self._columns = cols
            if cols:
                self.layout = resolve_layout(cols, self.cmap, by_index=True)
        elif self.format is LineFormat.PLOTTER:
            if labels:
                self.layout = resolve_layout(labels, self.cmap, by_index=False)
        elif self.format is LineFormat.FIRMWARE:
            names = ["seq", "ms", "force", "gx", "gy", "gz"]
            fw_map = ChannelMap(force="force", force_scale=self.cmap.force_scale,
                                roll_x=self.cmap.roll_x or "gx", roll_y=self.cmap.roll_y or "gy",
                                roll_scale=self.cmap.roll_scale, time="ms")
            self.layout = resolve_layout(names, fw_map, by_index=True)
        self._dispatch = {
            LineFormat.NUMBER: self._parse_number,
            LineFormat.PLOTTER: self._parse_plotter,
            LineFormat.CSV: self._parse_csv,
            LineFormat.FIRMWARE: self._parse_firmware,
        }[self.format]

    @property
    def has_roll(self) -> bool:
        return self.layout is not None and self.layout.has_roll

    def reset_time(self) -> None:
        """Forget the last device time (the device restarted, or the port reopened)."""
        self._last_dev_t = None

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
    def _finish(self, dev_t: float | None, force: float, rx: float, ry: float, raw: tuple[float, ...]) -> Reading | None:
        st = self.stats
        if not (math.isfinite(force) and math.isfinite(rx) and math.isfinite(ry)):
            st.dropped[NOT_FINITE] += 1
            return None
        if not (self._flo <= force <= self._fhi) or abs(rx) > self._rlim or abs(ry) > self._rlim:
            st.dropped[OUT_OF_RANGE] += 1
            return None
        if dev_t is not None:
            if not math.isfinite(dev_t):
                st.dropped[NOT_FINITE] += 1
                return None
            last = self._last_dev_t
            if last is not None and dev_t <= last:
                st.dropped[NON_MONOTONIC] += 1
                return None
            self._last_dev_t = dev_t
        st.ok += 1
        return (dev_t, force, rx, ry, raw)

    def _comment(self, line: bytes) -> bool:
        s = line.strip()
        if not s or s[:1] == b"#":
            self.stats.comments += 1
            return True
        return False

    # -- the four formats
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
        return self._finish(None, v * self.cmap.force_scale, 0.0, 0.0, (v,))

    def _parse_csv(self, line: bytes) -> Reading | None:
        parts = line.split(b",")
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
        force = vals[f.key] * f.scale  # type: ignore[index]
        rx = vals[lay.roll_x.key] * lay.roll_x.scale if lay.roll_x else 0.0  # type: ignore[index]
        ry = vals[lay.roll_y.key] * lay.roll_y.scale if lay.roll_y else 0.0  # type: ignore[index]
        dev_t = vals[lay.time.key] * lay.time.scale if lay.time else None  # type: ignore[index]
        return self._finish(dev_t, force, rx, ry, vals)

    _PLOTTER_SPLIT = re.compile(rb"[,\t ]+")

    def _parse_plotter(self, line: bytes) -> Reading | None:
        tokens = self._PLOTTER_SPLIT.split(line.strip())
        d: dict[str, float] = {}
        names = self._label_names
        for tok in tokens:
            if not tok:
                continue
            label, sep, value = tok.rpartition(b":")
            if not sep or not label:
                if self._comment(line):
                    return None
                self.stats.dropped[GARBAGE] += 1
                return None
            name = names.get(label)
            if name is None:
                name = norm_name(label)
                if len(names) < 64:  # a ball has a handful of labels; garbage must not grow the cache
                    names[label] = name
            d[name] = float(value)
        if not d:
            self.stats.comments += 1
            return None
        lay = self.layout
        if lay is None:
            try:
                self.layout = lay = resolve_layout(list(d), self.cmap, by_index=False)
            except ValueError:
                self.stats.dropped[WRONG_FIELDS] += 1
                return None
        fv = d.get(lay.force.key)  # type: ignore[arg-type]
        if fv is None:
            self.stats.dropped[WRONG_FIELDS] += 1
            return None
        rx = d.get(lay.roll_x.key, 0.0) * lay.roll_x.scale if lay.roll_x else 0.0  # type: ignore[arg-type]
        ry = d.get(lay.roll_y.key, 0.0) * lay.roll_y.scale if lay.roll_y else 0.0  # type: ignore[arg-type]
        dev_t = None
        if lay.time is not None and lay.time.key in d:
            dev_t = d[lay.time.key] * lay.time.scale  # type: ignore[index]
        return self._finish(dev_t, fv * lay.force.scale, rx, ry, tuple(d.values()))

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
        force = vals[2] * lay.force.scale
        rx = vals[lay.roll_x.key] * lay.roll_x.scale if (lay.roll_x and n == 6) else 0.0  # type: ignore[index]
        ry = vals[lay.roll_y.key] * lay.roll_y.scale if (lay.roll_y and n == 6) else 0.0  # type: ignore[index]
        return self._finish(vals[1] * 1e-3, force, rx, ry, vals)

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
    labels: tuple[str, ...] | None = None  # plotter labels
    score: float = 0.0  # fraction of the examined lines that parsed
    good_lines: int = 0
    info: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.format is LineFormat.CSV and self.columns:
            return f"CSV ({','.join(self.columns)})"
        if self.format is LineFormat.PLOTTER and self.labels:
            return f"Serial Plotter ({','.join(self.labels)})"
        if self.format is LineFormat.FIRMWARE:
            v = self.info.get("version")
            return f"Squeeze Quest firmware{f' {v}' if v else ''}"
        return {"number": "one number per line"}.get(self.format.value, self.format.value)


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
                return None
            try:
                float(value)
            except ValueError:
                return None
            labels.append(norm_name(label))
        return ("plotter", tuple(labels)) if labels else None
    parts = s.split(b",")
    if len(parts) >= 2:
        try:
            vals = [float(p) for p in parts]
            if all(math.isfinite(v) for v in vals):
                return ("csv", len(parts))
        except ValueError:
            names = tuple(p.strip().decode("ascii", "replace") for p in parts)
            if all(norm_name(n) and not re.fullmatch(r"[-+.\deE]+", n) for n in names):
                return ("csv_header", names)
    return None


def detect_format(lines: Sequence[bytes], *, min_lines: int = 5, min_score: float = 0.6) -> Detected | None:
    """Guess the format from the first lines (boot noise allowed), or None if unsure.

    The kind most lines agree on wins, if at least ``min_lines`` lines and
    ``min_score`` of the non-blank lines agree. A CSV header seen before the
    data names the columns.
    """
    votes: Counter = Counter()
    header: tuple[str, ...] | None = None
    info: dict[str, str] = {}
    examined = 0
    for line in lines:
        c = _classify(line)
        if line.strip():
            examined += 1
        if c is None:
            continue
        kind, extra = c
        if kind == "csv_header":
            header = extra  # type: ignore[assignment]
            examined -= 1  # a header is not a reading
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
        return None
    fmt = LineFormat(kind)
    if fmt is LineFormat.CSV:
        cols = header if header is not None and len(header) == extra else CSV_DEFAULT_COLUMNS.get(extra)  # type: ignore[arg-type]
        if cols is None:
            cols = ("force",) + tuple(f"c{i}" for i in range(2, int(extra) + 1))  # type: ignore[arg-type]
        return Detected(fmt, columns=tuple(cols), score=score, good_lines=n)
    if fmt is LineFormat.PLOTTER:
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
    return LineParser(detected.format, cmap, columns=detected.columns, labels=detected.labels)


# --------------------------------------------------------------------------- profiles
PROFILE_DIR = Path(__file__).with_name("profiles")


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
        format: Literal["auto", "number", "plotter", "csv", "firmware"] = Field(
            "auto", description="line format; auto detects it from the first lines")
        baud: int | None = Field(None, description="baud rate; none tries 115200 then 9600")
        columns: list[str] | None = Field(None, description="CSV column names, e.g. [fsr, ax, ay, az, gx, gy, gz]")
        force: str | None = Field(None, description="the field that is force (prefix '-' to invert)")
        force_scale: float = Field(1.0, description="multiply force by this; -1 when squeezing lowers the reading")
        force_range: tuple[float, float] | None = Field(None, description="[low, high]: readings outside are dropped")
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
                time=self.time, force_range=self.force_range or (-DEFAULT_FORCE_LIMIT, DEFAULT_FORCE_LIMIT),
            )

        def fixed_format(self) -> Detected | None:
            """The format this profile pins down, or None to detect it."""
            if self.format == "auto":
                return None
            cols = tuple(self.columns) if self.columns else None
            return Detected(LineFormat(self.format), columns=cols)

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
