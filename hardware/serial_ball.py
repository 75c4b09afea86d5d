"""The squeeze ball on a USB serial port (or any pyserial URL).

A background thread owns the port: it opens it, waits out the boot noise of an
Arduino that resets on open, finds the baud rate and the line format, then
reads lines, stamps each with the injected clock and puts the samples in a
bounded buffer. ``poll`` only swaps that buffer out under a lock, so a frame
never waits on the port. When the port goes away (unplugged, device error) the
thread keeps trying to open it again, also under another name (a finder gives
the candidates), and carries on where it stopped.

Nothing here imports pygame or ``game/``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hardware.clock import Clock
from hardware.line_formats import (
    GARBAGE,
    ChannelMap,
    Detected,
    LineFormat,
    LineParser,
    ParseStats,
    detect_format,
    is_text,
    parser_for,
    split_lines,
)
from hardware.sample import Sample
from hardware.source import SourceInfo, SourceStatus

AUTO_BAUDS = (115200, 9600, 57600)  # this firmware, Arduino's examples, the HX711 library's examples
READ_TIMEOUT_S = 0.02  # how long one read may block the reader thread (never the frame)
BURST_WAIT_S = 0.02  # after a hole in the stream, how long the reader waits for the rest of a backlog
HOLE_S = 0.05  # more time since the last line than the lines read explain: a hole (the rep detector's is 0.1 s)
PERIOD_WINDOW_S = 2.0  # the line period is learnt from the reads of the last two seconds
PERIOD_MIN_SPAN_S = 0.2  # ... once they span this much (before: the period given, or the firmware's own rate)
HOLE_FACTOR = 3.0  # a read whose time per line is over 3 periods (+ HOLE_S) came after a hole: not the pace
PACE_CHANGE_READS = 5  # ... unless five in a row come so: then that is the ball's new pace
OVERFLOW = "overflow"
UNCONFIRMED = "unconfirmed"  # read as some format, but too few lines agreed on one to trust it
NOT_READINGS = "not_force_readings"  # SerialStats.problem: text arrives, none of it force readings
NO_READABLE_LINES = "no_readable_lines"  # SerialStats.problem: nothing readable at any baud tried


def bauds_to_try(baud: int | None = None, profile: Any = None) -> tuple[int, ...]:
    """The baud asked for, else the device profile's, else each of the usual ones in turn."""
    fixed = baud or (profile.baud if profile is not None else None)
    return (fixed,) if fixed else AUTO_BAUDS


def open_url(url: str, baud: int) -> Any:
    """Open a port name or pyserial URL (``loop://``, ``socket://``, ``hwgrep://``...)."""
    import serial

    ser = serial.serial_for_url(url, baudrate=baud, timeout=READ_TIMEOUT_S, write_timeout=0.5)
    return ser


