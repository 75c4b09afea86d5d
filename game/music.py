"""Background music made in code, following the pace of the set (issue 17).

Three loops of the same length and the same four soft chords, made once with numpy
(no sample files to license) and played together on three reserved mixer
channels, so they stay in step:

- ``pad``: slow, warm chords. The calm of the rests; it plays through the set.
- ``pulse``: soft plucked notes on the beat, fading in while the patient works.
- ``lift``: the same notes at twice the rate, while a squeeze is held (the hold).

What the set is doing (``phase``: None, "rest", "work" or "hold") sets each layer's
goal; the layers glide there (quick to come in, slow to go), stepped by the game's
own time (the app's fixed steps), so tests drive it with an injected clock and read
:attr:`Music.levels`. With no phase (menus, questions) the music fades out and stops.

It never plays when muted: not when the game's sound is off (no mixer, ``--mute``,
headless), not at music volume 0 (the channels are stopped, not just silent). The
loops are made on a worker thread the first time a set starts (about a tenth of a
second of numpy), so no frame waits for them; the music begins once they are ready.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

LAYERS = ("pad", "pulse", "lift")
# Loudness of each layer at full music volume (the cue sounds stay clearly above them).
GAIN = {"pad": 0.5, "pulse": 0.35, "lift": 0.25}
# What each phase asks of each layer (0..1).
GOALS: dict[str | None, dict[str, float]] = {
    None: {"pad": 0.0, "pulse": 0.0, "lift": 0.0},
    "rest": {"pad": 1.0, "pulse": 0.0, "lift": 0.0},
    "work": {"pad": 0.8, "pulse": 1.0, "lift": 0.0},
    "hold": {"pad": 0.7, "pulse": 1.0, "lift": 1.0},
}
ATTACK_S = 0.6  # time constant when a layer comes in
RELEASE_S = 1.6  # ... and when it goes: a calm ebb, not a cut
SILENT = 0.002  # below this a layer is inaudible; all below it with no phase: the channels stop

BPM = 72.0  # a resting heart's pace
BEATS_PER_CHORD = 4
# A gentle progression (C major: Cmaj7, Am7, Fmaj7, G6), MIDI note numbers.
CHORDS: tuple[tuple[int, ...], ...] = ((48, 55, 64, 71), (45, 52, 60, 67), (41, 48, 57, 64), (43, 50, 59, 64))


def _hz(note: float, detune: float = 1.0) -> float:
    """A note's frequency, nudged to a whole number of cycles per loop (under 0.04 Hz: inaudible)
    so that every sine ends where it began and the loop joins without a click."""
    f = 440.0 * 2.0 ** ((note - 69) / 12.0) * detune
    return round(f * loop_seconds()) / loop_seconds()


def loop_seconds() -> float:
    return len(CHORDS) * BEATS_PER_CHORD * 60.0 / BPM


def render_loops(rate: int) -> dict[str, np.ndarray]:
    """The three layers as float arrays in -1..1, each exactly one loop long (seamless)."""
    n = round(loop_seconds() * rate)
    t = np.arange(n) / rate
    chord_s = BEATS_PER_CHORD * 60.0 / BPM
    beat_s = 60.0 / BPM
    pad = np.zeros(n)
    fade = 0.6  # seconds of crossfade between chords
    for k, chord in enumerate(CHORDS):
        start = k * chord_s
        # a raised-cosine window over the chord, wrapped round the loop so it joins seamlessly
        d = (t - start) % loop_seconds()
        env = np.clip(np.minimum(d / fade, (chord_s + fade - d) / fade), 0.0, 1.0)
        on = env > 0  # the chord sounds over a quarter of the loop: make only that
        env, tt = 0.5 - 0.5 * np.cos(np.pi * env[on]), t[on]
        for note in chord:
            # two slightly detuned voices: a soft chorus instead of a bare sine
            pad[on] += env * (np.sin(2 * np.pi * _hz(note) * tt)
                              + 0.6 * np.sin(2 * np.pi * _hz(note, 1.003) * tt + 1.0)) / len(chord)

    def plucks(every_s: float, octave: int) -> np.ndarray:
        out = np.zeros(n)
        steps = round(loop_seconds() / every_s)
        length = min(n, round(1.2 * rate))
        tt = np.arange(length) / rate
        env = np.minimum(1.0, tt / 0.01) * np.exp(-tt * 4.0)
        for i in range(steps):
            at = i * every_s
            chord = CHORDS[int(at // chord_s) % len(CHORDS)]
            note = chord[i % len(chord)] + 12 * octave
            tone = env * (np.sin(2 * np.pi * _hz(note) * tt) + 0.25 * np.sin(4 * np.pi * _hz(note) * tt))
            s0 = round(at * rate) % n
            head = min(length, n - s0)
            out[s0:s0 + head] += tone[:head]
            out[: length - head] += tone[head:]  # a note ringing past the end wraps to the start
        return out

    layers = {"pad": pad, "pulse": plucks(beat_s, 1), "lift": plucks(beat_s / 2, 2)}
    return {k: v / max(1e-9, float(np.abs(v).max())) for k, v in layers.items()}


@dataclass
class _Voice:
    channel: object  # pygame.mixer.Channel
    sound: object  # pygame.mixer.Sound


class Music:
    """The music layers, their envelope and their mixer channels.

    ``enabled`` False (no sound device, sound off): nothing is made or played.
    ``volume`` is the patient's music volume, 0..1 (0: off).
    """

    def __init__(self, enabled: bool = False, volume: float = 0.0) -> None:
        self.enabled = enabled
        self.volume = volume
        self.phase: str | None = None
        self.levels = {k: 0.0 for k in LAYERS}
        self._arrays: dict[str, np.ndarray] | None = None
        self._thread: threading.Thread | None = None
        self._voices: dict[str, _Voice] = {}
        self._sounds: dict[str, object] = {}  # made once from the loops, kept for the next set
        self._error: str | None = None

    # ------------------------------------------------------------ making
    @property
    def ready(self) -> bool:
        return self._arrays is not None

    def prepare(self) -> None:
        """Start making the loops on a worker thread (once); returns at once."""
        if not self.enabled or self._thread is not None or self._arrays is not None:
            return
        import pygame

        init = pygame.mixer.get_init()
        if not init:
            self.enabled = False
            return
        rate = init[0]

        def work() -> None:
            try:
                self._arrays = render_loops(rate)
            except Exception as exc:  # noqa: BLE001 - no music is better than no game
                self._error = str(exc)

        self._thread = threading.Thread(target=work, name="music-render", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks: wait for the loops (the game itself never waits)."""
        self.prepare()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    def _start_voices(self) -> None:
        import pygame

        _freq, _size, channels = pygame.mixer.get_init()
        # The first channels are kept for the music, so the cue sounds never take them.
        pygame.mixer.set_reserved(len(LAYERS))
        assert self._arrays is not None
        for i, name in enumerate(LAYERS):
            sound = self._sounds.get(name)
            if sound is None:
                mono = (self._arrays[name] * 0.9 * 32767).astype(np.int16)
                data = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
                sound = self._sounds[name] = pygame.sndarray.make_sound(np.ascontiguousarray(data))
            self._voices[name] = _Voice(pygame.mixer.Channel(i), sound)
        for name in LAYERS:  # together, so the layers stay in step
            v = self._voices[name]
            v.channel.set_volume(0.0)
            v.channel.play(v.sound, loops=-1)

    # ------------------------------------------------------------ following
    @property
    def audible(self) -> bool:
        return self.enabled and self.volume > 0

    @property
    def playing(self) -> bool:
        """The music's channels are playing (whatever their volume)."""
        return bool(self._voices) and any(v.channel.get_busy() for v in self._voices.values())

    def channel_volumes(self) -> dict[str, float]:
        """What the mixer has been told for each layer (0 when not playing)."""
        return {k: (float(v.channel.get_volume()) if v.channel.get_busy() else 0.0) for k, v in self._voices.items()}

    def follow(self, phase: str | None, dt: float) -> None:
        """One step of ``dt`` seconds with the set in ``phase`` (None: no music here)."""
        self.phase = phase
        if not self.audible:
            self.levels = {k: 0.0 for k in LAYERS}
            self.stop()
            return
        goals = GOALS.get(phase, GOALS[None])
        for k in LAYERS:
            cur, goal = self.levels[k], goals[k]
            tau = ATTACK_S if goal > cur else RELEASE_S
            self.levels[k] = goal + (cur - goal) * float(np.exp(-dt / tau)) if dt > 0 else cur
        if phase is None and all(v < SILENT for v in self.levels.values()):
            self.levels = {k: 0.0 for k in LAYERS}
            self.stop()
            return
        if phase is not None and not self.ready:
            self.prepare()
            return
        if not self.ready:
            return
        if not self._voices:
            try:
                self._start_voices()
            except Exception as exc:  # noqa: BLE001 - a mixer that refuses: play on in silence
                self._error = str(exc)
                self.enabled = False
                return
        for k, v in self._voices.items():
            v.channel.set_volume(min(1.0, self.levels[k] * GAIN[k] * self.volume))

    def stop(self) -> None:
        for v in self._voices.values():
            v.channel.stop()
        self._voices.clear()
