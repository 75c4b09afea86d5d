"""A patient's access settings: how the game is driven, read and heard.

Kept in the patient's profile (the settings JSON of ``game/profiles.py``), so each
person's scan pace, text size, volumes, spoken prompts and game speed come back
with them; the trained hand is the profile's own ``hand``. Every value has a
short list of choices a settings screen can step through with one squeeze, and a
range a therapist may set from the command line (``patients set NAME key=value``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from game.i18n import LANGUAGE_NAMES, N_, _, available_languages, normalize, set_language

SCAN_MODES = ("auto", "on", "off")
MUSIC_KIOSK = 0.0  # the clinic kiosk's music volume for a patient who has not chosen one: off
ASK_AFTER_MIN, ASK_AFTER_MAX = 5.0, 300.0  # 'Keep going?' never sooner (slow hands rest) nor later than this


@dataclass(frozen=True)
class Choice:
    value: Any
    label: str  # what the settings screen shows, in plain words (marked with N_, translated where drawn)


@dataclass(frozen=True)
class SettingInfo:
    key: str
    name: str  # the screen's name for it
    what: str  # what it accepts, for error messages
    choices: tuple[Choice, ...]
    low: float | None = None
    high: float | None = None


SETTINGS_INFO: dict[str, SettingInfo] = {s.key: s for s in (
    SettingInfo("scan", N_("Moving frame"), N_("auto (with the ball), on or off"),
                (Choice("auto", N_("With ball")), Choice("on", N_("Always")), Choice("off", N_("Off")))),
    SettingInfo("scan_s", N_("Frame speed"), N_("seconds on each choice, 0.6 to 8"),
                (Choice(1.0, N_("Fast")), Choice(1.6, N_("Normal")), Choice(2.4, N_("Slow")),
                 Choice(3.5, N_("Slower")), Choice(5.0, N_("Slowest"))), 0.6, 8.0),
    SettingInfo("game_speed", N_("Game speed"), N_("0.5 (slow) to 1.5 (quick), 1 is normal"),
                (Choice(0.6, N_("Slowest")), Choice(0.8, N_("Slow")), Choice(1.0, N_("Normal")),
                 Choice(1.25, N_("Quick"))), 0.5, 1.5),
    SettingInfo("text_scale", N_("Text size"), N_("1.0 normal up to 1.6"),
                (Choice(1.0, N_("Big")), Choice(1.2, N_("Bigger")), Choice(1.4, N_("Biggest"))), 1.0, 1.6),
    SettingInfo("cue_volume", N_("Sounds"), N_("0 (off) to 1 (loud)"),
                (Choice(0.0, N_("Off")), Choice(0.3, N_("Quiet")), Choice(0.55, N_("Medium")), Choice(0.8, N_("Loud")),
                 Choice(1.0, N_("Loudest"))), 0.0, 1.0),
    SettingInfo("speech", N_("Spoken words"), N_("true or false"),
                (Choice(False, N_("Off")), Choice(True, N_("On")))),
    SettingInfo("speech_volume", N_("Voice volume"), N_("0 (off) to 1 (loud)"),
                (Choice(0.3, N_("Quiet")), Choice(0.55, N_("Medium")), Choice(0.8, N_("Loud")),
                 Choice(1.0, N_("Loudest"))), 0.0, 1.0),
    # Background music that follows the set (game/music.py), on its own volume beside the sounds.
    SettingInfo("music_volume", N_("Music"), N_("0 (off) to 1 (loud)"),
                (Choice(0.0, N_("Off")), Choice(0.15, N_("Quiet")), Choice(0.3, N_("Medium")), Choice(0.5, N_("Loud"))),
                0.0, 1.0),
    # The words on screen: each language's own name (a patient finds theirs whatever is shown
    # now); "auto" follows the computer's language (game/i18n.py).
    SettingInfo("language", N_("Language"), N_("auto (the computer's language), en, es, de or zh_Hans"),
                (Choice("auto", N_("Automatic")),
                 *(Choice(code, LANGUAGE_NAMES.get(code, code)) for code in available_languages()))),
    # During a set a squeeze is the exercise, so a ball-only player cannot reach Pause or
    # Stop: after this long with no effort the game pauses itself and asks "Keep going?".
    SettingInfo("ask_after_s", N_("Ask 'Keep going?'"),
                N_("seconds without a squeeze before the game asks, 5 to 300, or off"),
                (Choice(0.0, N_("Never")), Choice(10.0, N_("After 10 s")), Choice(15.0, N_("After 15 s")),
                 Choice(30.0, N_("After 30 s")), Choice(60.0, N_("After 1 min"))), ASK_AFTER_MIN, ASK_AFTER_MAX),
)}


@dataclass(frozen=True)
class AccessSettings:
    """One patient's settings (defaults suit a first-time player)."""

    scan: str = "auto"  # the highlight steps by itself: with the ball (auto), always, or never
    scan_s: float = 1.6  # seconds the highlight stays on each choice (a slow squeeze holds it still)
    game_speed: float = 1.0  # 0.5-1.5: the time between cues is divided by this
    text_scale: float = 1.0
    cue_volume: float = 0.8
    speech: bool = False
    speech_volume: float = 0.8
    # Music volume (0: off). In the clinic kiosk it is off until a patient turns it up (MUSIC_KIOSK).
    music_volume: float = 0.3
    # Seconds with no effort during a set before the game pauses and asks "Keep going?"
    # (0: never). 15 s leaves a slow hand that squeezes every 10 s alone.
    ask_after_s: float = 15.0
    language: str = "auto"  # a game/i18n.py code, or auto: the computer's language
    hand: str = "right"  # the hand trained (kept in the profile's own column)

    @classmethod
    def from_profile(cls, settings: dict[str, Any], hand: str = "right", *, kiosk: bool = False) -> AccessSettings:
        """From a profile's settings JSON; a damaged or out-of-range value falls back
        to its default (a bad cell must never lock a patient out). In the clinic kiosk
        (``kiosk``) music is off unless this patient has chosen a music volume."""
        values: dict[str, Any] = {}
        for key in SETTINGS_INFO:
            if key in settings:
                try:
                    values[key] = check_setting(key, settings[key])
                except ValueError:
                    pass
        if settings.get("sound") is False and "cue_volume" not in values:
            values["cue_volume"] = 0.0  # the older on/off switch for sound
        if kiosk and "music_volume" not in values:
            values["music_volume"] = MUSIC_KIOSK
        return cls(hand=hand if hand in ("left", "right") else "right", **values)

    def scans_with(self, keyboard_input: bool) -> bool:
        """Does the highlight step by itself? ``auto`` scans when a ball is the input."""
        return self.scan == "on" or (self.scan == "auto" and not keyboard_input)

    @property
    def pace(self) -> float:
        """Multiplier on the time between cues (game speed 0.8 -> 1.25 x the time)."""
        return 1.0 / self.game_speed

    def with_value(self, key: str, value: Any) -> AccessSettings:
        return replace(self, **{key: check_setting(key, value)})

    def next_choice(self, key: str) -> Any:
        """The value after the current one in the screen's list (wrapping round)."""
        info = SETTINGS_INFO[key]
        current = getattr(self, key)
        values = [c.value for c in info.choices]
        if current in values:
            return values[(values.index(current) + 1) % len(values)]
        # A value set from the command line that is not on the list: the next one above it.
        above = [v for v in values if not isinstance(v, bool) and v > current]
        return above[0] if above else values[0]

    def label(self, key: str) -> str:
        value = getattr(self, key)
        for c in SETTINGS_INFO[key].choices:
            if c.value == value and type(c.value) is type(value):
                return c.label
        return f"{value:g}" if isinstance(value, float) else str(value)


