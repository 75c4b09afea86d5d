"""Feel (game/effects.py and its use by the games): easing, seeded particles, rewards only for
success, a celebration that never flashes, objects that glide instead of jumping, and drawing
that leaves every effect where it was."""

from __future__ import annotations

import copy
import math
import pickle
import random

import numpy as np
import pygame
import pytest

from game import effects
from game.effects import EASINGS, Celebration, Charge, GameFeel, Particles, Tween
from game.games import GAMES
from game.games.base import GameSetup
from game.loop import STEP
from game.scenes.play import PlayScene
from game.therapy.force_reps import ForceRepSettings
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, make_app, pct, run_until

SMALL = (320, 180)


@pytest.mark.parametrize("name", sorted(EASINGS))
def test_easing_ends_at_0_and_1_and_stays_inside(name):
    f = EASINGS[name]
    assert f(0.0) == pytest.approx(0.0, abs=1e-12)
    assert f(1.0) == pytest.approx(1.0, abs=1e-12)
    assert f(-3.0) == pytest.approx(0.0, abs=1e-12) and f(7.0) == pytest.approx(1.0, abs=1e-12)
    vals = [f(i / 100) for i in range(101)]
    assert all(-1e-9 <= v <= 1 + 1e-9 for v in vals)
    assert all(b >= a - 1e-12 for a, b in zip(vals, vals[1:])), "an easing that goes back would look like a jump"


def test_tween_reaches_its_end_smoothly_and_retargets_without_a_jump():
    tw = Tween(100.0, 400.0, 0.5)
    steps = [tw.step(STEP) for _ in range(40)]
    assert tw.done and steps[-1] == pytest.approx(400.0)
    assert max(abs(b - a) for a, b in zip([100.0] + steps, steps)) < 300 * 0.2  # no step near the whole way
    tw = Tween(0.0, 10.0, 1.0)
    for _ in range(20):
        tw.step(STEP)
    here = tw.value
    tw.retarget(-5.0)
    assert tw.value == pytest.approx(here)
    assert tw.at(0.5) == pytest.approx(tw.prev + (tw.value - tw.prev) * 0.5)


def _burst_run(seed: int) -> list[tuple]:
    p = Particles(random.Random(seed))
    p.burst((100, 100), [(255, 0, 0), (0, 255, 0)], n=30)
    for _ in range(20):
        p.step(STEP)
    p.burst((300, 200), [(0, 0, 255)], n=10)
    for _ in range(10):
        p.step(STEP)
    return [(round(q.x, 9), round(q.y, 9), q.color, round(q.size, 9)) for q in p.items]


def test_particles_are_the_same_for_the_same_seed_and_differ_for_another():
    assert _burst_run(7) == _burst_run(7)
    assert _burst_run(7) != _burst_run(8)


def test_particles_fade_and_are_gone_after_their_life():
    p = Particles(random.Random(1))
    p.burst((0, 0), [(1, 2, 3)], n=50, life=0.5)
    assert len(p.items) == 50
    for _ in range(int(0.5 * 1.15 / STEP) + 2):
        p.step(STEP)
    assert p.items == []


def test_charge_follows_effort_and_never_passes_full():
    ch = Charge()
    for _ in range(60):
        ch.step(STEP, 2.5)  # an over-squeeze glows no more than the target
    assert 0.99 < ch.level <= 1.0
    for _ in range(120):
        ch.step(STEP, 0.0)
    assert ch.level < 0.01


def _celebration_luminance(seconds: float = 6.0) -> list[float]:
    """Mean relative luminance of the celebration drawn over a mid-grey world, 60 frames a second."""
    from game.ui import Canvas

    surf = pygame.Surface((320, 180))
    c = Canvas(surf)
    cel = Celebration()
    cel.start()
    v = np.arange(256) / 255.0
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)  # sRGB to linear, per byte
    lum = []
    for _ in range(int(seconds / STEP)):
        surf.fill((90, 100, 110))
        cel.draw(c, (640, 380), effects.CELEBRATION_COLORS, (240, 228, 66))
        lin = linear[pygame.surfarray.pixels3d(surf)]
        lum.append(float((0.2126 * lin[..., 0] + 0.7152 * lin[..., 1] + 0.0722 * lin[..., 2]).mean()))
        cel.step(STEP)
    return lum


def _flashes_per_second(lum: list[float], seconds: float, threshold: float = 0.1) -> float:
    """WCAG 2.3.1's general flash: a pair of opposing luminance changes of 10% or more (relative
    luminance); counted as swings between turning points of at least ``threshold``."""
    swings, anchor, direction = 0, lum[0], 0
    for v in lum[1:]:
        d = v - anchor
        if abs(d) >= threshold * max(anchor, v, 1e-6) and (direction == 0 or math.copysign(1, d) != direction):
            swings += 1
            direction = int(math.copysign(1, d))
            anchor = v
        elif direction != 0 and math.copysign(1, v - anchor) == direction:
            anchor = v  # still going the same way: follow it
    return swings / 2 / seconds


