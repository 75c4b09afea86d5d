"""Capture one power-grip set as an animated GIF and a strip of eight frames (issue 17).

    python docs/screenshots/make_set_capture.py

The set is the scripted one the stage screenshots play (``tests/left_hand_scripts.py``:
good squeezes and near misses, with noise and tremor), played headless through the real
play scene with a scripted ball and a manual clock. A frame is drawn every ``EVERY / SUB``
seconds of game time at 960x540, until the set hands over to its results; the GIF takes
every ``SUB``-th one (one per ``EVERY`` s, played back in real time), the strip picks its eight
moments from all of them (a good squeeze rises in under half a second).
Writes ``set_capture.gif`` (loops forever, 4 frames a second) and ``set_strip.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

SIZE = (960, 540)
EVERY = 0.25  # seconds of game time between GIF frames (the GIF plays them back at this pace)
SUB = 3  # frames drawn per GIF frame: the strip chooses among these (0.25 / 3 s = 5 fixed steps)
EXERCISE = "power_grip"
GIF = HERE / "set_capture.gif"
STRIP = HERE / "set_strip.png"


@dataclass
class Frame:
    image: object  # PIL.Image
    t: float
    effort: float  # the squeeze toward the ring (1: reached)
    reps: int
    successes: int
    set_complete: bool


def capture() -> list[Frame]:
    from PIL import Image

    from game.app import App, AppOptions
    from game.context import PlaySettings
    from game.loop import STEP
    from game.records.storage import Store
    from game.scene import Push
    from game.scenes.play import PlayScene
    from hardware.clock import ManualClock
    from hardware.scripted import ScriptedSource
    from tests.helpers import CAL
    from tests.left_hand_scripts import trace_for
    from tests.screens import run

    trace, reps = trace_for(EXERCISE)
    frames: list[Frame] = []
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock()
        app = App(AppOptions(headless=True, data_dir=Path(tmp), window_size=SIZE, sound=False,
                             play=PlaySettings(reps_per_set=reps)),
                  clock=clock, source=ScriptedSource(clock, trace, name="Squeeze ball"), calibration=CAL,
                  store=Store.in_dir(Path(tmp)))
        scene = PlayScene(EXERCISE)
        app.apply(Push(scene))
        steps = round(EVERY / SUB / STEP)  # whole fixed steps, so the times are exact
        assert abs(steps * STEP * SUB - EVERY) < 1e-9
        k = 0
        while app.top is scene:
            game = scene.game
            app.draw(0.0)
            raw = app.pg.image.tobytes(app.screen, "RGB")
            frames.append(Frame(Image.frombytes("RGB", app.screen.get_size(), raw), k * steps * STEP,
                                float(game.effort_fraction()), len(game.reps),
                                sum(1 for r in game.reps if r.success), bool(game.set_complete)))
            run(app, steps * STEP)
            k += 1
        app.shutdown()
    return frames


def pick(frames: list[Frame]) -> list[tuple[str, Frame]]:
    """The strip's eight moments in the order they happen, found from the game's state (not fixed times)."""

    def first(cond, after: int = 0) -> int:
        return next(i for i in range(after, len(frames)) if cond(frames[i]))

    ok = first(lambda f: f.successes == 1)  # the first good rep has just been counted (after the release)
    reached = max(i for i in range(ok) if frames[i].effort >= 1.0)  # the hold done: "now open your hand"
    start = max(i for i in range(reached) if frames[i].effort < 0.1)  # the good squeeze began after this
    building = first(lambda f: f.effort >= 0.3, start)
    release = next(i for i in range(ok - 1, reached, -1) if 0.2 <= frames[i].effort < 0.9)
    misses = [i for i in range(1, len(frames)) if frames[i].reps - frames[i].successes
              > frames[i - 1].reps - frames[i - 1].successes]
    miss = next(i for i in misses if i > ok)  # a near miss after the first success
    weak = max(i for i in range(ok, miss) if frames[i].effort >= 0.3)  # ... while it is squeezed
    sparks = ok + SUB  # the sparks spread out for a quarter second before they read at strip size
    done = first(lambda f: f.set_complete)
    party = min(len(frames) - 1, done + 4 * SUB)
    return [("Squeeze building", frames[building]), ("Ring reached: hold done", frames[reached]),
            ("Hand opens: glide down", frames[release]), ("Through the ring: sparks", frames[sparks]),
            ("A weak squeeze: below the ring", frames[weak]), ("Near miss: kind words", frames[miss]),
            ("Last rep: set complete", frames[done]), ("End-of-set celebration", frames[party])]


def strip(picked: list[tuple[str, Frame]]) -> object:
    from PIL import Image, ImageDraw, ImageFont

    from game.resources import font_file

    w, h = SIZE[0] // 2, SIZE[1] // 2
    label_h, gap, cols = 28, 6, 4
    rows = (len(picked) + cols - 1) // cols
    out = Image.new("RGB", (cols * w + (cols + 1) * gap, rows * (h + label_h) + (rows + 1) * gap), (24, 28, 36))
    draw = ImageDraw.Draw(out)
    font = ImageFont.truetype(str(font_file()), 16)
    for k, (label, f) in enumerate(picked):
        x = gap + (k % cols) * (w + gap)
        y = gap + (k // cols) * (h + label_h + gap)
        out.paste(f.image.resize((w, h), Image.LANCZOS), (x, y))
        draw.text((x + 4, y + h + 6), f"{k + 1}. {label}  (t = {f.t:.2f} s)", fill=(235, 235, 235), font=font)
    return out


def main() -> int:
    from PIL import Image

    frames = capture()
    pal = [f.image.convert("P", palette=Image.ADAPTIVE, colors=128) for f in frames[::SUB]]
    pal[0].save(GIF, save_all=True, append_images=pal[1:], duration=round(EVERY * 1000), loop=0, optimize=True)
    strip(pick(frames)).save(STRIP, optimize=True)
    for p in (GIF, STRIP):
        print(f"{p.relative_to(HERE.parent.parent)}  {p.stat().st_size / 1024:.0f} KB")
    print(f"{len(pal)} GIF frames, {frames[-1].t:.2f} s of game time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
