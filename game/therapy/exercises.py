"""The eight therapy-ball exercises (shared CLINICAL.md), in the therapist's words."""

from __future__ import annotations

from dataclasses import dataclass

from game.i18n import N_


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    what_the_hand_does: str
    channel: str  # "force" or "roll"
    one_rep: str


EXERCISES: tuple[Exercise, ...] = (
    Exercise("power_grip", N_("Power grip"), N_("Squeeze the ball hard with fingers and thumb, then open the hand wide."),
             "force", N_("squeeze to target, then a full release")),
    Exercise("pinch", N_("Pinch"), N_("Pinch the ball between thumb and straight fingers and hold."),
             "force", N_("reach target and hold it for the hold time")),
    Exercise("thumb_flex_ext", N_("Thumb bend and stretch"), N_("Ball on a flat palm; the thumb rolls it back and forth."),
             "roll", N_("one back-and-forth stroke")),
    Exercise("table_roll", N_("Table roll"), N_("Ball on the table under the palm; roll it to the fingertips and back."),
             "roll", N_("one out-and-back roll")),
    Exercise("finger_flexion", N_("Finger press"), N_("Press the ball into the palm with four fingers, no thumb."),
             "force", N_("press and release")),
    Exercise("thumb_roll", N_("Thumb circles"), N_("Ball on a flat palm; the thumb moves it in a circle."),
             "roll", N_("one full circle")),
    Exercise("finger_squeeze", N_("Finger squeeze"), N_("Ball between two fingers; squeeze them together."),
             "force", N_("squeeze and release, for the named finger pair")),
    Exercise("thumb_opposition", N_("Thumb side to side"), N_("Ball on the palm; the thumb rolls it side to side."),
             "roll", N_("one left-right-left stroke")),
)
BY_ID = {e.id: e for e in EXERCISES}
