"""Background music (issue 17): follows the set, has its own volume, is off in the kiosk by default.

The mixer runs on SDL's dummy audio driver (tests/conftest.py), so the channels really
play and report their volumes; time is stepped by hand (the game's fixed steps), never
by sleeping.
"""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from game.audio import Audio
from game.loop import STEP
from game.music import ATTACK_S, GAIN, LAYERS, RELEASE_S, Music, loop_seconds, render_loops
from game.profiles import Profiles
from game.records.storage import Store
from game.scene import Push
from game.scenes.play import PlayScene
from game.scenes.settings import SettingsScene
from game.settings import AccessSettings, apply_patient_settings
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, pct, run_until

RATE = 22050  # a lower rate keeps the loops quick to make in tests


@pytest.fixture()
def mixer():
    pygame.mixer.quit()
    pygame.mixer.init(frequency=RATE, size=-16, channels=1)
    yield
    pygame.mixer.quit()


@pytest.fixture(scope="module")
def loops():
    return render_loops(RATE)


def ready_music(loops, volume: float = 0.5) -> Music:
    m = Music(enabled=True, volume=volume)
    m._arrays = loops  # made once for the module (the game makes them on a worker thread)
    return m


def step(m: Music, phase: str | None, seconds: float) -> None:
    for _ in range(round(seconds / STEP)):
        m.follow(phase, STEP)


def test_the_loops_are_seamless_and_in_step(loops):
    n = round(loop_seconds() * RATE)
    assert set(loops) == set(LAYERS) and all(a.shape == (n,) for a in loops.values())
    for name, a in loops.items():
        assert np.abs(a).max() == pytest.approx(1.0)
        # the end joins the start: no click when the loop wraps (no bigger a step than anywhere inside)
        assert abs(a[0] - a[-1]) <= np.abs(np.diff(a)).max() * 1.01, name
    # a pulse is louder on its beats than between them: it really pulses
    beat = round(60 / 72 * RATE)
    env = np.abs(loops["pulse"])
    assert env[: beat // 8].max() > 3 * env[beat // 2: beat // 2 + beat // 8].max()


def test_the_music_follows_the_phase_of_the_set(mixer, loops):
    m = ready_music(loops)
    step(m, "rest", 3.0)
    assert m.playing
    assert m.levels["pad"] > 0.95 and m.levels["pulse"] < 0.01 and m.levels["lift"] < 0.01
    v = m.channel_volumes()
    assert v["pad"] == pytest.approx(GAIN["pad"] * 0.5, abs=1 / 128) and v["pulse"] == 0.0
    step(m, "work", 3 * ATTACK_S)
    assert m.levels["pulse"] > 0.9 and m.levels["lift"] < 0.01  # a gentle pulse while working
    step(m, "hold", 3 * ATTACK_S)
    assert m.levels["lift"] > 0.9  # quicker notes while the squeeze is held
    assert m.channel_volumes()["lift"] == pytest.approx(GAIN["lift"] * 0.5 * m.levels["lift"], abs=1 / 128)
    # back to rest: the pulse ebbs, it is not cut
    step(m, "rest", 0.5)
    assert 0.4 < m.levels["pulse"] < 0.9
    step(m, "rest", 6 * RELEASE_S)
    assert m.levels["pulse"] < 0.01 and m.levels["pad"] > 0.95
    # nowhere to follow (a menu, a question): it fades and then stops altogether
    step(m, None, 1.0)
    assert m.playing and 0.2 < m.levels["pad"] < 0.9
    step(m, None, 15 * RELEASE_S)
    assert not m.playing and m.levels == {k: 0.0 for k in LAYERS}


def test_music_has_its_own_volume_apart_from_the_sounds(mixer, loops):
    audio = Audio(enabled=True, volume=0.8)
    m = ready_music(loops, volume=0.5)
    step(m, "rest", 4.0)
    before = m.channel_volumes()["pad"]
    audio.volume = 0.0  # the sounds off: the music plays on
    audio.play("success")
    step(m, "rest", STEP)
    assert m.channel_volumes()["pad"] == pytest.approx(before, abs=1 / 128) and m.playing
    m.volume = 0.25  # half the music volume: half as loud
    step(m, "rest", STEP)
    assert m.channel_volumes()["pad"] == pytest.approx(before / 2, abs=1 / 128)
    # and the cue sounds never take the music's channels
    assert pygame.mixer.find_channel() is None or pygame.mixer.find_channel() not in [
        pygame.mixer.Channel(i) for i in range(len(LAYERS))]


def test_never_plays_when_muted(mixer, loops):
    m = ready_music(loops, volume=0.5)
    step(m, "work", 1.0)
    assert m.playing
    m.volume = 0.0  # music volume off: the channels stop, not merely go quiet
    step(m, "work", 1.0)
    assert not m.playing and all(v == 0.0 for v in m.levels.values())
    off = ready_music(loops, volume=1.0)
    off.enabled = False  # the game's sound is off (no sound device, --mute, headless)
    step(off, "hold", 2.0)
    assert not off.playing and off._thread is None


def test_the_loops_are_made_off_the_frame(mixer):
    m = Music(enabled=True, volume=0.5)
    m.follow("rest", STEP)  # the first frame of a set: asks for the loops and returns
    assert m._thread is not None and m._thread.name == "music-render"
    assert not m.playing
    assert m.wait_ready(30.0)
    step(m, "rest", 1.0)
    assert m.playing


def squeeze_app(tmp_path, **kw):
    from tests.helpers import make_app

    sq = [Squeeze(2.0 + 5.0 * i, pct(32), rise=0.5, hold=1.5, release=0.5) for i in range(3)]
    trace = synth_trace(sq, 20.0, baseline=BASE, noise_sd=1.0, seed=3)
    return make_app(tmp_path, trace, reps=3, size=(320, 180), **kw)


def test_a_played_set_drives_the_music(tmp_path, mixer, loops):
    app = squeeze_app(tmp_path)
    app.ctx.music = m = ready_music(loops, volume=0.5)  # the app is headless and silent; this one plays
    phases = []
    real = m.follow
    m.follow = lambda phase, dt: (phases.append(phase), real(phase, dt))  # type: ignore[method-assign]
    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.game.detector.in_rep
              and app.top.game.detector.hold_progress > 0.5)
    assert m.phase == "hold" and m.playing
    run_until(app, lambda: app.top.game.reps_done == 1 and not app.top.game.detector.in_rep)
    run_until(app, lambda: app.clock.now() > 6.0)  # resting before the next squeeze
    assert m.phase == "rest" and m.levels["pulse"] < m.levels["pad"]
    assert {"work", "hold", "rest"} <= set(phases)
    app.shutdown()


