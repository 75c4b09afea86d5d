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
    ChannelMap,
    Detected,
    LineFormat,
    LineParser,
    ParseStats,
    detect_format,
    parser_for,
    split_lines,
)
from hardware.sample import Sample
from hardware.source import SourceInfo, SourceStatus

AUTO_BAUDS = (115200, 9600)
READ_TIMEOUT_S = 0.02  # how long one read may block the reader thread (never the frame)
OVERFLOW = "overflow"


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
    """

    def __init__(self, period_s: float = 0.01) -> None:
        self.period = period_s
        self._offset: float | None = None
        self._last_t = float("-inf")
        self._last_now: float | None = None
        self._last_dev: float | None = None

    def reset(self) -> None:
        self._offset = None
        self._last_now = None
        self._last_dev = None

    def stamp(self, now: float, dev_times: Sequence[float | None]) -> list[float]:
        n = len(dev_times)
        if n == 0:
            return []
        if self._last_now is not None and now > self._last_now:
            per_line = (now - self._last_now) / n
            self.period += 0.1 * (min(0.1, max(1e-4, per_line)) - self.period)
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

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


class BootTimeout(Exception):
    pass


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
    for i, baud in enumerate(bauds):
        if stop is not None and stop.is_set():
            break
        if i > 0 or getattr(ser, "baudrate", baud) != baud:
            ser.baudrate = baud
            ser.reset_input_buffer()
        buf = bytearray()
        lines: list[bytes] = []
        deadline = monotonic() + (boot_seconds if i == 0 else retry_seconds)
        while monotonic() < deadline and not (stop is not None and stop.is_set()):
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
    tried = ", ".join(str(b) for b in bauds)
    raise BootTimeout(
        f"no readable lines (tried {tried} baud; {ignored} unreadable lines). "
        "Is the ball's sketch running and printing one reading per line?"
    )


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
            if self._parser is not None:
                for k, v in self._parser.stats.dropped.items():
                    dropped[k] = dropped.get(k, 0) + v
            return SerialStats(port=s.port, baud=s.baud, format=s.format, firmware=s.firmware, lines_ok=s.lines_ok,
                               boot_lines=s.boot_lines, dropped=dropped, rate_hz=s.rate_hz, reconnects=s.reconnects)

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
            if self._status is not SourceStatus.DISCONNECTED:
                self._set_status(SourceStatus.CONNECTING, f"{self._name}: waiting for readings on {url}")
            # After a replug, try what worked last time first.
            bauds = self._bauds
            if self.stats.baud in bauds:
                bauds = (self.stats.baud,) + tuple(b for b in bauds if b != self.stats.baud)
            fixed = self._fixed or self._last_detected
            while True:
                try:
                    detected, baud, buf, first_lines, ignored = await_readings(
                        ser, bauds=bauds, boot_seconds=self._boot_seconds, fixed=fixed, cmap=self._cmap,
                        stop=self._stop, monotonic=self._mono, retry_seconds=1.0)
                    break
                except BootTimeout as exc:
                    if self._stop.is_set():
                        return
                    self._set_status(self._status if self._ever_connected else SourceStatus.CONNECTING,
                                     f"{self._name} on {url}: {exc}")
                    if self._finder is not None:
                        # Not the ball (or not yet): look at the other ports before this one again.
                        self._failed[url] = self._failed.get(url, 0) + 1
                        return
                    fixed = self._fixed  # maybe another kind of ball came back: detect afresh
        self._last_detected = detected
        self._failed.pop(url, None)
        parser = parser_for(detected, self._cmap)
        if detected.info:
            parser.info = dict(detected.info)
        with self._lock:
            old = self._parser
            if old is not None:
                for k, v in old.stats.dropped.items():
                    self._dropped[k] += v
            self._parser = parser
            self.stats.port = url
            self.stats.baud = baud
            self.stats.format = detected.describe()
            self.stats.firmware = detected.info.get("version", "")
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
        self._set_status(SourceStatus.CONNECTED, f"{self._name} on {url} ({detected.describe()}, {baud} baud)",
                         "reconnected" if was else "connected", port=url, baud=baud, format=detected.describe())
        # The lines that confirmed the format are readings too; what came before
        # the first good one is boot noise, ignored rather than counted as dropped.
        probe = parser_for(detected, self._cmap)
        start = next((i for i, ln in enumerate(first_lines) if probe.parse(ln) is not None), len(first_lines))
        with self._lock:
            self.stats.boot_lines += ignored + start
        readings = parser.parse_lines(first_lines[start:])
        if readings:
            self._deliver(readings, self._clock.now(), self._stamper, parser)
        self._read_loop(ser, url, parser, buf)

    def _read_loop(self, ser: Any, url: str, parser: LineParser, buf: bytearray) -> None:
        mono = self._mono
        clock = self._clock
        stamper = self._stamper
        last_good = mono()
        rate_t, rate_n = last_good, self.stats.lines_ok
        silent = False
        pstats = parser.stats
        while not self._stop.is_set():
            data = ser.read(ser.in_waiting or 1)
            now_m = mono()
            if data:
                lines = split_lines(buf, data, pstats)
                if lines:
                    readings = parser.parse_lines(lines)
                    if readings:
                        self._deliver(readings, clock.now(), stamper, parser)
                        last_good = now_m
                        if silent:
                            silent = False
                            self._set_status(SourceStatus.CONNECTED, f"{self._name} on {url}: readings again",
                                             "reconnected", port=url)
            if now_m - rate_t >= 0.5:
                with self._lock:
                    n = self.stats.lines_ok
                    self.stats.rate_hz = (n - rate_n) / (now_m - rate_t)
                rate_t, rate_n = now_m, n
            if not silent and now_m - last_good > self._silence:
                # The port is open but nothing sensible comes: treat as unplugged, keep listening.
                silent = True
                self._set_status(SourceStatus.DISCONNECTED, f"No readings from the ball on {url} - check the cable",
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


def close_quietly(ser: Any) -> None:
    """Close a port that may be None or already gone, without raising."""
    if ser is None:
        return
    try:
        ser.close()
    except Exception:  # noqa: BLE001, S110 - the device may already be gone
        pass