def test_the_celebration_flashes_fewer_than_3_times_a_second():
    lum = _celebration_luminance(6.0)
    assert max(lum) - min(lum) > 0.001, "the celebration must be visible at all"
    assert _flashes_per_second(lum, 6.0, 0.01) < 1.0  # even 1% swings (WCAG counts 10%) are slow
    assert _flashes_per_second(lum, 6.0) < 3.0
    # its brightness is a slow breath: no frame-to-frame jump
    assert max(abs(b - a) for a, b in zip(lum, lum[1:])) < 0.01


def test_the_flash_counter_sees_a_flashing_screen():
    # the check above can fail: a screen flashing at 5 Hz is counted as about 5 flashes a second
    lum = [0.8 if (i // 6) % 2 == 0 else 0.1 for i in range(360)]
    assert _flashes_per_second(lum, 6.0) == pytest.approx(5.0, abs=0.2)


def test_game_feel_compares_by_its_state():
    a, b = GameFeel(random.Random(3)), GameFeel(random.Random(3))
    assert a == b
    a.success((1, 2))
    assert a != b
    b.success((1, 2))
    assert a == b
    assert pickle.loads(pickle.dumps(a)) == a


# ------------------------------------------------------------------ in the games
def _one_rep_trace(peak_pct: float):
    sq = Squeeze(2.0, pct(peak_pct), rise=0.4, hold=1.2, release=0.5)
    return synth_trace([sq], 8.0, baseline=BASE, noise_sd=1.0, tremor_hz=9, tremor_amp=pct(1), seed=1)


@pytest.mark.parametrize("exercise", ["power_grip", "finger_squeeze"])
def test_sparks_come_with_a_success_and_never_with_a_failed_rep(tmp_path, exercise):
    for peak, success in ((12.0, False), (34.0, True)):
        app = make_app(tmp_path / f"{peak}", _one_rep_trace(peak), exercise=exercise, reps=2, size=SMALL)
        run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done == 1)
        game = app.top.game
        assert bool(game.reps[0].success) is success
        assert game.feel.particles.bursts == (1 if success else 0)
        assert bool(game.feel.particles.items) is success
        app.shutdown()


def test_no_success_sound_on_a_failed_rep(tmp_path):
    app = make_app(tmp_path, _one_rep_trace(12.0), exercise="power_grip", reps=2, size=SMALL)
    played = []
    app.ctx.audio.play = played.append  # what the play scene asks the speaker for
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.reps_done == 1)
    assert "success" not in played
    app.shutdown()


def test_an_early_squeeze_glides_the_ring_to_the_bird_instead_of_jumping(tmp_path):
    from game.games.power_grip import BIRD_X

    # squeezing at once: the first ring is still far ahead of the bird when the rep is counted
    sq = Squeeze(0.1, pct(34), rise=0.15, hold=0.75, release=0.15)
    trace = synth_trace([sq], 8.0, baseline=BASE, noise_sd=1.0, tremor_hz=9, tremor_amp=pct(1), seed=2)
    app = make_app(tmp_path, trace, exercise="power_grip", reps=3, size=SMALL)
    run_until(app, lambda: isinstance(app.top, PlayScene))
    game = app.top.game
    ring = game.rings[0]
    xs, ahead_when_counted = [ring.x], None
    for _ in range(int(3.0 / STEP)):
        app.clock.advance(STEP)
        app.frame()
        if game.reps_done == 1 and ahead_when_counted is None:
            ahead_when_counted = xs[-1] - BIRD_X  # where the ring was the frame before
        xs.append(ring.x)
    assert ring.resolved and ahead_when_counted is not None and ahead_when_counted > 60, \
        "the test needs a ring resolved well ahead of the bird"
    moves = [a - b for a, b in zip(xs, xs[1:])]
    assert xs[-1] <= BIRD_X
    assert max(moves) < 40, f"the ring jumped {max(moves):.0f} px in one frame"
    app.shutdown()


def test_drawing_leaves_every_effect_where_it_was(tmp_path):
    app = make_app(tmp_path, _one_rep_trace(34.0), exercise="power_grip", reps=1, size=SMALL)
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.feel.particles.items)
    for _ in range(5):
        app.clock.advance(STEP)
        app.frame()
    game = app.top.game
    run_until(app, lambda: game.feel.celebration.on)
    before = pickle.dumps(game.feel)
    for alpha in (0.0, 0.3, 1.0):
        app.draw(alpha)
    assert pickle.dumps(game.feel) == before
    app.shutdown()


def test_the_sparks_follow_the_sets_seed():
    def feel(seed: int) -> GameFeel:
        g = GAMES["power_grip"](GameSetup(CAL, ForceRepSettings(), 10, random.Random(seed)))
        g.feel.success((10, 10))
        return g.feel

    assert feel(5) == feel(5)
    assert feel(5) != feel(6)
    assert copy.deepcopy(feel(5)) == feel(5)
