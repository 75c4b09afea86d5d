"""Settings for the person playing: the moving frame, text size, sounds, voice, hand.

Usable with the ball alone: the yellow frame walks the tiles; a squeeze on a tile
moves that setting to its next choice (the frame stays there, so another squeeze
moves it on again), and a squeeze on Done leaves. A setting that changes how the
game treats the patient (hand, game speed, the moving frame and its speed, the
voice) is asked about first: "Change hand to left?" Yes / No. Every change is saved
to the patient's profile (with an event row: what, old, new, when, "settings
screen") and takes effect at once: the sound plays at its new volume, the voice
speaks, the text grows. In a simulator or trace-file run nothing is saved: a change
holds for that run only.
"""

from __future__ import annotations

import math
from dataclasses import replace

from game.i18n import N_, _, mid_sentence
from game.input import Act, Action
from game.profiles import ProfileError, Profiles, profiles_held
from game.scene import Pop, Push, Scene, Transition
from game.settings import CONFIRM_KEYS, SETTINGS_INFO, AccessSettings, apply_access, save_access
from game.ui import Canvas, LRect, Theme, draw_gear, draw_hand
from game.widgets import Button, ButtonGroup, ChoiceSwitch, draw_choose_hint, draw_frame_icon, draw_hint
from hardware.sample import Sample

ORDER = ("hand", "scan", "scan_s", "game_speed", "text_scale", "cue_volume", "music_volume", "speech", "speech_volume",
         "language")
NAMES = {"hand": N_("Hand"), **{k: v.name for k, v in SETTINGS_INFO.items()}}  # marked; translated where drawn
# What each tile does, in one short plain sentence (shown under the tiles for the lit one).
EXPLAIN = {
    "done": N_("Save and go back."),
    "hand": N_("The hand you train. Pictures turn to match it."),
    "scan": N_("A yellow frame moves by itself. Squeeze to choose."),
    "scan_s": N_("How long the frame waits on each choice."),
    "game_speed": N_("How much time you get between squeezes."),
    "text_scale": N_("How big the words are."),
    "cue_volume": N_("How loud the beeps are."),
    "music_volume": N_("Soft music while you exercise."),
    "speech": N_("The game reads words out loud."),
    "speech_volume": N_("How loud the voice is."),
    "language": N_("The language of the words."),
}
TILE_W, TILE_H = 270, 196
GRID_X, GRID_Y = 70, 150


def _tile(i: int, n: int = 8) -> LRect:
    if n <= 8:
        col, row = i % 4, i // 4
        return LRect(GRID_X + col * 290, GRID_Y + row * 216, TILE_W, TILE_H)
    # More than eight settings: five narrower tiles a row, the same two rows.
    col, row = i % 5, i // 5
    return LRect(40 + col * 242, GRID_Y + row * 216, 226, TILE_H)


# ------------------------------------------------------------------ icons
def _clock_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    x, y = center
    c.circle(Theme.TEXT, center, size * 0.45, width=max(2.0, size * 0.08))
    c.line(Theme.TEXT, center, (x, y - size * 0.32), max(2.0, size * 0.08))
    c.line(Theme.TEXT, center, (x + size * 0.22, y + size * 0.06), max(2.0, size * 0.08))


def _speed_icon(value: float):  # noqa: ANN202
    def icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        # A dial whose needle sits further right the quicker the game: position, not colour.
        x, y = center
        r = size * 0.5
        c.arc(Theme.TEXT, (x - r, y - r * 0.6, 2 * r, 2 * r), 0.0, math.pi, max(2.0, size * 0.08))
        frac = (value - 0.5) / 1.0
        a = math.pi * (1 - frac)
        cy = y + r * 0.4
        c.line(Theme.FOCUS, (x, cy), (x + r * 0.85 * math.cos(a), cy - r * 0.85 * math.sin(a)), max(3.0, size * 0.1))
        c.circle(Theme.FOCUS, (x, cy), size * 0.08)

    return icon


def _text_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    x, y = center
    c.text("A", (x - size * 0.18, y + size * 0.08), size=size * 0.8, bold=True, anchor="midbottom")
    c.text("a", (x + size * 0.28, y + size * 0.08), size=size * 0.5, bold=True, anchor="midbottom")


def _speaker(c: Canvas, center: tuple[float, float], size: float, waves: int) -> None:
    x, y = center
    s = size
    c.polygon(Theme.TEXT, [(x - s * 0.5, y - s * 0.14), (x - s * 0.3, y - s * 0.14), (x - s * 0.05, y - s * 0.38),
                           (x - s * 0.05, y + s * 0.38), (x - s * 0.3, y + s * 0.14), (x - s * 0.5, y + s * 0.14)])
    for i in range(waves):
        r = s * (0.2 + 0.16 * i)
        c.arc(Theme.TEXT, (x - r, y - r, 2 * r, 2 * r), -0.8, 0.8, max(2.0, s * 0.07))
    if waves == 0:  # off: a cross instead of waves
        c.line(Theme.TEXT, (x + s * 0.1, y - s * 0.15), (x + s * 0.4, y + s * 0.15), max(2.0, s * 0.07))
        c.line(Theme.TEXT, (x + s * 0.1, y + s * 0.15), (x + s * 0.4, y - s * 0.15), max(2.0, s * 0.07))