def check_setting(key: str, value: Any) -> Any:
    """The value, checked and converted; ValueError with a plain message if wrong."""
    info = SETTINGS_INFO.get(key)
    if info is None:
        raise ValueError(_("'{key}' is not an access setting").format(key=key))
    if key == "scan":
        v = str(value).strip().lower()
        if v in ("true", "yes"):
            v = "on"
        elif v in ("false", "no"):
            v = "off"
        if v not in SCAN_MODES:
            raise ValueError(_("'{key}' must be {what}; got {value!r}").format(key=key, what=_(info.what), value=value))
        return v
    if key == "language":
        word = str(value).strip()
        if word.lower() in ("auto", "", "none", "system"):
            return "auto"
        code = normalize(word)
        if code is None:
            raise ValueError(_("'{key}' must be {what}; got {value!r}").format(key=key, what=_(info.what), value=value))
        return code
    if key == "ask_after_s":
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("off", "never", "no", "false"):
                return 0.0
            try:
                value = float(word.removesuffix("s"))
            except ValueError:
                raise ValueError(_("'{key}' must be {what}; got {value!r}").format(key=key, what=_(info.what),
                                                                                 value=value)) from None
        if value is False or (not isinstance(value, bool) and value == 0):
            return 0.0  # never ask (the command line's 'off' arrives as False)
    if key == "speech":
        if not isinstance(value, bool):
            raise ValueError(_("'{key}' must be {what}; got {value!r}").format(key=key, what=_(info.what), value=value))
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(_("'{key}' must be a number, {what}; got {value!r}").format(key=key, what=_(info.what),
                                                                                    value=value))
    v = float(value)
    assert info.low is not None and info.high is not None
    if not info.low <= v <= info.high:
        raise ValueError(_("'{key}' must be {what}; got {value!r}").format(key=key, what=_(info.what), value=value))
    return v


