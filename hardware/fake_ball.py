"""A fake squeeze ball on a pseudo-terminal (POSIX only).

Tests, benchmarks and makers without hardware use it: it opens a pty whose
slave end looks exactly like a USB serial port to pyserial, and writes the
lines a real ball would write, in any of the formats, including the boot
noise of an Arduino that resets when the port opens. ``unplug`` closes the pty
the way a pulled cable does (the reader gets an I/O error and the port name
disappears); ``replug`` opens a new one, which has another name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hardware.line_formats import LineFormat, firmware_info_line, firmware_line

BOOT_NOISE = b"\x00\xf0\xff\x1b[bootloader\xfe\xfe \r\n\xf8\xe0\x00"


def format_line(fmt: LineFormat | str, force: float, gyro: Sequence[float] = (0.0, 0.0, 0.0), *, seq: int = 0,
                ms: int = 0, with_gyro: bool = True) -> bytes:
    """The line a ball of this format prints for one reading."""
    fmt = LineFormat(fmt)
    if fmt is LineFormat.NUMBER:
        return b"%d\r\n" % round(force)
    if fmt is LineFormat.PLOTTER:
        if with_gyro:
            return b"force:%.1f,gx:%.2f\tgy:%.2f\r\n" % (force, gyro[0], gyro[1])
        return b"force:%.1f\r\n" % force
    if fmt is LineFormat.LABELLED:
        # the stock AnalogInOutSerial example's "name = value" pairs, and gyro rates as more pairs
        out = b"sensor = %d\t output = %d" % (round(force), round(force) // 4)
        if with_gyro:
            out += b"\t gx = %.2f\t gy = %.2f" % (gyro[0], gyro[1])
        return out + b"\r\n"
    if fmt is LineFormat.CSV:
        # fsr,ax,ay,az,gx,gy,gz with a resting accelerometer
        return b"%d,0,0,16384,%.2f,%.2f,%.2f\r\n" % (round(force), gyro[0], gyro[1], gyro[2])
    return firmware_line(seq, ms, round(force, 1), tuple(gyro) if with_gyro else None)


def banner(fmt: LineFormat | str) -> bytes:
    """What the sketch prints once after a reset."""
    fmt = LineFormat(fmt)
    if fmt is LineFormat.FIRMWARE:
        return firmware_info_line("1.0.0")
    if fmt is LineFormat.CSV:
        return b"# DIY grip ball ready\r\n"
    return b"Ready\r\n"


class PtyBall:
    """The device end of a pseudo-terminal that behaves like a plugged-in ball."""

    def __init__(self) -> None:
        self._master: int | None = None
        self._slave: int | None = None
        self.port = ""
        self.plugs = 0
        self.replug()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def replug(self) -> str:
        """Plug in (again): a new pty, so usually a new port name, like a ball that comes back as ttyACM1."""
        import pty
        import tty

        self.unplug()
        master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no newline translation: bytes as a USB CDC port delivers them
        self._master, self._slave = master, slave
        self.port = os.ttyname(slave)
        self.plugs += 1
        return self.port

    def write(self, data: bytes) -> None:
        if self._master is None:
            raise OSError("the fake ball is unplugged")
        view = memoryview(data)
        while view:
            n = os.write(self._master, view)
            view = view[n:]

    def boot(self, fmt: LineFormat | str, noise: bool = True) -> None:
        """Bootloader noise (garbage bytes, a half line) then the sketch's banner."""
        if noise:
            self.write(BOOT_NOISE)
            self.write(b"12,3")  # a half line cut by the reset
            self.write(b"\n")
        self.write(banner(fmt))

    def unplug(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None

    def close(self) -> None:
        self.unplug()

    def __enter__(self) -> PtyBall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
