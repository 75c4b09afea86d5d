"""Feel, shared by the games: easing, tweened values, particles, the squeeze's charge, a calm celebration.

Every effect here is plain state advanced by ``step(dt)`` from a game's fixed update and
drawn by a pure ``draw``: drawing reads the state, never moves it (the draw-purity tests
pickle a game before and after drawing). Randomness comes from an injected
``random.Random``, so a seeded set looks the same every time.

Calm by design: motion is eased, nothing blinks, and the end-of-set celebration
brightens once and then breathes slowly (well under 3 flashes a second, WCAG 2.3.1).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Easing = Callable[[float], float]
Point = tuple[float, float]
Color = tuple[int, int, int]


# ----------------------------------------------------------------- easing
def _clamp01(t: float) -> float:
    return 0.0 if t <= 0.0 else 1.0 if t >= 1.0 else t


def linear(t: float) -> float:
    return _clamp01(t)


def ease_in_quad(t: float) -> float:
    t = _clamp01(t)
    return t * t


def ease_out_quad(t: float) -> float:
    t = _clamp01(t)
    return 1.0 - (1.0 - t) * (1.0 - t)


def ease_out_cubic(t: float) -> float:
    t = _clamp01(t)
    return 1.0 - (1.0 - t) ** 3


def ease_in_out_sine(t: float) -> float:
    t = _clamp01(t)
    return 0.5 - 0.5 * math.cos(math.pi * t)


def smoothstep(t: float) -> float:
    t = _clamp01(t)
    return t * t * (3.0 - 2.0 * t)


EASINGS: dict[str, Easing] = {
    "linear": linear, "ease_in_quad": ease_in_quad, "ease_out_quad": ease_out_quad,
    "ease_out_cubic": ease_out_cubic, "ease_in_out_sine": ease_in_out_sine, "smoothstep": smoothstep,
}


def lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def approach(value: float, goal: float, dt: float, tau: float) -> float:
    """First-order follow of ``goal`` with time constant ``tau`` (frame-rate independent)."""
    if tau <= 0:
        return goal
    return value + (goal - value) * (1.0 - math.exp(-dt / tau))


# ---------------------------------------------------------------- tweens
@dataclass
class Tween:
    """A value moving from ``start`` to ``end`` over ``duration`` seconds along an easing
    (named, so the tween stays picklable and comparable). ``prev`` is last step's value,
    for drawing between fixed steps."""

    start: float
    end: float
    duration: float
    easing: str = "ease_out_cubic"
    elapsed: float = 0.0
    prev: float = field(init=False)

    def __post_init__(self) -> None:
        self.prev = self.value

    @property
    def progress(self) -> float:
        return 1.0 if self.duration <= 0 else _clamp01(self.elapsed / self.duration)

    @property
    def value(self) -> float:
        return lerp(self.start, self.end, EASINGS[self.easing](self.progress))

    @property
    def done(self) -> bool:
        return self.progress >= 1.0

    def step(self, dt: float) -> float:
        self.prev = self.value
        self.elapsed += dt
        return self.value

    def at(self, alpha: float) -> float:
        """The value between the last step and this one (alpha 0..1), for drawing."""
        return lerp(self.prev, self.value, alpha)

    def retarget(self, end: float, duration: float | None = None) -> None:
        """Ease from where the value is now to a new end (no jump)."""
        self.start, self.end = self.value, end
        self.duration = self.duration if duration is None else duration
        self.elapsed = 0.0


# ------------------------------------------------------------- particles
@dataclass
class Particle:
    x: float
    y: float
    vx: float
    vy: float
    life: float
    size: float
    color: Color
    age: float = 0.0

    @property
    def fade(self) -> float:
        """1 when new, 0 at the end of its life (eased, so it shrinks gently)."""
        return 1.0 - ease_in_quad(self.age / self.life)


class Particles:
    """Sparks for a success: a burst from a point that rises, slows and fades.

    The RNG is injected (a game passes one derived from its seed); the time step is the
    game's fixed step, so a seeded run gives the same particles every time."""

    def __init__(self, rng: random.Random, *, gravity: float = 60.0, drag: float = 1.6, limit: int = 240) -> None:
        self.rng = rng
        self.gravity = gravity  # logical px/s^2 (down); small: sparks float rather than fall
        self.drag = drag  # 1/s
        self.limit = limit
        self.items: list[Particle] = []
        self.bursts = 0  # how many bursts were made (tests: none on a failed rep)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Particles):
            return NotImplemented
        return (self.items == other.items and self.bursts == other.bursts
                and self.rng.getstate() == other.rng.getstate())

    __hash__ = None  # type: ignore[assignment]

    def burst(self, at: Point, colors: Sequence[Color], n: int = 24, speed: float = 220.0,
              life: float = 0.9, size: float = 7.0) -> None:
        """``n`` sparks from ``at`` in every direction, a little upward."""
        self.bursts += 1
        rng = self.rng
        for _ in range(n):
            a = rng.uniform(0.0, 2.0 * math.pi)
            v = speed * rng.uniform(0.45, 1.0)
            self.items.append(Particle(at[0], at[1], v * math.cos(a), v * math.sin(a) - speed * 0.35,
                                       life * rng.uniform(0.7, 1.15), size * rng.uniform(0.6, 1.2),
                                       colors[rng.randrange(len(colors))]))
        if len(self.items) > self.limit:
            del self.items[: len(self.items) - self.limit]

    def step(self, dt: float) -> None:
        keep = []
        k = math.exp(-self.drag * dt)
        for p in self.items:
            p.age += dt
            if p.age >= p.life:
                continue
            p.vx *= k
            p.vy = p.vy * k + self.gravity * dt
            p.x += p.vx * dt
            p.y += p.vy * dt
            keep.append(p)
        self.items = keep

    def draw(self, c: Any, alpha: float = 0.0) -> None:
        """Each spark as a small four-point star that shrinks as it fades (no alpha blending:
        cheap at 1080p, and no flicker). ``alpha`` places it between fixed steps."""
        for p in self.items:
            f = p.fade
            r = p.size * (0.35 + 0.65 * f)
            x, y = p.x + p.vx * alpha / 60.0, p.y + p.vy * alpha / 60.0
            c.polygon(p.color, [(x, y - r * 1.6), (x + r * 0.45, y - r * 0.45), (x + r * 1.6, y),
                                (x + r * 0.45, y + r * 0.45), (x, y + r * 1.6), (x - r * 0.45, y + r * 0.45),
                                (x - r * 1.6, y), (x - r * 0.45, y - r * 0.45)])