def load_access(store: Any, patient_id: int, *, kiosk: bool = False) -> AccessSettings:
    """The patient's settings, or the defaults if the profile cannot be read."""
    from game.profiles import ProfileError, Profiles

    try:
        p = Profiles(store).get(patient_id)
    except ProfileError:
        return AccessSettings.from_profile({}, kiosk=kiosk)
    return AccessSettings.from_profile(p.settings, p.hand, kiosk=kiosk)


# Settings that change how the game treats the patient: the settings screen asks before changing them.
CONFIRM_KEYS = frozenset({"hand", "scan", "scan_s", "game_speed", "speech", "speech_volume", "language"})


def save_access(store: Any, patient_id: int, key: str, value: Any, *, where: str = "game",
                kiosk: bool = False) -> AccessSettings:
    """Change one setting in the patient's profile (an event row says what, old, new and ``where``);
    returns the settings as saved."""
    from game.profiles import Profiles

    profiles = Profiles(store, where=where)
    if key == "hand":
        p = profiles.set_hand(patient_id, value)
    else:
        changes: dict[str, Any] = {key: check_setting(key, value)}
        if key == "cue_volume" and changes[key] > 0:
            changes["sound"] = True  # turning sounds up also turns the old on/off switch on
        p = profiles.update_settings(patient_id, **changes)
    return AccessSettings.from_profile(p.settings, p.hand, kiosk=kiosk)


def apply_access(ctx: Any, settings: AccessSettings) -> None:
    """Make the settings take effect: volumes, voice, hand (the app reads the text size each frame)."""
    ctx.access = settings
    ctx.audio.volume = settings.cue_volume
    music = getattr(ctx, "music", None)
    if music is not None:
        music.volume = settings.music_volume
        if music.audible:
            music.prepare()  # the loops are made on a worker thread now, long before a set needs them
    speech = getattr(ctx, "speech", None)
    if speech is not None:
        speech.enabled = settings.speech
        speech.volume = settings.speech_volume
    ctx.play.hand = settings.hand
    set_language(None if settings.language == "auto" else settings.language)  # the next frame is in it


def apply_patient_settings(ctx: Any) -> AccessSettings:
    """Load and apply the current patient's settings (at start and on choosing a patient)."""
    settings = load_access(ctx.store, ctx.patient_id, kiosk=bool(getattr(ctx, "kiosk", False)))
    apply_access(ctx, settings)
    return settings


def scan_every(ctx: Any) -> float | None:
    """Seconds per scan step on this screen, or None when the highlight should stay put."""
    access: AccessSettings = getattr(ctx, "access", None) or AccessSettings()
    return access.scan_s if access.scans_with(ctx.hub.source is ctx.hub.keyboard) else None
