"""Where a record came from: the input that made it, the calibration it was measured
against and the program (level file, by content hash) it was played under.

Every session, set and rep carries one :class:`Provenance` (stored once in the
``provenance`` table, keyed by a hash of its content, and referenced by uid), so an
export or report can say "keyboard" for a keyboard rep even in the middle of a ball
session (the keyboard stands in while the ball is unplugged), and never plots device
units of two different devices on one axis.

Plain Python: no pygame. The game builds a provenance from its input hub
(:func:`describe`); tools and tests build one directly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from game.i18n import N_

# What made the samples. A ball is a real sensor; the others are stand-ins (keyboard,
# mouse, gamepad through the keyboard ball) or scripted play (simulator, trace file).
INPUT_KINDS = ("ball", "keyboard", "mouse", "gamepad", "simulator", "trace", "unknown")
SIMULATED_KINDS = frozenset({"simulator", "trace"})
INPUT_WORDS = {  # marked for translation: the report shows them in the reader's language
    "ball": N_("therapy ball (force sensor)"),
    "keyboard": N_("keyboard (Space held: an imitated squeeze)"),
    "mouse": N_("mouse (button held: an imitated squeeze)"),
    "gamepad": N_("gamepad (button held: an imitated squeeze)"),
    "simulator": N_("simulator (scripted, not a person)"),
    "trace": N_("trace file (recorded samples played back, not live)"),
    "unknown": N_("not recorded"),
}
# The patient records of scripted play when no patient was named with --record-as.
SIMULATED_PATIENT = "Simulated play (not a patient)"


@dataclass(frozen=True, slots=True)
class Provenance:
    input_kind: str
    device_name: str
    device_id: str | None = None  # a ball: its port (and USB id / serial number where known)
    firmware: str | None = None
    device_profile: str | None = None
    roll_input: str | None = None  # a ball without a motion sensor rolls with the mouse/keys
    calibration_id: int | None = None  # the newest calibration row used (None: none stored)
    calibration_basis: str = ""  # in words: which calibrations, or the device's own scale
    force_units: str = "device units"  # "kg" only for a ball calibrated against known weights
    force_scale: float | None = None  # kg per device unit (with force_units "kg")
    program_file: str | None = None
    program_version: str | None = None  # "sha256:" + 16 hex of the level file's bytes
    simulated: bool = False

    def __post_init__(self) -> None:
        if self.input_kind not in INPUT_KINDS:
            raise ValueError(f"unknown input kind '{self.input_kind}': use one of {', '.join(INPUT_KINDS)}")

    def as_record(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def uid(self) -> str:
        """The same content always gives the same uid (stored once, merged once)."""
        blob = json.dumps(self.as_record(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    @property
    def device_key(self) -> str:
        """Which device's units these are: readings of two keys are never on one axis."""
        return f"{self.input_kind}:{self.device_name}:{self.device_id or ''}"

    def with_input(self, kind: str, name: str) -> Provenance:
        """The same session's provenance with another input (the keyboard standing in)."""
        return replace(self, input_kind=kind, device_name=name, device_id=None, firmware=None, device_profile=None,
                       roll_input=None, calibration_id=None, force_units="device units", force_scale=None,
                       calibration_basis=f"the keyboard's effort scaled to the ball's calibration "
                                         f"({self.calibration_basis or 'as played'})")


def program_version(path: str | Path | None) -> str | None:
    """The level file's content hash: two programs with the same name but other values
    differ here. None when no file (the built-in default program) or it cannot be read."""
    if not path:
        return None
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def input_words(kind: str | None) -> str:
    return INPUT_WORDS.get(kind or "unknown", kind or "not recorded")


def infer_provenance(input_device: str | None, level: str | None = None) -> Provenance:
    """A provenance from an input device's name alone (a caller that gave none, or a record
    from before provenance was kept): the same rule as the schema-8 migration."""
    name = (input_device or "").strip()
    low = name.lower()
    if not name:
        kind = "unknown"
    elif low.startswith("keyboard"):
        kind = "keyboard"
    elif low == "simulator":
        kind = "simulator"
    elif low.startswith("trace "):
        kind = "trace"
    else:
        kind = "ball"
    return Provenance(kind, name or "not recorded", calibration_basis="not recorded", program_file=level,
                      program_version=program_version(level), simulated=kind in SIMULATED_KINDS)


# ------------------------------------------------------------------ from the game
def _ball_identity(src: Any) -> tuple[str | None, str | None, str | None]:
    """A serial ball's port (with USB id and serial number where the system lists them),
    firmware line and device profile."""
    stats = None
    try:
        stats = src.snapshot() if hasattr(src, "snapshot") else getattr(src, "stats", None)
    except Exception:  # noqa: BLE001 - a provenance must never stop play
        stats = getattr(src, "stats", None)
    port = getattr(stats, "port", None) or getattr(src, "url", None)
    firmware = getattr(stats, "firmware", None) or None
    profile = getattr(getattr(src, "profile", None), "name", None)
    device_id = _port_identity(str(port)) if port else None
    return device_id, firmware, profile


@lru_cache(maxsize=16)
def _port_identity(port: str) -> str:
    """A port with its USB id and serial number where the system lists them (looked up once
    per port: listing the ports can take milliseconds, and a set starts on a frame)."""
    if port.startswith(("loop://", "socket://", "rfc2217://", "spy://")):
        return port
    try:
        from hardware.discovery import list_ports

        for p in list_ports():
            if p.device == port:
                extra = " ".join(x for x in (p.usb_id and f"USB {p.usb_id}",
                                             p.serial_number and f"serial {p.serial_number}") if x)
                return f"{port} ({extra})" if extra else port
    except Exception:  # noqa: BLE001 - no port list on this system: the port name is the id
        return port
    return port