# ----------------------------------------------------------------- charge
@dataclass
class Charge:
    """Anticipation while the squeeze builds: a 0..1 level that follows the effort
    (fraction of the target) smoothly, rising a little faster than it falls."""

    level: float = 0.0
    prev: float = 0.0
    rise_tau: float = 0.08
    fall_tau: float = 0.25

    def step(self, dt: float, effort: float) -> None:
        goal = max(0.0, min(1.0, effort))
        self.prev = self.level
        self.level = approach(self.level, goal, dt, self.rise_tau if goal > self.level else self.fall_tau)

    def at(self, alpha: float) -> float:
        return lerp(self.prev, self.level, alpha)


def draw_charge_glow(c: Any, center: Point, radius: float, level: float, color: Color) -> None:
    """Rings round the thing the squeeze charges: more, wider and further out as ``level`` grows."""
    if level <= 0.03:
        return
    rings = 1 + int(level * 3)
    for i in range(rings):
        r = radius + 6 + i * 9 + level * 10
        c.circle(color, center, r, width=max(2.0, 5.0 * level - i))


# ------------------------------------------------------------ celebration
CELEBRATION_FADE_S = 0.8  # brightens once, eased
CELEBRATION_BREATH_HZ = 0.5  # then breathes: one slow swell every two seconds


