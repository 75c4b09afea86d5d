"""The eight therapy-ball exercises (shared CLINICAL.md), in the therapist's words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    what_the_hand_does: str
    channel: str  # "force" or "roll"
    one_rep: str


EXERCISES: tuple[Exercise, ...] = (
    Exercise("power_grip", "Power grip", "Squeeze the ball hard with fingers and thumb, then open the hand wide.",
             "force", "squeeze to target, then a full release"),
    Exercise("pinch", "Pinch", "Pinch the ball between thumb and straight fingers and hold.",
             "force", "reach target and hold it for the hold time"),
    Exercise("thumb_flex_ext", "Thumb bend and stretch", "Ball on a flat palm; the thumb rolls it back and forth.",
             "roll", "one back-and-forth stroke"),
    Exercise("table_roll", "Table roll", "Ball on the table under the palm; roll it to the fingertips and back.",
             "roll", "one out-and-back roll"),
    Exercise("finger_flexion", "Finger press", "Press the ball into the palm with four fingers, no thumb.",
             "force", "press and release"),
    Exercise("thumb_roll", "Thumb circles", "Ball on a flat palm; the thumb moves it in a circle.",
             "roll", "one full circle"),
    Exercise("finger_squeeze", "Finger squeeze", "Ball between two fingers; squeeze them together.",
             "force", "squeeze and release, for the named finger pair"),
    Exercise("thumb_opposition", "Thumb side to side", "Ball on the palm; the thumb rolls it side to side.",
             "roll", "one left-right-left stroke"),
)
BY_ID = {e.id: e for e in EXERCISES}