class LineStamper:
    """Times for the lines of one read, on the game's clock.

    Lines arrive in bursts (USB delivers packets, the thread wakes up late), so
    stamping every line of a burst with the same ``now`` would squash their
    spacing. With device timestamps, device time is mapped onto the clock by the
    smallest observed delay (the least-delayed line is the best estimate),
    allowed to creep up so a slow device crystal cannot make samples lag more
    and more. Without them, the burst is spread back from ``now`` at the
    observed line period. Times are strictly increasing either way.

    The line period is the time the recent reads took over the lines they
    brought (:data:`PERIOD_WINDOW_S`), not an average of each read's own time
    per line: after a burst, the next line comes a moment later, and that read's
    tiny time per line pulled such an average below the ball's pace (measured: a
    30 ms ball estimated at 25 ms), so a later burst spread back too short and
    left a hole before it where the ball had sent all along. Time over lines is
    the ball's pace however the lines are grouped into reads. A read after a
    hole (far slower than the pace: the ball sent nothing) is left out, so a
    real hole never widens the pace and is never filled by a later burst.
    """

    def __init__(self, period_s: float = 0.01) -> None:
        self.period = period_s
        self._reads: deque[tuple[float, int]] = deque()  # (time since the last read, lines) of recent reads
        self._span, self._lines = 0.0, 0  # the totals of _reads
        self._holes: list[tuple[float, int]] = []  # reads after a hole, in a row
        self._learnt = False
        self._offset: float | None = None
        self._last_t = float("-inf")
        self._last_now: float | None = None
        self._last_dev: float | None = None

    def reset(self) -> None:
        self._offset = None
        self._reads.clear()
        self._span, self._lines = 0.0, 0
        self._holes.clear()
        self._learnt = False
        self._last_now = None
        self._last_dev = None

    def leaves_hole(self, now: float, dev_times: Sequence[float | None]) -> bool:
        """Would these lines, stamped at ``now``, sit after a hole of over :data:`HOLE_S` in the stream?

        Only for lines without device times (those place themselves), and never for the first lines."""
        if self._last_now is None or not dev_times or any(d is not None for d in dev_times):
            return False
        return now - self._last_t > len(dev_times) * self.period + HOLE_S

    def _learn_period(self, dt: float, n: int) -> None:
        reads = self._reads
        if self._learnt and dt / n > HOLE_FACTOR * self.period + HOLE_S:
            # A hole: the ball sent nothing for a while (its pace is what it sends when it sends). Several in a row
            # are a slower pace (another firmware setting): learnt afresh from them.
            self._holes.append((dt, n))
            if len(self._holes) < PACE_CHANGE_READS:
                return
            reads.clear()
            reads.extend(self._holes)
            self._span, self._lines = sum(d for d, _ in reads), sum(k for _, k in reads)
        else:
            reads.append((dt, n))
            self._span += dt
            self._lines += n
        self._holes.clear()
        while self._span - reads[0][0] > PERIOD_WINDOW_S:  # running totals: a 1 kHz ball reads 2000 times in 2 s
            d, k = reads.popleft()
            self._span -= d
            self._lines -= k
        if self._span >= PERIOD_MIN_SPAN_S:
            self.period = min(0.1, max(1e-4, self._span / self._lines))
            self._learnt = True

    def stamp(self, now: float, dev_times: Sequence[float | None]) -> list[float]:
        n = len(dev_times)
        if n == 0:
            return []
        if self._last_now is not None and now > self._last_now:
            self._learn_period(now - self._last_now, n)
        self._last_now = now
        last_dev = dev_times[-1]
        if last_dev is not None and all(d is not None for d in dev_times):
            if self._last_dev is not None and last_dev < self._last_dev:
                self._offset = None  # the device clock restarted
            self._last_dev = last_dev
            off = now - last_dev
            if self._offset is None or off < self._offset:
                self._offset = off
            else:
                self._offset += 0.02 * (off - self._offset)
            times = [d + self._offset for d in dev_times]  # type: ignore[operator]
        else:
            times = [now - (n - 1 - i) * self.period for i in range(n)]
        out = []
        last = self._last_t
        for t in times:
            if t > now:
                t = now
            if t <= last:
                t = last + 1e-6
            out.append(t)
            last = t
        self._last_t = last
        return out


@dataclass
class SerialStats:
    """How the link is doing, for the screen and for ``monitor``."""

    port: str = ""
    baud: int | None = None
    format: str = ""
    firmware: str = ""
    lines_ok: int = 0
    boot_lines: int = 0  # lines before the first valid reading: boot noise, ignored
    dropped: dict[str, int] = field(default_factory=dict)
    rate_hz: float = 0.0
    reconnects: int = 0
    lines_seen: int = 0  # every line read from the port, readings or not
    force: str = ""  # which value is force ("force: 'sensor'"), for devices and monitor
    force_range: str = ""  # the plausible raw readings, e.g. "0 to 1023 (learnt)"
    time_wraps: int = 0  # device time counter wraps re-based
    time_jumps: int = 0  # device time jumps re-based
    problem: str = ""  # NOT_READINGS or NO_READABLE_LINES while it lasts, else ""

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def as_dict(self) -> dict[str, Any]:
        """Everything, for a JSON summary."""
        return {"port": self.port, "baud": self.baud, "format": self.format, "force": self.force,
                "force_range": self.force_range, "firmware": self.firmware, "lines_seen": self.lines_seen,
                "lines": self.lines_ok, "boot_lines": self.boot_lines, "dropped": dict(self.dropped),
                "dropped_total": self.dropped_total, "rate_hz": round(self.rate_hz, 1),
                "reconnects": self.reconnects, "time_wraps": self.time_wraps, "time_jumps": self.time_jumps,
                "problem": self.problem}


