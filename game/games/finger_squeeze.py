"""Finger squeeze: a crab's claw snaps shut to catch a fish.

The ball sits between two fingers and the patient squeezes them together. Each set
names the finger pair to use (the plan's ``finger_pairs``, worked through set by
set, so three sets cover index-middle, middle-ring and ring-little). The claw
closes with the force live; a fish swims up and waits in the open claw (a slow
hand is never rushed), and the rep the detector counts resolves it: caught and
dropped in the bucket on success, a wriggle free on a near miss. Every rep is
saved with the finger pair it was made with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from game.games.base import (
    SKIN,
    GameSetup,
    MiniGame,
    StageLook,
    WorldView,
    draw_arrow,
    draw_demo_meter,
    draw_limb,
    effort_curve,
    mirror_x,
    star_points,
)
from game.i18n import N_, _
from game.effects import approach
from game.ui import LOGICAL_W, Canvas, Color, LRect, Theme, draw_cross, draw_tick

DEFAULT_PAIRS = ("index-middle", "middle-ring", "ring-little")
FINGERS = ("index", "middle", "ring", "little")
SAND_Y = 590.0
PIVOT = (600.0, 400.0)  # the claw's hinge
CATCH_X = 712.0  # where a waiting fish sits, inside the open claw
CATCH_Y = 400.0
SWIM_SPEED = 220.0  # logical px per second
OPEN_ANGLE = 0.62  # radians each jaw opens at rest
SNAP_S = 0.9  # the claw stays shut (with the fish in it) this long after a catch
WATER: Color = (16, 62, 104)
WATER_DEEP: Color = (10, 40, 72)
SAND: Color = (196, 170, 110)
CRAB: Color = (213, 94, 0)  # Okabe-Ito vermillion
CRAB_DARK: Color = (150, 60, 0)
FISH_COLORS: tuple[Color, ...] = ((240, 228, 66), (86, 180, 233), (204, 121, 167), (230, 159, 0))


FINGER_NAMES = {"thumb": N_("thumb"), "index": N_("index"), "middle": N_("middle"), "ring": N_("ring"),
                "little": N_("little")}


def pair_label(pair: str) -> str:
    """'index-middle' -> 'index + middle' (in the patient's language)."""
    return " + ".join(_(FINGER_NAMES[f]) if f in FINGER_NAMES else f for f in pair.split("-"))


@dataclass
class Fish:
    x: float
    y: float
    color: Color
    resolved: bool = False
    caught: bool = False
    resolved_at: float = 0.0


class FingerSqueezeGame(MiniGame):
    exercise = "finger_squeeze"
    title = N_("Finger squeeze")
    instruction = N_("Squeeze the two fingers together to snap the claw. Then relax.")
    rep_word = N_("squeezes")
    feedback_words = {
        None: N_("Caught it!"),
        "below_target": N_("Almost! Squeeze a little harder."),
        "hold_too_short": N_("Almost! Hold the squeeze a moment."),
        "slow_release": N_("Got it! Now relax your fingers."),
        "no_full_release": N_("Relax your fingers."),
    }
    demo_caption = N_("Ball between the two fingers. Squeeze them together. Relax.")
    hint_at = (860, 540)
    # The crab's catch changes from stage to stage; the claw, the wait and the squeeze do not.
    stages = (
        StageLook(N_("Fish reef"), {"water": WATER, "deep": WATER_DEEP, "sand": SAND}, "fish"),
        StageLook(N_("Shell beach"), {"water": (20, 78, 112), "deep": (12, 52, 80), "sand": (214, 190, 140)},
                  "shells"),
        StageLook(N_("Rock pool"), {"water": (18, 70, 92), "deep": (10, 46, 62), "sand": (150, 140, 130)},
                  "starfish"),
        StageLook(N_("Kelp forest"), {"water": (14, 64, 70), "deep": (8, 40, 46), "sand": (170, 150, 100),
                                      "weed": (60, 140, 60)}, "kelp"),
        StageLook(N_("Deep sea glow"), {"water": (10, 22, 52), "deep": (4, 12, 32), "sand": (70, 70, 90),
                                        "weed": (40, 90, 110)}, "glow"),
    )

    def __init__(self, setup: GameSetup) -> None:
        super().__init__(setup)
        rng = setup.rng
        self.rng = rng
        self.finger_pair = self.pair_for_set(setup)
        self.closure = 0.0  # claw 0 (open) .. 1 (shut)
        self.prev_closure = 0.0
        self.snap_until = -1.0
        self.spacing = SWIM_SPEED * setup.rest_between_reps_s + 160
        self.fish: list[Fish] = [self._new_fish(CATCH_X + 520)]
        self.bucket = 0  # fish caught so far
        self.cued = False
        self.weeds = [(rng.uniform(40, LOGICAL_W - 140), rng.uniform(60, 140)) for _ in range(7)]
        self.bubbles = [(rng.uniform(0, LOGICAL_W), rng.uniform(0, 600), rng.uniform(3, 8)) for _ in range(18)]

    @staticmethod
    def pair_for_set(setup: GameSetup) -> str:
        """The finger pair this set is for: the plan's pairs in turn, one per set."""
        if setup.extra.get("finger_pair"):
            return str(setup.extra["finger_pair"])
        pairs = (setup.plan.finger_pairs if setup.plan is not None else ()) or DEFAULT_PAIRS
        return pairs[(max(1, setup.set_number) - 1) % len(pairs)]

    def _new_fish(self, x: float) -> Fish:
        return Fish(x, CATCH_Y + self.rng.uniform(-6, 6), self.rng.choice(FISH_COLORS))

    @property
    def waiting_fish(self) -> Fish | None:
        return next((f for f in self.fish if not f.resolved), None)

    def record_extra(self, rep) -> dict:  # noqa: ANN001
        return {"finger_pair": self.finger_pair}

    # -------------------------------------------------------------- logic
    def on_rep(self, rep) -> None:  # noqa: ANN001
        fish = self.waiting_fish
        if fish is not None:
            fish.resolved = True
            fish.caught = bool(rep.success)
            fish.resolved_at = self.t
            # an early squeeze catches it as it arrives: it glides into the claw (step_world), no jump
            if fish.caught:
                self.bucket += 1
                self.snap_until = self.t + SNAP_S
        self.cued = False
        remaining = self.setup.reps_target - self.reps_done
        if remaining > sum(1 for f in self.fish if not f.resolved):
            last_x = max(f.x for f in self.fish)
            self.fish.append(self._new_fish(max(last_x + self.spacing, CATCH_X + self.spacing)))

    def step_world(self, dt: float) -> None:
        s = self.detector.settings
        self.prev_closure = self.closure
        goal = max(0.0, min(1.0, self.detector.display_pct / max(1e-6, s.target_pct)))
        if self.t < self.snap_until:
            goal = 1.0
        self.closure += (goal - self.closure) * (1.0 - math.exp(-dt / 0.06))
        waiting = self.waiting_fish
        for f in self.fish:
            if f.resolved:
                if not f.caught:
                    f.x += SWIM_SPEED * 1.6 * dt  # wriggles free, back out to sea
                    f.y -= 60 * dt
                elif f.x > CATCH_X:  # caught early: eased into the claw
                    f.x = max(CATCH_X, approach(f.x, CATCH_X - 4.0, dt, 0.07))
            elif f is waiting:
                f.x = max(CATCH_X, f.x - SWIM_SPEED * dt)
            else:
                f.x -= SWIM_SPEED * dt
                f.x = max(f.x, (waiting.x if waiting else CATCH_X) + self.spacing * 0.6)
        # caught fish vanish into the bucket once shown; escaped ones once off screen
        self.fish = [f for f in self.fish if not (f.resolved and (
            (f.caught and self.t - f.resolved_at > SNAP_S) or f.x > LOGICAL_W + 120))]
        if waiting is not None and waiting.x <= CATCH_X + SWIM_SPEED * 0.5 and not self.cued:
            self.cued = True
            self.cue_detector()
        if not self.fish and not self.set_complete:
            self.fish.append(self._new_fish(CATCH_X + self.spacing))

    focus_radius = 56.0

    def focus_point(self, alpha: float = 1.0) -> tuple[float, float]:
        return (CATCH_X, CATCH_Y)

    def hint(self) -> str | None:
        if self.set_complete:
            return None
        d = self.detector
        if d.awaiting_release or (d.in_rep and d.hold_progress >= 1.0):
            return N_("Now relax")
        if d.in_rep:
            return N_("Squeeze...")
        fish = self.waiting_fish
        if fish is not None and fish.x <= CATCH_X + 1:
            return N_("Squeeze!")
        return None

    # ---------------------------------------------------------------- draw
    def draw_world(self, c: WorldView, alpha: float) -> None:
        closure = self.prev_closure + (self.closure - self.prev_closure) * alpha
        look = self.stage
        self.draw_backdrop(c, self._paint_backdrop)
        for x, y, r in self.bubbles:
            by = (y - self.t * 40 * r / 5) % 600
            c.circle((90, 150, 200), (x, by), r, width=2)
        tall = 2.6 if look.twist == "kelp" else 1.0
        for x, h in self.weeds:
            c.line(look.color("weed", (40, 120, 80)), (x, SAND_Y + 10),
                   (x + 10 * math.sin(self.t + x), SAND_Y - h * tall), 14 if look.twist == "kelp" else 10)
        c.rect(look.color("sand", SAND), (0, SAND_Y, LOGICAL_W, 200))
        self._draw_bucket(c)
        for f in self.fish:
            if f.resolved and f.caught:
                continue  # drawn in the claw below
            self._draw_fish(c, f)
        self._draw_crab(c, closure)
        for f in self.fish:
            if f.resolved and f.caught:
                self._draw_fish(c, f)
            if f.resolved:
                mark = (f.x, f.y - 70)
                c.symbol(draw_tick if f.caught else draw_cross, mark, 40, Theme.SUCCESS if f.caught else Theme.NEAR)

    def draw_front(self, c: Canvas) -> None:
        """Which two fingers, in words and a picture: upright and in the middle for either hand."""
        r = LRect(300, 20, 700, 92)
        c.rect(Theme.PANEL, r, radius=16)
        draw_finger_pair_icon(c, (r.x + 56, r.y + 46), 70, self.finger_pair, self.mirror)
        c.text(_("Fingers:"), (r.x + 110, r.y + 46), size=30, anchor="midleft", color=Theme.TEXT_DIM)
        c.text(pair_label(self.finger_pair), (r.x + 230, r.y + 46), size=40, bold=True, anchor="midleft",
               color=Theme.FOCUS)

    def _paint_backdrop(self, c: WorldView) -> None:
        look = self.stage
        c.clear(look.color("water", WATER))
        c.rect(look.color("deep", WATER_DEEP), (0, 0, LOGICAL_W, 130))
        if look.twist == "starfish":  # rocks round the pool
            for x, w in ((60, 150), (980, 200), (1160, 140)):
                c.ellipse((96, 96, 104), (x - w / 2, SAND_Y - 60, w, 110))
        elif look.twist == "shells":
            for k in range(8):
                c.circle((240, 220, 190), (60 + k * 160, SAND_Y + 40), 7)
        elif look.twist == "glow":
            for k in range(22):
                c.circle((40, 70, 110), ((k * 211) % LOGICAL_W, 150 + (k * 67) % 380), 2 + k % 3)

    def _draw_bucket(self, c: WorldView) -> None:
        x, y = 170.0, SAND_Y - 20
        c.polygon((64, 76, 98), [(x - 60, y - 70), (x + 60, y - 70), (x + 45, y + 20), (x - 45, y + 20)])
        c.polygon(Theme.DARK_TEXT, [(x - 60, y - 70), (x + 60, y - 70), (x + 45, y + 20), (x - 45, y + 20)], width=3)
        for i in range(min(self.bucket, 6)):
            color = FISH_COLORS[i % len(FISH_COLORS)]
            bx, by = x - 35 + (i % 3) * 34, y - 78 - (i // 3) * 14
            if self.stage.twist == "starfish":
                c.polygon(color, star_points((bx, by), 14))
            elif self.stage.twist == "shells":
                c.polygon(color, [(bx - 14, by + 6), (bx, by - 10), (bx + 14, by + 6)])
            else:
                c.ellipse(color, (bx - 15, by - 8, 30, 16))
        c.text(str(self.bucket), (x, y - 20), size=40, bold=True)

    def _draw_fish(self, c: WorldView, f: Fish) -> None:
        x, y = f.x, f.y
        twist = self.stage.twist
        if twist == "shells":  # a scallop shell drifting in on the current
            bob = 4 * math.sin(self.t * 3 + x * 0.02)
            pts = [(x - 40, y + 18 + bob), (x - 30, y - 14 + bob), (x, y - 30 + bob), (x + 30, y - 14 + bob),
                   (x + 40, y + 18 + bob)]
            c.polygon(f.color, pts)
            c.polygon(Theme.DARK_TEXT, pts, width=3)
            for k in (-24, -8, 8, 24):
                c.line(Theme.DARK_TEXT, (x, y + 16 + bob), (x + k, y - 16 + bob), 2)
            return
        if twist == "starfish":
            turn = 0.3 * math.sin(self.t * 2 + x * 0.01)
            c.polygon(f.color, star_points((x, y), 40, turn))
            c.polygon(Theme.DARK_TEXT, star_points((x, y), 40, turn), width=3)
            c.circle(Theme.DARK_TEXT, (x, y), 4)
            return
        facing = 1 if (f.resolved and not f.caught) else -1  # swims left towards the claw; escapes right
        wag = 8 * math.sin(self.t * 10 + x * 0.05)
        if twist == "kelp":  # a seahorse, upright, bobbing
            b = y + wag * 0.3
            c.ellipse(f.color, (x - 30, y - 50 + wag * 0.3, 60, 96))
            c.ellipse(Theme.DARK_TEXT, (x - 30, y - 50 + wag * 0.3, 60, 96), width=3)
            c.ellipse(f.color, (x + facing * 34 - 22, b - 70, 44, 28))
            c.ellipse(Theme.DARK_TEXT, (x + facing * 34 - 22, b - 70, 44, 28), width=3)
            c.arc(Theme.DARK_TEXT, (x - 34, b + 30, 48, 48), 0.0, 3.6, 8)
            c.circle((255, 255, 255), (x + facing * 22, b - 58), 7)
            c.circle(Theme.DARK_TEXT, (x + facing * 24, b - 58), 3)
            return
        if twist == "glow":  # a lantern fish: its own little light
            c.circle((70, 90, 60), (x + facing * 60, y - 40), 16)
            c.line(Theme.DARK_TEXT, (x + facing * 30, y - 18), (x + facing * 60, y - 40), 3)
            c.circle((240, 228, 66), (x + facing * 60, y - 40), 8)
        tail = x - facing * 44
        c.polygon(f.color, [(tail, y), (tail - facing * 30, y - 22 + wag), (tail - facing * 30, y + 22 + wag)])
        c.ellipse(f.color, (x - 48, y - 24, 96, 48))
        c.ellipse(Theme.DARK_TEXT, (x - 48, y - 24, 96, 48), width=3)
        c.circle((255, 255, 255), (x + facing * 26, y - 6), 9)
        c.circle(Theme.DARK_TEXT, (x + facing * 28, y - 6), 4)

    def _draw_crab(self, c: WorldView, closure: float) -> None:
        bx, by = 430.0, 520.0
        for i in range(3):  # legs
            for side in (-1, 1):
                x0 = bx + side * (60 + i * 20)
                c.line(CRAB_DARK, (x0, by + 10), (x0 + side * 60, by + 60), 10)
        c.line(CRAB_DARK, (bx + 60, by - 30), PIVOT, 22)  # the arm up to the claw
        c.ellipse(CRAB, (bx - 130, by - 60, 260, 120))
        c.ellipse(Theme.DARK_TEXT, (bx - 130, by - 60, 260, 120), width=3)
        for ex in (-40, 40):
            c.line(CRAB_DARK, (bx + ex, by - 50), (bx + ex, by - 96), 6)
            c.circle((255, 255, 255), (bx + ex, by - 100), 14)
            c.circle(Theme.DARK_TEXT, (bx + ex + 3, by - 100), 6)
        c.arc(Theme.DARK_TEXT, (bx - 30, by - 20, 60, 30), math.pi + 0.3, 2 * math.pi - 0.3, 4)
        open_a = OPEN_ANGLE * (1.0 - max(0.0, min(1.0, closure)))
        jaw = [(0, -16), (50, -34), (110, -22), (150, 0), (118, 4), (60, -4), (0, 14)]
        for sign in (-1, 1):
            a = sign * open_a
            pts = []
            for px, py in jaw:
                py *= -sign  # the lower jaw is the upper one flipped
                pts.append((PIVOT[0] + px * math.cos(a) - py * math.sin(a),
                            PIVOT[1] + px * math.sin(a) + py * math.cos(a)))
            c.polygon(CRAB, pts)
            c.polygon(Theme.DARK_TEXT, pts, width=3)
        c.circle(CRAB_DARK, PIVOT, 26)

    # ---------------------------------------------------------- demonstration
    def draw_demo(self, c: Canvas, t: float, mirror: bool) -> None:
        draw_pair_demo(c, t / self.demo_cycle_s, self.finger_pair, mirror)
        c.text(_("Fingers: {pair}").format(pair=pair_label(self.finger_pair)), (640, 560), size=36, bold=True,
               color=Theme.FOCUS)


def _finger_bases(cx: float, palm_top: float, size: float, mirror: bool) -> list[tuple[float, float]]:
    # index .. little, from the thumb side; a right hand seen from the back has the thumb on the left
    xs = [cx - 0.33 * size, cx - 0.11 * size, cx + 0.11 * size, cx + 0.31 * size]
    if mirror:
        xs = [2 * cx - x for x in xs]
    return [(x, palm_top) for x in xs]


def draw_pair_demo(c: Canvas, phase: float, pair: str, mirror: bool) -> None:
    """Back of the hand, fingers up and spread, the ball between the named pair; they close on it."""
    e = effort_curve(phase)
    size = 300.0
    cx, palm_top = 640.0, 380.0
    names = pair.split("-")
    idx = [FINGERS.index(n) for n in names if n in FINGERS]
    c.rect(SKIN, (cx - size * 0.45, palm_top - 10, size * 0.9, size * 0.55), radius=40)
    c.rect(Theme.DARK_TEXT, (cx - size * 0.45, palm_top - 10, size * 0.9, size * 0.55), radius=40, width=3)
    thumb_x = mirror_x(cx - size * 0.45, mirror, cx)
    draw_limb(c, [(thumb_x, palm_top + 90), (mirror_x(cx - size * 0.62, mirror, cx), palm_top + 20)], 40)
    bases = _finger_bases(cx, palm_top, size, mirror)
    lengths = (0.62, 0.7, 0.64, 0.5)
    ball = None
    if len(idx) == 2:
        (ax, _), (bx_, _) = bases[idx[0]], bases[idx[1]]
        ball = ((ax + bx_) / 2, palm_top - size * 0.32)
    for i, (x, y) in enumerate(bases):
        spread = (i - 1.5) * 0.12  # fingers fan out a little
        if i in idx and ball is not None:
            toward = 1 if ball[0] > x else -1
            spread = toward * (-0.30 + 0.2 * e)  # apart around the ball, then squeezed in
        ln = lengths[i] * size
        tip = (x + math.sin(spread) * ln * (-1 if mirror and i not in idx else 1), y - math.cos(spread) * ln)
        draw_limb(c, [(x, y), tip], 44 if i in idx else 40, SKIN if i in idx else (232, 200, 170))
    if ball is not None:
        # the ball fills the gap between the two fingers, squashed as they close on it
        (ax, _), (bx_, _) = bases[idx[0]], bases[idx[1]]
        lean = math.sin(0.30 - 0.2 * e) * (palm_top - ball[1])
        w = max(30.0, min(64.0, abs(bx_ - ax) + 2 * lean - 44))
        c.ellipse(Theme.NEAR, (ball[0] - w / 2, ball[1] - 34, w, 68))
        c.ellipse(Theme.DARK_TEXT, (ball[0] - w / 2, ball[1] - 34, w, 68), width=3)
        if e > 0.05:
            for out in (-1, 1):
                draw_arrow(c, (ball[0] + out * 110, 140), (ball[0] + out * 50, 140))
    draw_demo_meter(c, LRect(980 if not mirror else 260, 200, 40, 300), 0.75 * e)


def draw_finger_pair_icon(c: Canvas, center: tuple[float, float], size: float, pair: str, mirror: bool) -> None:
    """A small hand with the named pair of fingers lit up (shape and colour)."""
    x, y = center
    names = pair.split("-")
    c.rect(Theme.TEXT_DIM, (x - size * 0.32, y, size * 0.64, size * 0.36), radius=size * 0.1)
    for i, base in enumerate(_finger_bases(x, y + 2, size, mirror)):
        lit = FINGERS[i] in names
        ln = size * (0.42, 0.5, 0.46, 0.36)[i]
        c.line(Theme.FOCUS if lit else Theme.TEXT_DIM, base, (base[0], base[1] - ln), size * (0.16 if lit else 0.11))
