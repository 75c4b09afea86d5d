"""Compile the stock Arduino core and unmodified sketches for an Uno, and the simulator harness.

No arduino-cli: the same steps the Arduino IDE takes for an Uno (ATmega328P,
16 MHz), with Debian's avr-gcc and its ``arduino-core-avr``: the ``.ino``
becomes a ``.cpp`` with ``#include <Arduino.h>`` in front (the sketches used
here define their functions before use, so no prototypes need generating),
the core is compiled and linked with ``--gc-sections``. Builds are cached in
the temp folder under a hash of every source and flag, so a test run compiles
each thing once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS_SOURCE = HERE / "uno.c"
ARDUINO_AVR = Path(os.environ.get("ARDUINO_AVR_DIR", "/usr/share/arduino/hardware/arduino/avr"))
ARDUINO_EXAMPLES = Path(os.environ.get("ARDUINO_EXAMPLES_DIR", "/usr/share/arduino/examples"))
CACHE = Path(tempfile.gettempdir()) / "squeeze-quest-simavr"

MCU = "atmega328p"
F_CPU = 16_000_000
COMMON = ["-c", "-g", "-Os", "-w", "-ffunction-sections", "-fdata-sections", "-MMD", f"-mmcu={MCU}",
          f"-DF_CPU={F_CPU}L", "-DARDUINO=10819", "-DARDUINO_AVR_UNO", "-DARDUINO_ARCH_AVR"]
CFLAGS = ["-std=gnu11"]
CXXFLAGS = ["-std=gnu++11", "-fpermissive", "-fno-exceptions", "-fno-threadsafe-statics", "-Wno-error=narrowing",
            # Debian's avr-gcc 5.4 <float.h> gives C++11 no DECIMAL_DIG, which the core's WString.cpp
            # uses (the IDE ships gcc 7); 9 is its value for the AVR's 32-bit double.
            "-DDECIMAL_DIG=9"]

#: The stock sketches, from Debian's ``arduino`` package (the IDE's built-in examples).
STOCK_SKETCHES = {
    "AnalogReadSerial": "01.Basics/AnalogReadSerial/AnalogReadSerial.ino",
    "AnalogInOutSerial": "03.Analog/AnalogInOutSerial/AnalogInOutSerial.ino",
}


class BuildError(RuntimeError):
    pass


def missing_tools() -> str | None:
    """Why the simulated Uno cannot run here (None when it can)."""
    need = {"avr-gcc": "gcc-avr", "avr-g++": "gcc-avr", "gcc": "gcc"}
    for tool, pkg in need.items():
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install {pkg})"
    if not Path("/usr/include/simavr/sim_avr.h").exists():
        return "simavr headers are not installed (apt-get install libsimavr-dev)"
    if not (Path("/usr/lib/avr/include/avr/io.h").exists() or Path("/usr/avr/include/avr/io.h").exists()):
        return "avr-libc is not installed (apt-get install avr-libc)"
    if not (ARDUINO_AVR / "cores/arduino/Arduino.h").exists():
        return f"the Arduino AVR core is not in {ARDUINO_AVR} (apt-get install arduino-core-avr)"
    for rel in STOCK_SKETCHES.values():
        if not (ARDUINO_EXAMPLES / rel).exists():
            return f"the Arduino examples are not in {ARDUINO_EXAMPLES} (apt-get install arduino)"
    return None


def stock_sketch(name: str) -> Path:
    return ARDUINO_EXAMPLES / STOCK_SKETCHES[name]


def _digest(paths: list[Path], *extra: object) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p).encode())
        h.update(p.read_bytes())
    for e in extra:
        h.update(repr(e).encode())
    return h.hexdigest()[:16]


def _run(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise BuildError(f"{' '.join(cmd)}\n{res.stdout}{res.stderr}")


def _compile(src: Path, obj: Path, includes: list[str]) -> Path:
    if src.suffix in (".c",):
        cmd = ["avr-gcc", *COMMON, *CFLAGS]
    elif src.suffix == ".S":
        cmd = ["avr-gcc", *COMMON, "-x", "assembler-with-cpp"]
    else:
        cmd = ["avr-g++", *COMMON, *CXXFLAGS]
    _run([*cmd, *includes, str(src), "-o", str(obj)])
    return obj


def _core_sources() -> list[Path]:
    core = ARDUINO_AVR / "cores/arduino"
    return sorted(p for p in core.iterdir() if p.suffix in (".c", ".cpp", ".S"))


def _includes() -> list[str]:
    return [f"-I{ARDUINO_AVR / 'cores/arduino'}", f"-I{ARDUINO_AVR / 'variants/standard'}"]


def build_core() -> Path:
    """The Arduino core for an Uno as ``core.a`` (cached)."""
    srcs = _core_sources()
    headers = sorted((ARDUINO_AVR / "cores/arduino").glob("*.h")) + [ARDUINO_AVR / "variants/standard/pins_arduino.h"]
    out = CACHE / f"core-{_digest(srcs + headers, COMMON, CFLAGS, CXXFLAGS)}"
    lib = out / "core.a"
    if lib.exists():
        return lib
    tmp = Path(tempfile.mkdtemp(dir=_cache_dir()))
    inc = _includes()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        objs = list(pool.map(lambda s: _compile(s, tmp / (s.name + ".o"), inc), srcs))
    _run(["avr-gcc-ar" if shutil.which("avr-gcc-ar") else "avr-ar", "rcs", str(tmp / "core.a"), *map(str, objs)])
    _publish(tmp, out)
    return lib


def build_sketch(ino: Path) -> Path:
    """An unmodified ``.ino`` compiled and linked for an Uno; returns the ELF (cached)."""
    ino = Path(ino)
    core = build_core()
    out = CACHE / f"sketch-{ino.stem}-{_digest([ino], str(core), COMMON, CXXFLAGS)}"
    elf = out / f"{ino.stem}.elf"
    if elf.exists():
        return elf
    tmp = Path(tempfile.mkdtemp(dir=_cache_dir()))
    cpp = tmp / f"{ino.stem}.ino.cpp"
    # What the Arduino builder does: the core's header first, line numbers kept pointing at the .ino.
    cpp.write_text(f'#include <Arduino.h>\n#line 1 "{ino}"\n' + ino.read_text(encoding="utf-8"), encoding="utf-8")
    obj = _compile(cpp, tmp / f"{ino.stem}.o", [*_includes(), f"-I{ino.parent}"])
    _run(["avr-gcc", "-w", "-Os", "-g", "-Wl,--gc-sections", f"-mmcu={MCU}", "-o", str(tmp / elf.name), str(obj),
          str(core), "-lm"])
    _publish(tmp, out)
    return elf


def build_harness() -> Path:
    """``tests/simavr/uno.c`` against libsimavr (cached)."""
    out = CACHE / f"uno-{_digest([HARNESS_SOURCE])}"
    exe = out / "uno"
    if exe.exists():
        return exe
    tmp = Path(tempfile.mkdtemp(dir=_cache_dir()))
    _run(["gcc", "-O2", "-Wall", "-o", str(tmp / "uno"), str(HARNESS_SOURCE), "-lsimavr", "-lutil", "-lm"])
    _publish(tmp, out)
    return exe


def _cache_dir() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE


def _publish(tmp: Path, out: Path) -> None:
    # Atomic: parallel test workers may build the same thing; the first one to finish wins.
    try:
        tmp.rename(out)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