def tally_unconfirmed(lines: Sequence[bytes]) -> tuple[int, Counter]:
    """Lines no format was confirmed for: how many the likeliest format could read, and why
    the others could not (those it could read are counted as ``unconfirmed``)."""
    dropped: Counter = Counter()
    best = detect_format(lines, min_lines=1, min_score=0.0)
    if best is None:
        n = sum(1 for ln in lines if ln.strip())
        if n:
            dropped[GARBAGE] = n
        return 0, dropped
    p = parser_for(best)
    p.parse_lines(lines)
    dropped.update(p.stats.dropped)
    if p.stats.ok:
        dropped[UNCONFIRMED] += p.stats.ok
    return p.stats.ok, dropped


def describe_unreadable(seen: int, parsed: int, dropped: Counter, *, text: bool, bauds: Sequence[int] = ()) -> str:
    """The plain-words problem for a port whose lines are not force readings, with the counts."""
    reasons = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(dropped.items(), key=lambda kv: -kv[1]))
    counts = f"{seen} lines seen, {parsed} parsed, dropped: {reasons or 'none'}"
    if text:
        return (f"this port sends text that is not force readings ({counts}). Check that the sketch prints "
                "one reading per line, or name the ball's format with a device profile (--profile)")
    tried = ", ".join(str(b) for b in bauds)
    return (f"no readable lines (tried {tried} baud; {counts}). "
            "Is the ball's sketch running and printing one reading per line?")


class BootTimeout(Exception):
    """No format could be trusted on a port; carries what was seen, for the status and the counts."""

    def __init__(self, message: str, *, seen: int = 0, parsed: int = 0, dropped: Counter | None = None,
                 text: bool = False) -> None:
        super().__init__(message)
        self.seen = seen
        self.parsed = parsed
        self.dropped = dropped if dropped is not None else Counter()
        self.text = text


def await_readings(
    ser: Any,
    *,
    bauds: Sequence[int],
    boot_seconds: float,
    fixed: Detected | None = None,
    cmap: ChannelMap | None = None,
    stop: threading.Event | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    retry_seconds: float = 1.0,
) -> tuple[Detected, int, bytearray, list[bytes], int]:
    """Read from an open port until its lines make sense.

    Returns (format, baud, partial line left over, the lines read at that baud,
    lines ignored at other bauds); the caller parses the returned lines, so the
    readings that confirmed the format are not lost.

    The first baud gets ``boot_seconds`` (an Arduino resets when the port opens
    and prints its bootloader noise first); each other baud ``retry_seconds``.
    Raises :class:`BootTimeout` with a plain message when nothing parses.
    """
    stats = ParseStats()
    ignored = 0
    every: list[bytes] = []  # all lines at every baud, to say what they were if none is trusted
    for i, baud in enumerate(bauds):
        if stop is not None and stop.is_set():
            break
        if i > 0 or getattr(ser, "baudrate", baud) != baud:
            ser.baudrate = baud
            ser.reset_input_buffer()
        buf = bytearray()
        lines: list[bytes] = []
        deadline = monotonic() + (boot_seconds if i == 0 else retry_seconds)
        looked = False  # each baud reads what has come at least once, however late the thread runs
        while (not looked or monotonic() < deadline) and not (stop is not None and stop.is_set()):
            looked = True
            data = ser.read(ser.in_waiting or 1)
            if not data:
                continue
            new = split_lines(buf, data, stats)
            if not new:
                continue
            lines.extend(new)
            recent = lines[-40:]
            if fixed is not None:
                p = parser_for(fixed, cmap)
                ok = [ln for ln in recent if p.parse(ln) is not None]
                if len(ok) >= 3 and len(ok) >= 0.6 * len([ln for ln in recent if ln.strip()]):
                    det = Detected(fixed.format, columns=fixed.columns or _columns_of(p), labels=fixed.labels,
                                   score=1.0, good_lines=len(ok), info=p.info)
                    return det, baud, buf, lines, ignored
            else:
                det = detect_format(recent)
                if det is not None:
                    if not det.info:
                        # the version line may be in the earlier lines
                        det = _with_info(det, lines)
                    return det, baud, buf, lines, ignored
        ignored += len(lines)
        every += lines[-20000:]
    parsed, dropped = tally_unconfirmed(every)
    dropped.update(stats.dropped)  # overlong lines
    seen = len(every) + stats.dropped_total
    nonblank = [ln for ln in every if ln.strip()]
    text = bool(nonblank) and sum(map(is_text, nonblank)) >= 0.5 * len(nonblank)
    raise BootTimeout(describe_unreadable(seen, parsed, dropped, text=text, bauds=bauds), seen=seen, parsed=parsed,
                      dropped=dropped, text=text)


