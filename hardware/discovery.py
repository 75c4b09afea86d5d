"""Finding the ball: which serial ports exist, which look like a ball, which one is.

A port is a candidate when its USB vendor/product id is a bridge Arduino-class
boards use (Arduino, CH340, CP210x, FTDI and a few more) or a profile names it;
it is confirmed as a ball only when it sends lines that parse. Opening a port
resets many Arduinos, so a confirmed port is handed on still open.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hardware.clock import Clock
from hardware.keyboard import KeyboardBall
from hardware.line_formats import Detected, parser_for
from hardware.serial_ball import (
    AUTO_BAUDS,
    BootTimeout,
    SerialBall,
    await_readings,
    bauds_to_try,
    close_quietly,
    open_url,
)

# USB vendor id -> bridge name; (vid, pid) pairs where a vendor makes other things too.
KNOWN_VENDORS = {
    0x2341: "Arduino",
    0x2A03: "Arduino",
    0x1A86: "CH340",
    0x10C4: "CP210x",
    0x0403: "FTDI",
    0x239A: "Adafruit",
    0x2E8A: "Raspberry Pi Pico",
    0x1B4F: "SparkFun",
    0x16C0: "Teensy",
    0x303A: "ESP32",
}


@dataclass(frozen=True)
class PortInfo:
    device: str
    description: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    bridge: str | None = None  # a known USB-serial bridge, or None

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and self.pid is not None else ""


def list_ports(comports: Callable[[], Sequence[Any]] | None = None) -> list[PortInfo]:
    """The serial ports on this computer, with the bridge each one looks like."""
    if comports is None:
        from serial.tools.list_ports import comports as _comports

        comports = _comports
    out = []
    for p in comports():
        vid, pid = getattr(p, "vid", None), getattr(p, "pid", None)
        out.append(PortInfo(device=p.device, description=getattr(p, "description", "") or "", vid=vid, pid=pid,
                            serial_number=getattr(p, "serial_number", None),
                            bridge=KNOWN_VENDORS.get(vid) if vid is not None else None))
    return sorted(out, key=lambda p: (p.bridge is None, p.device))


def is_candidate(port: PortInfo, profile: Any = None) -> bool:
    if port.bridge is not None:
        return True
    if profile is not None:
        for m in getattr(profile, "usb", []) or []:
            if (m.vid is None or m.vid == port.vid) and (m.pid is None or m.pid == port.pid) and (
                    m.description is None or m.description.lower() in port.description.lower()):
                if m.vid is not None or m.description is not None:
                    return True
    return False


@dataclass
class ProbeResult:
    url: str
    ok: bool
    message: str
    baud: int | None = None
    detected: Detected | None = None
    port: Any = None  # the open port when ok and kept open
    force: str = ""  # which value is force, e.g. "force: 'sensor'"
    lines: tuple[bytes, ...] = ()  # the lines that confirmed the format: the reader learns its range from them

    def describe(self) -> str:
        if self.ok and self.detected is not None:
            return f"ball: {self.detected.describe()}, {self.force or 'force: the number'}, at {self.baud} baud"
        return self.message


def probe(url: str, *, bauds: Sequence[int] = AUTO_BAUDS, profile: Any = None, boot_seconds: float | None = None,
          opener: Callable[[str, int], Any] = open_url, keep_open: bool = False) -> ProbeResult:
    """Open ``url`` and see whether a ball is talking on it."""
    try:
        ser = opener(url, bauds[0])
    except Exception as exc:  # noqa: BLE001 - busy, no permission, gone: all become a message
        return ProbeResult(url, False, _open_error(url, exc))
    boot = boot_seconds if boot_seconds is not None else (profile.boot_seconds if profile is not None else 3.0)
    try:
        cmap = profile.channel_map() if profile is not None else None
        det, baud, _buf, lines, _ign = await_readings(
            ser, bauds=bauds, boot_seconds=boot, fixed=profile.fixed_format() if profile is not None else None,
            cmap=cmap, retry_seconds=1.0)
    except BootTimeout as exc:
        close_quietly(ser)
        return ProbeResult(url, False, f"no ball: {exc}")
    except Exception as exc:  # noqa: BLE001
        close_quietly(ser)
        return ProbeResult(url, False, f"read failed: {exc}")
    if not keep_open:
        close_quietly(ser)
        ser = None
    reader = parser_for(det, cmap)
    reader.parse_lines(lines)  # resolves which field is force, as the ball will be read
    return ProbeResult(url, True, "ball found", baud=baud, detected=det, port=ser, force=reader.describe_force(),
                       lines=tuple(lines[-200:]))


def find_ball(*, profile: Any = None, baud: int | None = None, comports: Callable[[], Sequence[Any]] | None = None,
              opener: Callable[[str, int], Any] = open_url, boot_seconds: float | None = None) -> ProbeResult | None:
    """Probe every candidate port at once and return the first confirmed ball, left open; None if none."""
    ports = [p for p in list_ports(comports) if is_candidate(p, profile)]
    if not ports:
        return None
    bauds = bauds_to_try(baud, profile)
    results: list[ProbeResult] = []
    lock = threading.Lock()

    def run(dev: str) -> None:
        r = probe(dev, bauds=bauds, profile=profile, boot_seconds=boot_seconds, opener=opener, keep_open=True)
        with lock:
            results.append(r)

    # In parallel: each Arduino takes a couple of seconds to boot after the port opens.
    threads = [threading.Thread(target=run, args=(p.device,), daemon=True) for p in ports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sorted((r for r in results if r.ok), key=lambda r: [p.device for p in ports].index(r.url))
    for extra in ok[1:]:
        close_quietly(extra.port)
    return ok[0] if ok else None


def reconnect_finder(first: str, *, profile: Any = None,
                     comports: Callable[[], Sequence[Any]] | None = None) -> Callable[[], list[str]]:
    """Where to look when the ball comes back: ports with the same USB serial number or
    id first, then any other candidate (it may come back as ttyACM1 or COM5)."""
    original: list[PortInfo] = [p for p in _safe_list(comports) if p.device == first]

    def find() -> list[str]:
        ports = [p for p in _safe_list(comports) if is_candidate(p, profile) or p.device == first]
        o = original[0] if original else None

        def rank(p: PortInfo) -> int:
            if o is not None and o.serial_number and p.serial_number == o.serial_number:
                return 0
            if o is not None and o.vid is not None and (p.vid, p.pid) == (o.vid, o.pid):
                return 1
            return 2

        return [p.device for p in sorted(ports, key=rank)]

    return find


def describe_ports(ports: Sequence[PortInfo], results: dict[str, ProbeResult] | None = None) -> list[dict]:
    rows = []
    for p in ports:
        r = (results or {}).get(p.device)
        rows.append({
            "port": p.device, "description": p.description, "usb_id": p.usb_id, "bridge": p.bridge or "",
            "serial_number": p.serial_number or "",
            "detected": r.describe() if r is not None else ("not probed" if p.bridge is None else ""),
            "format": r.detected.format.value if r is not None and r.detected is not None else None,
            "force": r.force if r is not None else "",
            "baud": r.baud if r is not None else None,
        })
    return rows


def _safe_list(comports: Callable[[], Sequence[Any]] | None) -> list[PortInfo]:
    try:
        return list_ports(comports)
    except Exception:  # noqa: BLE001 - no port listing on this system: nothing to offer
        return []


def _open_error(url: str, exc: Exception) -> str:
    text = str(exc)
    if "Permission denied" in text or isinstance(exc, PermissionError):
        return (f"cannot open {url}: permission denied. On Linux add yourself to the 'dialout' group "
                "(sudo usermod -aG dialout $USER) and log in again")
    if "busy" in text.lower() or "Device or resource busy" in text:
        return f"cannot open {url}: another program is using it (close the Arduino Serial Monitor)"
    return f"cannot open {url}: {text}"


class BallWatcher:
    """Keeps looking for a ball plugged in after start-up, while the keyboard plays.

    Every ``interval`` seconds it lists the serial ports on a background thread and
    probes only ports that were not there at the previous look: opening a port resets
    an Arduino, so a port already seen is never touched again (a port that goes away
    and comes back counts as new). The first confirmed ball is handed over, still
    open, through :meth:`take`; the game adopts it at a safe moment (not mid-set).
    """

    def __init__(self, clock: Clock, *, profile: Any = None, baud: int | None = None,
                 comports: Callable[[], Sequence[Any]] | None = None, opener: Callable[[str, int], Any] = open_url,
                 interval: float = 2.0, boot_seconds: float | None = None) -> None:
        self._clock = clock
        self._profile = profile
        self._baud = baud
        self._comports = comports
        self._opener = opener
        self._interval = interval
        self._boot = boot_seconds
        self._stop = threading.Event()
        self._found: SerialBall | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.looks = 0  # how many times the port list was read (for tests and the status line)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ball-watcher", daemon=True)
            self._thread.start()

    def take(self) -> SerialBall | None:
        """The ball found since the last call, if any (each ball is handed over once)."""
        with self._lock:
            ball, self._found = self._found, None
        return ball

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        ball = self.take()
        if ball is not None:
            ball.close()

    def _run(self) -> None:
        known = {p.device for p in _safe_list(self._comports)}
        profile = self._profile
        bauds = bauds_to_try(self._baud, profile)
        while not self._stop.wait(self._interval):
            ports = _safe_list(self._comports)
            self.looks += 1
            new = [p for p in ports if p.device not in known and is_candidate(p, profile)]
            known = {p.device for p in ports}
            for p in new:
                r = probe(p.device, bauds=bauds, profile=profile, boot_seconds=self._boot, opener=self._opener,
                          keep_open=True)
                if not r.ok:
                    continue
                with self._lock:
                    if self._stop.is_set():
                        # Closed while this probe ran (close() waits 5 s at most): nobody will
                        # take the ball, so its port is closed here, not left open for good.
                        close_quietly(r.port)
                        return
                    self._found = SerialBall(self._clock, r.url, baud=r.baud, profile=profile, port=r.port,
                                             detected=r.detected, opener=self._opener, first_lines=r.lines,
                                             finder=reconnect_finder(r.url, profile=profile, comports=self._comports))
                return


class KeyboardFallback(KeyboardBall):
    """The keyboard ball, standing in because no ball was found; it says why on screen."""

    def __init__(self, clock: Clock, reason: str) -> None:
        super().__init__(clock, name="Keyboard")
        self.reason = reason

    @property
    def status_message(self) -> str:
        return f"{self.reason} Playing with the keyboard: hold Space to squeeze."


_WINDOWS_PORT = re.compile(r"^(?:\\\\[.?]\\)?(COM\d+)$", re.IGNORECASE)


def normalize_port(spec: str) -> str:
    """A port name as shown and opened: a Windows port in any spelling (``com10``,
    ``\\\\.\\COM10``) becomes ``COM10`` (pyserial adds the device prefix itself where Windows
    needs it); Linux (``/dev/ttyACM0``) and macOS (``/dev/cu.usbmodem1101``) names and
    pyserial URLs are kept as they are."""
    s = spec.strip()
    m = _WINDOWS_PORT.match(s)
    return m.group(1).upper() if m else s


def is_port_spec(spec: str) -> bool:
    """A port name (Windows, Linux or macOS) or pyserial URL, as opposed to keyboard/sim/a trace file."""
    s = normalize_port(spec)
    if "://" in s or _WINDOWS_PORT.match(s):
        return True
    return s.startswith("/dev/") or (s.startswith("/") and not s.endswith(".csv"))


def open_ball(spec: str, clock: Clock, *, baud: int | None = None, profile: Any = None,
              comports: Callable[[], Sequence[Any]] | None = None,
              opener: Callable[[str, int], Any] = open_url) -> SerialBall | KeyboardFallback:
    """The ball named on the command line (a port or URL), or for ``auto`` the first one found.

    ``auto`` with no ball falls back to the keyboard, which says so on screen.
    A named port is used even if it is not there yet: it is opened when it appears.
    """
    if spec == "auto":
        try:
            found = find_ball(profile=profile, baud=baud, comports=comports, opener=opener)
        except Exception as exc:  # noqa: BLE001 - no port listing on this system
            return KeyboardFallback(clock, f"Could not look for a ball ({exc}).")
        if found is None:
            return KeyboardFallback(clock, "No ball found.")
        return SerialBall(clock, found.url, baud=found.baud, profile=profile, port=found.port,
                          detected=found.detected, finder=reconnect_finder(found.url, profile=profile, comports=comports),
                          opener=opener, first_lines=found.lines)
    spec = normalize_port(spec)
    finder = None if "://" in spec else reconnect_finder(spec, profile=profile, comports=comports)
    return SerialBall(clock, spec, baud=baud, profile=profile, finder=finder, opener=opener)