def _volume_icon(value: float):  # noqa: ANN202
    def icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        _speaker(c, center, size, 0 if value <= 0 else (1 if value < 0.5 else (2 if value < 0.9 else 3)))

    return icon


def _voice_icon(on: bool):  # noqa: ANN202
    def icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        # A speech bubble; with dots when the voice is on, empty and crossed when off.
        x, y = center
        c.ellipse(Theme.TEXT, (x - size * 0.5, y - size * 0.36, size, size * 0.62))
        c.polygon(Theme.TEXT, [(x - size * 0.25, y + size * 0.15), (x - size * 0.35, y + size * 0.45),
                               (x, y + size * 0.2)])
        if on:
            for i in (-1, 0, 1):
                c.circle(Theme.PANEL, (x + i * size * 0.22, y - size * 0.05), size * 0.07)
        else:
            c.line(Theme.STOP, (x - size * 0.45, y + size * 0.4), (x + size * 0.45, y - size * 0.45), max(3.0, size * 0.1))

    return icon


def _language_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    """Two speech bubbles, one behind the other: 'language'."""
    x, y = center
    c.rect(Theme.TEXT_DIM, (x - size * 0.5, y - size * 0.42, size * 0.62, size * 0.46), radius=size * 0.1)
    c.rect(Theme.TEXT, (x - size * 0.12, y - size * 0.12, size * 0.62, size * 0.46), radius=size * 0.1)
    c.polygon(Theme.TEXT, [(x + size * 0.25, y + size * 0.3), (x + size * 0.38, y + size * 0.48),
                           (x + size * 0.1, y + size * 0.3)])
    for i in (-1, 0, 1):
        c.circle(Theme.PANEL, (x + size * 0.19 + i * size * 0.15, y + size * 0.11), size * 0.045)


def _music_icon(volume: float):  # noqa: ANN202
    def icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        """Two joined notes; struck through when the music is off."""
        x, y = center
        w = max(2.0, size * 0.08)
        for dx in (-0.28, 0.22):
            c.ellipse(Theme.TEXT, (x + dx * size - size * 0.14, y + size * 0.18, size * 0.28, size * 0.2))
            c.line(Theme.TEXT, (x + dx * size + size * 0.12, y + size * 0.26), (x + dx * size + size * 0.12, y - size * 0.3), w)
        c.line(Theme.TEXT, (x - size * 0.04, y - size * 0.3), (x + size * 0.34, y - size * 0.38), w * 2)
        if volume <= 0:
            c.line(Theme.NEAR, (x - size * 0.45, y + size * 0.45), (x + size * 0.45, y - size * 0.45), w * 1.5)

    return icon


def _hand_icon(hand: str):  # noqa: ANN202
    def icon(c: Canvas, center: tuple[float, float], size: float) -> None:
        draw_hand(c, (center[0], center[1] + size * 0.12), size * 0.85, 0.25, mirror=hand == "left")

    return icon


def _done_icon(c: Canvas, center: tuple[float, float], size: float) -> None:
    from game.ui import draw_tick

    draw_tick(c, center, size)


def _icon_for(key: str, a: AccessSettings):  # noqa: ANN202
    return {
        "hand": _hand_icon(a.hand), "scan": draw_frame_icon, "scan_s": _clock_icon,
        "game_speed": _speed_icon(a.game_speed), "text_scale": _text_icon,
        "cue_volume": _volume_icon(a.cue_volume), "music_volume": _music_icon(a.music_volume),
        "speech": _voice_icon(a.speech),
        "speech_volume": _volume_icon(a.speech_volume if a.speech else 0.0),
        "language": _language_icon,
    }[key]


