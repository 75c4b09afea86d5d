"""Sound cues made in code (no sample files to license): success, near miss, "your turn".

If the machine has no sound device the game plays on silently.
"""

from __future__ import annotations

import numpy as np
import pygame

RATE = 44100


def _tone(freqs: list[float], dur: float, volume: float = 0.35) -> np.ndarray:
    n = int(RATE * dur)
    t = np.arange(n) / RATE
    wave = np.zeros(n)
    seg = n // len(freqs)
    for i, f in enumerate(freqs):
        sl = slice(i * seg, n if i == len(freqs) - 1 else (i + 1) * seg)
        tt = t[sl] - t[sl][0]
        env = np.minimum(1.0, tt / 0.01) * np.exp(-tt * 5.0)
        wave[sl] = np.sin(2 * np.pi * f * tt) * env + 0.3 * np.sin(4 * np.pi * f * tt) * env
    return (wave / max(1e-9, np.abs(wave).max()) * volume * 32767).astype(np.int16)


CUES = {
    "success": lambda: _tone([660.0, 880.0, 1320.0], 0.45),
    "near": lambda: _tone([520.0, 440.0], 0.35, 0.25),
    "turn": lambda: _tone([740.0], 0.18, 0.25),
    "done": lambda: _tone([523.0, 659.0, 784.0, 1047.0], 0.9),
}


class Audio:
    def __init__(self, enabled: bool = True, volume: float = 0.8) -> None:
        self.volume = volume
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self.enabled = False
        if not enabled:
            return
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=RATE, size=-16, channels=1)
            freq, _, channels = pygame.mixer.get_init()
            for name, make in CUES.items():
                mono = make()
                data = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
                self._sounds[name] = pygame.sndarray.make_sound(np.ascontiguousarray(data))
            self.enabled = True
        except (pygame.error, ValueError):
            self._sounds.clear()

    def play(self, name: str) -> None:
        snd = self._sounds.get(name)
        if self.enabled and snd is not None and self.volume > 0:
            snd.set_volume(self.volume)
            snd.play()