@dataclass
class Celebration:
    """The calm end of a set: a ring of stars that opens out and a soft glow that swells
    slowly. Brightness is a smooth function of time: one rise, then a 0.5 Hz breath of
    small depth, so it never flashes (WCAG 2.3.1: fewer than 3 flashes a second)."""

    age: float | None = None  # None: not started

    def start(self) -> None:
        if self.age is None:
            self.age = 0.0

    @property
    def on(self) -> bool:
        return self.age is not None

    def step(self, dt: float) -> None:
        if self.age is not None:
            self.age += dt

    def brightness(self, age: float | None = None) -> float:
        """0..1 strength of the glow at ``age`` (default: now)."""
        a = self.age if age is None else age
        if a is None:
            return 0.0
        rise = ease_in_out_sine(a / CELEBRATION_FADE_S)
        breath = 0.1 * (1.0 - math.cos(2 * math.pi * CELEBRATION_BREATH_HZ * max(0.0, a - CELEBRATION_FADE_S)))
        return rise * (0.8 + breath)

    def draw(self, c: Any, center: Point, colors: Sequence[Color], glow: Color, age: float | None = None) -> None:
        a = self.age if age is None else age
        if a is None:
            return
        b = self.brightness(a)
        # the glow: a ring that widens with the brightness (its colour never jumps)
        if b > 0.02:
            c.circle(glow, center, 150 + 10 * b, width=max(2.0, 12.0 * b))
        spread = ease_out_cubic(a / 1.2)
        for i in range(8):
            ang = -math.pi / 2 + i * math.pi / 4 + 0.15 * a
            r = 40 + 120 * spread
            p = (center[0] + r * math.cos(ang), center[1] + r * math.sin(ang))
            c.polygon(colors[i % len(colors)], star(p, 12 + 10 * spread, 0.2 * a))


def star(center: Point, r: float, turn: float = 0.0) -> list[Point]:
    """A five-pointed star's outline."""
    x, y = center
    return [(x + (r if i % 2 == 0 else r * 0.45) * math.cos(-math.pi / 2 + turn + i * math.pi / 5),
             y + (r if i % 2 == 0 else r * 0.45) * math.sin(-math.pi / 2 + turn + i * math.pi / 5)) for i in range(10)]


# ------------------------------------------------------- one game's feel
SPARK_COLORS: tuple[Color, ...] = ((240, 228, 66), (255, 255, 255), (0, 170, 125), (86, 180, 233))
CELEBRATION_COLORS: tuple[Color, ...] = ((240, 228, 66), (86, 180, 233), (0, 170, 125), (204, 121, 167))


class GameFeel:
    """What a mini-game's base class holds for feel: sparks for each success, the charge of
    the squeeze building, the celebration at the end of the set.

    The game calls :meth:`success` for a successful rep only (a near miss gets kind words,
    not sparks), :meth:`step` from its fixed update and :meth:`draw_world` /
    :meth:`draw_front` from drawing, which read the state and never change it."""

    def __init__(self, rng: random.Random) -> None:
        self.particles = Particles(rng)
        self.charge = Charge()
        self.celebration = Celebration()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GameFeel):
            return NotImplemented
        return (self.particles == other.particles and self.charge == other.charge
                and self.celebration == other.celebration)

    __hash__ = None  # type: ignore[assignment]

    def success(self, at: Point) -> None:
        self.particles.burst(at, SPARK_COLORS)

    def step(self, dt: float, effort: float, set_complete: bool) -> None:
        self.particles.step(dt)
        self.charge.step(dt, 0.0 if set_complete else effort)
        if set_complete:
            self.celebration.start()
        self.celebration.step(dt)

    def draw_world(self, w: Any, focus: Point, radius: float, alpha: float) -> None:
        """Over the game world (mirrored with it): the charge glow round the focus, the sparks."""
        draw_charge_glow(w, focus, radius, self.charge.at(alpha), (240, 228, 66))
        self.particles.draw(w, alpha)

    def draw_front(self, c: Any) -> None:
        """Over everything: the end-of-set celebration (upright, centred)."""
        if self.celebration.on:
            self.celebration.draw(c, (640, 380), CELEBRATION_COLORS, (240, 228, 66))