# ------------------------------------------------------------------ scene
class SettingsScene(Scene):
    def __init__(self) -> None:
        self.message = ""

    def enter(self) -> None:
        self.switch = ChoiceSwitch(self.ctx)
        try:
            self.who = Profiles(self.ctx.store).get(self.ctx.patient_id).name
        except ProfileError:
            self.who = ""
        self.buttons = ButtonGroup([])
        self._build()
        self.ctx.speech.say(_("Settings"))

    def _build(self) -> None:
        a: AccessSettings = self.ctx.access
        buttons = [Button("done", _("Done"), LRect(30, 30, 220, 84), icon=None, size=36)]
        for i, key in enumerate(ORDER):
            value = self._words(a, key)
            icon = _icon_for(key, a)
            # In the clinic kiosk the trained hand is the staff's to change.
            enabled = not (key == "hand" and self.ctx.kiosk)
            buttons.append(Button(key, _(NAMES[key]), _tile(i, len(ORDER)), icon=icon, value=value, enabled=enabled))
        self.buttons.buttons = buttons
        self.buttons.columns = 4 if len(ORDER) <= 8 else 5

    # ------------------------------------------------------------ logic
    def proposed(self, key: str) -> object:
        """The value a choice of this tile would move the setting to."""
        a: AccessSettings = self.ctx.access
        value = ("left" if a.hand == "right" else "right") if key == "hand" else a.next_choice(key)
        if key == "scan" and value == "off" and self._ball_input:
            # Someone choosing with the ball must never switch off the frame they choose with.
            value = a.with_value("scan", "off").next_choice("scan")
        return value

    def _words(self, a: AccessSettings, key: str) -> str:
        if key == "hand":
            return _("Left") if a.hand == "left" else _("Right")
        return _(a.label(key))

    def change(self, key: str) -> Transition:
        """Choosing a tile: a setting that changes how the game treats the patient is asked
        about first ("Change hand to left?" Yes / No); the others change at once."""
        value = self.proposed(key)
        if key not in CONFIRM_KEYS:
            self.apply(key, value)
            return None
        a: AccessSettings = self.ctx.access
        after = replace(a, hand=value) if key == "hand" else a.with_value(key, value)
        now, then = self._words(a, key), self._words(after, key)
        if key == "hand":
            question = _("Change hand to left?") if value == "left" else _("Change hand to right?")
        else:
            question = _("Change {setting} to {value}?").format(setting=mid_sentence(_(NAMES[key])),
                                                                value=mid_sentence(then))
        from game.scenes.confirm import ConfirmScene

        # The picture shows the setting as it would be (the other hand, the new speed).
        return Push(ConfirmScene(question, lambda: self.apply(key, value), before=now, after=then,
                                 icon=_icon_for(key, after)))

    def apply(self, key: str, value: object) -> None:
        """Save one setting (an event row records it), and make it take effect."""
        ctx = self.ctx
        a: AccessSettings = ctx.access
        try:
            saved = save_access(ctx.store, ctx.patient_id, key, value, where="settings screen", kiosk=ctx.kiosk)
            self.message = ""
        except ProfileError as exc:
            if profiles_held(ctx.store) is None:
                self.message = _("Not saved: {reason}").format(reason=exc)
                return
            # A scripted run: the change holds for this run only; the patient's own settings are kept.
            saved = replace(a, hand=value) if key == "hand" else a.with_value(key, value)
            held = _(profiles_held(ctx.store))
            self.message = (_("For this run only: this is {run}, so {name}'s saved settings stay as they are.")
                            .format(run=held, name=self.who) if self.who else
                            _("For this run only: this is {run}, so the patient's saved settings stay as they are.")
                            .format(run=held))
        except ValueError as exc:
            self.message = _("Not saved: {reason}").format(reason=exc)
            return
        apply_access(ctx, saved)
        if key == "hand":
            from game.scenes.calibrate import apply_stored_calibration

            apply_stored_calibration(ctx)  # the new hand's own calibration, if it has one
        # Let the person hear or see the change straight away.
        if key == "cue_volume":
            ctx.audio.play("success")
        elif key in ("speech", "speech_volume"):
            ctx.speech.say(_("This is my voice") if saved.speech else "")
        else:
            ctx.speech.say(f"{_(NAMES[key])}: {self._words(saved, key)}")
        self._build()

    def music_phase(self) -> str | None:
        """On the Music tile the music plays softly, so the patient hears the volume they choose."""
        return "rest" if self.buttons.buttons and self.buttons.focused.id == "music_volume" else None

    def _choose(self, chosen: str | None) -> Transition:
        if chosen is None:
            return None
        if chosen == "done":
            return Pop()
        return self.change(chosen)

    def resume(self) -> None:
        self._build()  # back from the question: the tiles show what is now set
        self.buttons.scanner.restart()  # and the frame stays on the tile a full step

    def on_samples(self, samples: list[Sample]) -> Transition:
        if self.switch.feed(samples):
            return self._choose(self.buttons.choose_focused())
        return None

    def handle(self, action: Action) -> Transition:
        if action.kind in (Act.BACK, Act.PAUSE):
            return Pop()
        return self._choose(self.buttons.handle(action))

    @property
    def _ball_input(self) -> bool:
        return self.ctx.hub.source is not self.ctx.hub.keyboard

    def update(self, dt: float) -> Transition:
        # With a ball, this screen always scans (even if a therapist set the frame off), so
        # a person with only the ball can always reach these settings and Done.
        self.buttons.scan(dt, self.ctx, self.switch, always=self._ball_input)
        return None

    # ------------------------------------------------------------ drawing
    def draw(self, c: Canvas, alpha: float) -> None:
        c.clear()
        draw_gear(c, (470, 72), 56, Theme.FOCUS)
        c.text(_("Settings"), (520, 72), size=56, bold=True, anchor="midleft")
        if self.who:
            c.text(_("for {name}").format(name=self.who), (1250, 72), size=28, color=Theme.TEXT_DIM, anchor="midright")
        self.buttons.draw(c, size=32)
        if self.message:
            c.paragraph(self.message, (640, 590), 1100, size=26, color=Theme.FOCUS)
        else:
            key = self.buttons.focused.id
            draw_hint(c, _(EXPLAIN[key]) if key in EXPLAIN else "", (640, 612), size=30, icon=self.buttons.focused.icon or _done_icon)
        draw_choose_hint(c, self.buttons.scanning, (640, 680), size=24)