def input_of(hub: Any) -> tuple[str, str, str | None, str | None, str | None, str | None]:
    """(kind, name, device id, firmware, profile, roll input) of what is playing now."""
    from hardware.keyboard import KeyboardBall
    from hardware.scripted import ScriptedSource

    src = hub.source
    kb = getattr(hub, "keyboard", None)
    if getattr(hub, "keyboard_standing_in", False) and kb is not None:
        kind = getattr(kb, "control", "keyboard")
        return kind, f"{kind.capitalize()} (standing in for {src.info.name})", None, None, None, None
    if isinstance(src, KeyboardBall):
        kind = getattr(src, "control", "keyboard")
        return kind, src.info.name if kind == "keyboard" else kind.capitalize(), None, None, None, None
    if getattr(src, "needs_calibration", False):  # a real sensor (the serial ball, or a test's stand-in for it)
        device_id, firmware, profile = _ball_identity(src)
        roll = "mouse or arrow keys" if getattr(hub, "roll_from_mouse", False) else None
        return "ball", src.info.name, device_id, firmware, profile, roll
    if isinstance(src, ScriptedSource):
        kind = "trace" if src.info.name.startswith("Trace") else "simulator"
        return kind, src.info.name, None, None, None, None
    return "unknown", src.info.name, None, None, None, None


def calibration_of(store: Any, patient_id: int, hand: str, kind: str, device: str,
                   calibration: Any) -> tuple[int | None, str, str, float | None]:
    """(newest calibration id, basis in words, force units, kg per device unit) of the
    calibration play uses, as the calibration scene's ``stored_calibration`` chooses it."""
    if kind in ("keyboard", "mouse", "gamepad"):
        return None, "the keyboard's own effort scale (no sensor)", "device units", None
    if kind == "simulator":
        return None, "the simulator's own scale", "device units", None
    if kind == "trace":
        return None, "estimated from the trace file's own rest and strongest squeeze", "device units", None
    try:
        rows = [r for r in store.calibrations(patient_id, hand, limit=12, wait=False) if r["device"] == device]
    except Exception:  # noqa: BLE001 - records unreadable: say so, do not stop play
        rows = []
    used = rows[:3]
    if not used or abs(float(used[0]["baseline"]) - float(calibration.baseline)) > 1e-9:
        return None, "not calibrated yet: a placeholder over the sensor's range", "device units", None
    ids = ", ".join(f"#{r['id']}" for r in used)
    latest = used[0]
    basis = f"rest from calibration #{latest['id']}, strongest squeeze the median of {ids}"
    if latest["units"] != "device units" and latest["scale"] is not None:
        basis += f"; weight-calibrated: {latest['scale']:.4g} {latest['units']} per device unit"
        return int(latest["id"]), basis, str(latest["units"]), float(latest["scale"])
    return int(latest["id"]), basis, "device units", None


def roll_basis(store: Any, patient_id: int, hand: str, kind: str, device: str) -> str:
    """What a rolling exercise's targets are a fraction of: the calibrated roll range, or the
    game's nominal one (keyboard, mouse, a ball not roll-calibrated yet)."""
    if kind != "ball":
        return "roll range: the game's nominal range (no motion sensor calibrated)"
    try:
        rows = store.roll_calibrations(patient_id, hand, device=device, limit=1)
    except Exception:  # noqa: BLE001 - records unreadable: say so, do not stop play
        rows = []
    if not rows:
        return "roll range: the game's nominal range (this ball's roll not calibrated yet)"
    return f"roll range from roll calibration #{rows[0]['id']}"


def describe(ctx: Any, *, hand: str | None = None, exercise: str | None = None) -> Provenance:
    """The provenance of what the game is playing now (input, calibration, program); for a
    rolling ``exercise`` the calibration basis names the roll range too."""
    kind, name, device_id, firmware, profile, roll = input_of(ctx.hub)
    hand = hand or getattr(getattr(ctx, "play", None), "hand", None) or "right"
    cal_id, basis, units, scale = calibration_of(ctx.store, ctx.patient_id, hand, kind, ctx.hub.source.info.name,
                                                 ctx.calibration)
    from game.therapy.exercises import BY_ID

    if exercise in BY_ID and BY_ID[exercise].channel == "roll":
        basis = f"{basis}; {roll_basis(ctx.store, ctx.patient_id, hand, kind, ctx.hub.source.info.name)}"
    plan = getattr(ctx, "plan", None)
    program_file = getattr(plan, "source_file", None)
    version = program_version(program_file)
    if program_file is None:
        program_file = f"built-in program '{getattr(plan, 'name', 'default')}'"
        version = f"app {getattr(ctx, 'app_version', '') or 'unknown'}"
    return Provenance(kind, name, device_id, firmware, profile, roll, cal_id, basis, units, scale,
                      program_file, version, kind in SIMULATED_KINDS)


def records_patient(ctx: Any) -> int:
    """The patient whose records this play goes under: scripted play goes under its own
    record (or the one named with --record-as), never silently under a real patient."""
    return getattr(ctx, "records_patient_id", None) or ctx.patient_id