def _columns_of(p: LineParser) -> tuple[str, ...] | None:
    cols = getattr(p, "_columns", None)
    return tuple(cols) if cols else None


def _with_info(det: Detected, lines: Sequence[bytes]) -> Detected:
    if det.format is not LineFormat.FIRMWARE:
        return det
    p = LineParser(LineFormat.FIRMWARE)
    for ln in lines:
        if ln.startswith(b"I,"):
            p.parse(ln.strip())
    if p.info:
        return Detected(det.format, score=det.score, good_lines=det.good_lines, info=p.info)
    return det


class SerialBall:
    """An :class:`~hardware.source.InputSource` on a serial port.

    ``opener(url, baud)`` opens a port (the seam for fakes); ``finder()`` lists
    the URLs worth trying when the port has gone away (the same name first; a
    ball that comes back as ``/dev/ttyACM1`` is found there). ``port`` adopts a
    port that discovery already opened and confirmed, so the Arduino is not
    reset a second time.
    """

    #: A real sensor: force means nothing until this patient's hand is calibrated.
    needs_calibration = True
    #: It streams at its own pace: game time must be the real clock (also in a headless run).
    needs_real_time = True

    def __init__(
        self,
        clock: Clock,
        url: str,
        *,
        baud: int | None = None,
        profile: Any = None,
        name: str | None = None,
        opener: Callable[[str, int], Any] = open_url,
        finder: Callable[[], Sequence[str]] | None = None,
        port: Any = None,
        detected: Detected | None = None,
        buffer_size: int = 8192,
        retry_seconds: float = 0.5,
        boot_seconds: float | None = None,
        silence_seconds: float = 1.0,
        on_event: Callable[[str, dict], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        first_lines: Sequence[bytes] = (),
    ) -> None:
        self._clock = clock
        self.url = url
        self.profile = profile
        self._fixed = detected or (profile.fixed_format() if profile is not None else None)
        self._cmap = profile.channel_map() if profile is not None else ChannelMap()
        self._bauds = bauds_to_try(baud, profile)
        self._boot_seconds = boot_seconds or (profile.boot_seconds if profile is not None else 3.0)
        self._failed: dict[str, int] = {}
        self._name = name or (profile.name if profile is not None else "Squeeze ball")
        self._opener = opener
        self._finder = finder
        self._adopted = port
        self._adopted_detected = detected
        self._adopted_lines = list(first_lines)  # what discovery read: the plausible range is learnt from it
        self._retry = retry_seconds
        self._silence = silence_seconds
        self._on_event = on_event
        self._mono = monotonic

        self._lock = threading.Lock()
        self._buffer: deque[Sample] = deque()
        self._buffer_size = buffer_size
        self._status = SourceStatus.CONNECTING
        self._message = f"{self._name}: connecting to {url}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._received = threading.Condition(self._lock)
        self._events: list[tuple[str, dict]] = []
        #: Set while a port is open (tests and tools wait on it before a fake device writes).
        self.port_open = threading.Event()

        self.stats = SerialStats(port=url)
        self._dropped: Counter = Counter()
        self._parser: LineParser | None = None
        self._has_roll = False
        self._ever_connected = False
        self._last_detected: Detected | None = None
        self._stamper = LineStamper()
        self._expect: tuple[float, float] | None = None  # force a calibration saw: always plausible
        self._expect_new = False

    # ------------------------------------------------------------ InputSource
    @property
    def info(self) -> SourceInfo:
        return SourceInfo(name=self._name, has_force=True, has_roll=self._has_roll)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"serial-ball {self.url}", daemon=True)
        self._thread.start()

    def poll(self) -> list[Sample]:
        with self._lock:
            if not self._buffer:
                return []
            out = list(self._buffer)
            self._buffer.clear()
        return out

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def status_message(self) -> str:
        return self._message

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._adopted is not None:
            close_quietly(self._adopted)
            self._adopted = None

    # ----------------------------------------------------------------- extras
    def snapshot(self) -> SerialStats:
        """A copy of the link statistics (thread-safe)."""
        with self._lock:
            s = self.stats
            dropped = dict(self._dropped)
            wraps, jumps, rng = s.time_wraps, s.time_jumps, ""
            p = self._parser
            if p is not None:
                for k, v in list(p.stats.dropped.items()):
                    dropped[k] = dropped.get(k, 0) + v
                wraps += p.timeline.wraps
                jumps += p.timeline.jumps
                rng = p.range.describe()
            return SerialStats(port=s.port, baud=s.baud, format=s.format, firmware=s.firmware, lines_ok=s.lines_ok,
                               boot_lines=s.boot_lines, dropped=dropped, rate_hz=s.rate_hz, reconnects=s.reconnects,
                               lines_seen=s.lines_seen, force=s.force, force_range=rng, time_wraps=wraps,
                               time_jumps=jumps, problem=s.problem)

    def expect_force(self, low: float, high: float) -> None:
        """Force from ``low`` to ``high`` (a calibration's rest and full squeeze) is real: the plausible
        range grows to hold it, so the patient's squeeze is never refused. Cheap to repeat."""
        scale = self._cmap.force_scale or 1.0
        raw = (min(low / scale, high / scale), max(low / scale, high / scale))  # as the device sends it
        if self._expect != raw:
            self._expect = raw
            self._expect_new = True  # the reader thread applies it: the range belongs to that thread

    def take_events(self) -> list[tuple[str, dict]]:
        """Connection events since the last call: ("connected"|"disconnected"|"reconnected", detail)."""
        with self._lock:
            ev, self._events = self._events, []
        return ev

    def wait_for_samples(self, total: int, timeout: float) -> bool:
        """Block (a test or tool, never the game) until ``total`` readings have arrived in all."""
        deadline = time.monotonic() + timeout
        with self._received:
            while self.stats.lines_ok < total:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._received.wait(left)
        return True

    def wait_for_status(self, status: SourceStatus, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._received:
            while self._status is not status:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._received.wait(min(left, 0.05))
        return True

    # ------------------------------------------------------------ the thread
    def _set_status(self, status: SourceStatus, message: str, event: str | None = None, **detail: Any) -> None:
        with self._received:
            changed = status is not self._status
            self._status = status
            self._message = message
            if event is not None and changed:
                self._events.append((event, detail))
            self._received.notify_all()
        if event is not None and changed and self._on_event is not None:
            try:
                self._on_event(event, detail)
            except Exception:  # noqa: BLE001 - a logging callback must not kill the reader
                pass

    def _candidates(self) -> list[str]:
        urls = [self.url]
        if self._finder is not None:
            try:
                urls += [u for u in self._finder() if u not in urls]
            except Exception:  # noqa: BLE001 - a failed scan just means "try again later"
                pass
        # Ports that were open but silent go last, so a replugged ball elsewhere is found.
        return sorted(urls, key=lambda u: self._failed.get(u, 0))

    def _run(self) -> None:
        while not self._stop.is_set():
            ser, url = self._adopted, self.url
            self._adopted = None
            if ser is None:
                ser, url = self._open_any()
            if ser is None:
                self._stop.wait(self._retry)
                continue
            self.port_open.set()
            try:
                self._session(ser, url)
            except Exception as exc:  # noqa: BLE001 - SerialException, OSError, anything the driver throws
                if not self._stop.is_set():
                    self._lost(url, f"{type(exc).__name__}: {exc}")
            finally:
                self.port_open.clear()
                close_quietly(ser)
            if not self._stop.is_set():
                self._stop.wait(self._retry)

    def _open_any(self) -> tuple[Any, str]:
        for url in self._candidates():
            try:
                return self._opener(url, self._bauds[0]), url
            except Exception:  # noqa: BLE001, S112 - not there (yet): try the next one
                continue
        if self._status is not SourceStatus.DISCONNECTED and not self._ever_connected:
            self._set_status(SourceStatus.CONNECTING, f"{self._name}: cannot open {self.url}; still trying")
        return None, self.url

    def _lost(self, url: str, why: str) -> None:
        if self._ever_connected:
            self._set_status(SourceStatus.DISCONNECTED, f"Ball disconnected ({url}) - plug it back in",
                             "disconnected", port=url, reason=why)
        else:
            self._set_status(SourceStatus.CONNECTING, f"{self._name}: {url}: {why}; still trying")

    def _session(self, ser: Any, url: str) -> None:
        detected = self._adopted_detected
        self._adopted_detected = None
        buf = bytearray()
        first_lines: list[bytes] = []
        ignored = 0
        if detected is not None:
            baud = self._bauds[0]  # discovery confirmed this port at this baud
        else:
            if self._status is not SourceStatus.DISCONNECTED and not self.stats.problem:
                # (a problem already named stays on screen while the port is tried again)
                self._set_status(SourceStatus.CONNECTING, f"{self._name}: waiting for readings on {url}")
            # After a replug, try what worked last time first.
            bauds = self._bauds
            if self.stats.baud in bauds:
                bauds = (self.stats.baud,) + tuple(b for b in bauds if b != self.stats.baud)
            # Detect afresh: the ball plugged back in may be another one, with another format.
            fixed = self._fixed
            while True:
                try:
                    detected, baud, buf, first_lines, ignored = await_readings(
                        ser, bauds=bauds, boot_seconds=self._boot_seconds, fixed=fixed, cmap=self._cmap,
                        stop=self._stop, monotonic=self._mono, retry_seconds=1.0)
                    break
                except BootTimeout as exc:
                    if self._stop.is_set():
                        return
                    with self._lock:
                        self._dropped.update(exc.dropped)
                        self.stats.lines_seen += exc.seen
                        self.stats.problem = NOT_READINGS if exc.text else NO_READABLE_LINES
                    self._set_status(self._status if self._ever_connected else SourceStatus.CONNECTING,
                                     f"{self._name} on {url}: {exc}")
                    if self._finder is not None:
                        # Not the ball (or not yet): look at the other ports before this one again.
                        self._failed[url] = self._failed.get(url, 0) + 1
                        return
                    fixed = self._fixed  # maybe another kind of ball came back: detect afresh
        last = self._last_detected
        if (last is not None and detected.format is LineFormat.CSV and last.format is LineFormat.CSV
                and not detected.header and last.header and last.columns and detected.columns
                and len(last.columns) == len(detected.columns) and last.separator == detected.separator):
            # The same ball without its header this time (no reset on open): keep the columns it named.
            detected = Detected(detected.format, columns=last.columns, score=detected.score,
                                good_lines=detected.good_lines, separator=detected.separator, header=True)
        self._last_detected = detected
        self._failed.pop(url, None)
        parser = self._new_parser(detected, first_lines or self._adopted_lines)
        self._adopted_lines = []
        with self._lock:
            self.stats.port = url
            self.stats.baud = baud
            self.stats.firmware = detected.info.get("version", "")
            self.stats.problem = ""
        self._use_parser(parser, detected)
        hz = detected.info.get("hz")
        self._stamper.reset()
        if hz and hz.isdigit() and int(hz) > 0:
            self._stamper.period = 1.0 / int(hz)
        self.url = url
        was = self._ever_connected
        self._ever_connected = True
        if was:
            with self._lock:
                self.stats.reconnects += 1
        self._set_status(SourceStatus.CONNECTED,
                         f"{self._name} on {url} ({detected.describe()}, {parser.describe_force()}, {baud} baud)",
                         "reconnected" if was else "connected", port=url, baud=baud, format=detected.describe())
        # The lines that confirmed the format are readings too; what came before
        # the first good one is boot noise, ignored rather than counted as dropped.
        probe = parser_for(detected, self._cmap)
        start = next((i for i, ln in enumerate(first_lines) if probe.parse(ln) is not None), len(first_lines))
        with self._lock:
            self.stats.boot_lines += ignored + start
            self.stats.lines_seen += ignored + len(first_lines)
        readings = parser.parse_lines(first_lines[start:])
        if readings:
            self._deliver(readings, self._clock.now(), self._stamper, parser)
        self._read_loop(ser, url, parser, buf)

    def _new_parser(self, detected: Detected, first_lines: Sequence[bytes]) -> LineParser:
        parser = parser_for(detected, self._cmap)
        if detected.info:
            parser.info = dict(detected.info)
        parser.prime_range(first_lines)  # the plausible range from the lines that confirmed the format
        if self._expect is not None:
            parser.range.expect(*self._expect)
        return parser

    def _use_parser(self, parser: LineParser, detected: Detected) -> None:
        with self._lock:
            old = self._parser
            if old is not None:
                self._dropped.update(old.stats.dropped)
                self.stats.time_wraps += old.timeline.wraps
                self.stats.time_jumps += old.timeline.jumps
            self._parser = parser
            self.stats.format = detected.describe()
            self.stats.force = parser.describe_force()

    def _redetect(self, parser: LineParser, recent: Sequence[bytes]) -> LineParser | None:
        """The lines stopped parsing: has the ball started sending another format? (a new sketch, another
        ball on a port that does not reset). A new parser when the recent lines clearly are one."""
        det = detect_format(recent)
        if det is None or det.same_layout(self._last_detected):
            return None
        fresh = self._new_parser(det, recent)
        probe = self._new_parser(det, recent)
        nonblank = sum(1 for ln in recent if ln.strip())
        if len(probe.parse_lines(recent)) < 0.6 * nonblank:
            return None
        self._last_detected = det
        self._use_parser(fresh, det)
        self._stamper.reset()
        with self._lock:
            self._events.append(("format_changed", {"port": self.url, "format": det.describe()}))
        return fresh

    def _read_loop(self, ser: Any, url: str, parser: LineParser, buf: bytearray) -> None:
        mono = self._mono
        clock = self._clock
        stamper = self._stamper
        last_good = mono()
        rate_t, rate_n = last_good, self.stats.lines_ok
        silent = False
        pstats = parser.stats
        recent: deque[bytes] = deque(maxlen=40)  # the last lines, to detect a format afresh
        seen = 0  # lines read in this loop
        win_seen, win_ok = 0, pstats.ok  # the lines and readings at the start of the current half second
        seen_at_good = 0
        split_stats = ParseStats()  # overlong lines, kept apart so a new parser does not lose them
        while not self._stop.is_set():
            data = read_waiting(ser)
            now_m = mono()
            now = clock.now()
            if data:
                # A thread held up between its read and its clocks (another thread's garbage collection holds
                # the interpreter, another program has the core) read its lines before "now"; the lines that
                # came meanwhile are waiting. Taken with them, the whole lot is spread back over the time it
                # took to come. Stamped alone at "now", the lines read sat late, a hole before them where the
                # ball sent readings all along (a hole over 0.1 s breaks a hold for the rep detector).
                data += take_waiting(ser)
            if self._expect_new:
                self._expect_new = False
                if self._expect is not None:
                    parser.range.expect(*self._expect)
            if data:
                lines = split_lines(buf, data, split_stats)
                if lines:
                    readings = parser.parse_lines(lines)
                    if readings and stamper.leaves_hole(now, [r[0] for r in readings]):
                        # Lines after a hole may be only the first part of a backlog the machine hands over in
                        # pieces (a busy kernel worker moves a pty's or a USB adapter's bytes on in chunks, the
                        # reader woken by the first): wait a moment for the rest and stamp them together, spread
                        # back over the time they took to come. A real hole (the ball sent nothing) stays: then
                        # only the lines the ball sends in the moment come, and spread back at the ball's pace
                        # they reach back just to the lines read; if none come, those keep their own "now".
                        self._stop.wait(BURST_WAIT_S)
                        rest = split_lines(buf, take_waiting(ser), split_stats)
                        more = parser.parse_lines(rest)
                        lines = lines + rest
                        if more:
                            readings, now = readings + more, clock.now()
                    seen += len(lines)
                    self.stats.lines_seen += len(lines)  # only this thread writes it
                    recent.extend(lines)
                    if readings:
                        self._deliver(readings, now, stamper, parser)
                        last_good = now_m
                        seen_at_good = seen
                        if silent:
                            silent = False
                            self._set_status(SourceStatus.CONNECTED, f"{self._name} on {url}: readings again",
                                             "reconnected", port=url)
                            with self._lock:
                                self.stats.problem = ""
            if now_m - rate_t >= 0.5:
                with self._lock:
                    n = self.stats.lines_ok
                    self.stats.rate_hz = (n - rate_n) / (now_m - rate_t)
                    self._dropped.update(split_stats.dropped)
                    split_stats.dropped.clear()
                rate_t, rate_n = now_m, n
                lines_in, ok_in = seen - win_seen, pstats.ok - win_ok
                if lines_in >= 10:  # at least half a second and ten lines: are they still readings?
                    if ok_in < 0.5 * lines_in:
                        fresh = self._redetect(parser, list(recent))
                        if fresh is not None:
                            parser, pstats = fresh, fresh.stats
                            self._set_status(SourceStatus.CONNECTED,
                                             f"{self._name} on {url}: now {self.stats.format} ({self.stats.force})")
                    win_seen, win_ok = seen, pstats.ok
            if not silent and now_m - last_good > self._silence and (data or not ser.in_waiting):
                # The port is open but nothing sensible comes: treat as unplugged, keep listening. (Bytes waiting
                # after a read that found none: the thread was held up between that read and its clock, and the
                # ball went on sending. They are read next time round; silence is judged after that.)
                silent = True
                if seen > seen_at_good:  # lines come, but none is a reading
                    snap = self.snapshot()
                    nonblank = [ln for ln in recent if ln.strip()]
                    text = bool(nonblank) and sum(map(is_text, nonblank)) >= 0.5 * len(nonblank)
                    with self._lock:
                        self.stats.problem = NOT_READINGS if text else NO_READABLE_LINES
                    words = describe_unreadable(snap.lines_seen, snap.lines_ok,
                                                Counter(snap.dropped), text=text, bauds=(self.stats.baud or 0,))
                    self._set_status(SourceStatus.DISCONNECTED, f"No readings from the ball on {url}: {words}",
                                     "disconnected", port=url, reason="not readings")
                else:
                    self._set_status(SourceStatus.DISCONNECTED,
                                     f"No readings from the ball on {url} - check the cable",
                                     "disconnected", port=url, reason="silent")

    def _deliver(self, readings: list, now: float, stamper: LineStamper, parser: LineParser) -> None:
        times = stamper.stamp(now, [r[0] for r in readings])
        samples = [Sample(t, r[1], r[2], r[3], r[4]) for t, r in zip(times, readings)]
        roll = parser.has_roll
        if roll and parser.format is LineFormat.FIRMWARE:
            roll = any(len(r[4]) == 6 for r in readings) or self._has_roll
        with self._received:
            self._buffer.extend(samples)
            excess = len(self._buffer) - self._buffer_size
            if excess > 0:
                # Nobody is reading (the game stalled): keep the newest, count the rest.
                for _ in range(excess):
                    self._buffer.popleft()
                self._dropped[OVERFLOW] += excess
            self.stats.lines_ok += len(samples)
            self._has_roll = roll
            self._received.notify_all()


def read_waiting(ser: Any) -> bytes:
    """What the port has: waits (up to its timeout) for one byte, then takes everything else waiting.

    A reader thread that woke up late (a busy machine) finds a backlog behind the byte it waited for;
    taking it in the same read lets :class:`LineStamper` spread the whole backlog back over the time it
    took to arrive. Taken in two reads, the first line would be stamped "now" and the backlog squashed
    after it, leaving a hole in the stream where the ball sent readings all along.
    """
    data = ser.read(ser.in_waiting or 1)
    if data:
        data += take_waiting(ser)
    return data


def take_waiting(ser: Any) -> bytes:
    """Everything the port has waiting now, without waiting for more."""
    more = ser.in_waiting
    return ser.read(more) if more else b""


def close_quietly(ser: Any) -> None:
    """Close a port that may be None or already gone, without raising."""
    if ser is None:
        return
    try:
        ser.close()
    except Exception:  # noqa: BLE001, S110 - the device may already be gone
        pass