def test_off_in_the_kiosk_unless_the_patient_chose_it(tmp_path):
    assert AccessSettings().music_volume > 0
    assert AccessSettings.from_profile({}, kiosk=True).music_volume == 0.0
    assert AccessSettings.from_profile({"music_volume": 0.15}, kiosk=True).music_volume == 0.15
    app = squeeze_app(tmp_path)
    apply_patient_settings(app.ctx)
    assert app.ctx.music.volume == AccessSettings().music_volume
    app.ctx.kiosk = True
    apply_patient_settings(app.ctx)
    assert app.ctx.music.volume == 0.0
    Profiles(app.store).update_settings(app.ctx.patient_id, music_volume=0.5)
    apply_patient_settings(app.ctx)
    assert app.ctx.music.volume == 0.5
    app.shutdown()


def test_the_settings_screen_has_a_music_volume_of_its_own(tmp_path):
    from game.input import Act, Action

    store = Store.in_dir(tmp_path)
    ann = Profiles(store).create("Ann")
    store.close()
    app = squeeze_app(tmp_path)
    app.ctx.patient_id = ann.id
    apply_patient_settings(app.ctx)
    app.apply(Push(SettingsScene()))
    scene = app.top
    ids = [b.id for b in scene.buttons.buttons]
    assert ids.index("music_volume") == ids.index("cue_volume") + 1  # beside the sound volume
    scene.buttons.focus = ids.index("music_volume")
    assert scene.music_phase() == "rest"  # the patient hears the music while choosing its volume
    app.apply(scene.handle(Action(Act.CONFIRM)))
    saved = Profiles(app.store).get(ann.id).settings
    assert saved["music_volume"] == 0.5 and app.ctx.music.volume == 0.5  # 0.3 (Medium) -> 0.5 (Loud)
    assert saved.get("cue_volume") is None and app.ctx.audio.volume == AccessSettings().cue_volume
    app.shutdown()
