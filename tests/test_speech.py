"""Spoken prompts through real engines: espeak-ng (the program) and pyttsx3 (in its worker
process, over libespeak-ng on Linux), each writing WAV files instead of playing them (CI has no
sound card), checked for real audio in each language's own voice; and the frame loop never
waiting for a voice. Without espeak-ng (``apt install espeak-ng``; .ci/run installs it) the
engine tests are skipped, saying so."""

from __future__ import annotations

import importlib.util
import logging
import shutil
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from game.loop import STEP
from game.speech import EspeakEngine, Prompt, Pyttsx3Engine, Speech, choose_engine
from tests.helpers import make_app

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt install espeak-ng)")

PROMPTS = {"en": "Squeeze the ball", "es": "Aprieta la pelota", "de": "Drücke den Ball", "zh_Hans": "握紧球"}


def audio(path: Path) -> tuple[float, float]:
    """(seconds, RMS as a share of full scale) of a 16-bit mono WAV file."""
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        frames = w.readframes(w.getnframes())
        rate = w.getframerate()
    x = np.frombuffer(frames, dtype="<i2").astype(float)
    return len(x) / rate, float(np.sqrt(np.mean(x**2)) / 32768) if len(x) else 0.0


def speak_all(engine, tmp_path: Path) -> dict[str, Path]:
    sp = Speech(enabled=True, engine=engine)
    out = {}
    for lang, text in PROMPTS.items():
        sp.language = lang
        assert sp.say(text)
        assert sp.wait_started(30)
        out[lang] = engine.written[-1]
        # Each prompt is left to finish (a new one would cut it off), however long a busy machine takes: 4 s
        # were once too few for pyttsx3's worker, and the next prompt cut the German one off (an empty file).
        deadline = time.monotonic() + 60
        while sp.speaking and time.monotonic() < deadline:
            threading.Event().wait(0.02)
        assert not sp.speaking, f"the {lang} prompt was still being spoken after 60 s"
    sp.close()
    return out


@needs_espeak
def test_espeak_ng_speaks_each_language_with_its_own_voice(tmp_path):
    files = speak_all(EspeakEngine(ESPEAK, out_dir=tmp_path), tmp_path)
    for lang, path in files.items():
        seconds, rms = audio(path)
        assert 0.4 < seconds < 5 and rms > 0.02, (lang, seconds, rms)  # words, not silence
    # The Spanish words in the English voice are other sounds than in the Spanish voice.
    en_reads_spanish = EspeakEngine(ESPEAK, out_dir=tmp_path / "en")
    (tmp_path / "en").mkdir()
    sp = Speech(enabled=True, engine=en_reads_spanish, language="en")
    sp.say(PROMPTS["es"])
    assert sp.wait_started(30)
    while sp.speaking:
        threading.Event().wait(0.02)
    sp.close()
    assert en_reads_spanish.written[0].read_bytes() != files["es"].read_bytes()


@needs_espeak
@pytest.mark.skipif(importlib.util.find_spec("pyttsx3") is None, reason="pyttsx3 is not installed ([speech] extra)")
def test_pyttsx3_worker_process_speaks_each_language_with_its_own_voice(tmp_path):
    engine = Pyttsx3Engine(out_dir=tmp_path, driver="espeak")
    files = speak_all(engine, tmp_path)
    for lang, path in files.items():
        seconds, rms = audio(path)
        assert 0.4 < seconds < 5 and rms > 0.02, (lang, seconds, rms)
    voices = {r["id"]: r.get("voice") for r in engine.replies}
    assert voices == {1: "gmw/en-us", 2: "roa/es", 3: "gmw/de", 4: "sit/cmn"}


@needs_espeak
def test_the_frame_returns_while_speech_is_pending_and_only_the_latest_prompt_waits(tmp_path):
    from game.scene import Push
    from game.scenes.confirm import ConfirmScene

    class HeldVoice(EspeakEngine):
        """espeak-ng that cannot start speaking until the test lets it (a slow voice)."""

        gate, entered = threading.Event(), threading.Event()

        def start(self, prompt: Prompt) -> bool:
            self.entered.set()
            self.gate.wait(60)
            return super().start(prompt)

    voice = HeldVoice(ESPEAK, out_dir=tmp_path)
    app = make_app(tmp_path, exercise=None)
    app.ctx.speech = Speech(enabled=True, engine=voice, language="en")
    app.frame()
    t0 = app.clock.now()
    for question in ("Change hand to left?", "Change program?", "Change hand to right?"):
        app.apply(Push(ConfirmScene(question, lambda: None)))  # each says its question
        app.clock.advance(STEP)
        app.frame()  # returns although the voice has not started
        assert app.ctx.speech.speaking and not voice.written
        assert voice.entered.wait(30)  # the speech thread holds the first question; the others queue
    assert app.clock.now() - t0 == pytest.approx(3 * STEP)
    assert list(app.ctx.speech.said)[-3:] == ["Change hand to left?", "Change program?", "Change hand to right?"]
    voice.gate.set()
    assert app.ctx.speech.wait_started(30)
    # The first question had reached the voice; the second was replaced before it started.
    assert [p.name for p in voice.written] == ["0001-en.wav", "0003-en.wav"]
    while app.ctx.speech.speaking:
        threading.Event().wait(0.02)
    assert audio(voice.written[-1])[1] > 0.02
    app.shutdown()


def test_no_speech_engine_is_silent_and_says_why_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng
    monkeypatch.setitem(sys.modules, "pyttsx3", None)  # no pyttsx3
    assert choose_engine("linux") is None and choose_engine("win32") is None
    sp = Speech(enabled=True)
    with caplog.at_level(logging.WARNING, logger="game.speech"):
        assert not sp.say("Squeeze the ball") and not sp.say("Well done") and not sp.available
    assert [r.getMessage() for r in caplog.records] == [
        "speech: no speech engine (espeak-ng, or pyttsx3 on Windows and macOS); prompts are shown on screen only"]
    sp.close()


@needs_espeak
@pytest.mark.skipif(Path("/dev/snd").exists(), reason="this machine has a sound device")
def test_no_sound_device_is_logged_and_the_game_goes_on(caplog):
    sp = Speech(enabled=True, engine=EspeakEngine(ESPEAK), language="en")
    with caplog.at_level(logging.WARNING, logger="game.speech"):
        assert sp.say("Squeeze the ball")
        sp.wait_started()
        while sp.speaking:  # espeak-ng gives up at once without a device
            threading.Event().wait(0.02)
        sp.close()
    assert any("could not speak (no sound device?)" in r.getMessage() for r in caplog.records)


def test_the_engine_of_each_system(tmp_path, monkeypatch):
    """pyttsx3 first where it uses the system's own voices (Windows, macOS), espeak-ng first on Linux."""
    prog = tmp_path / "espeak-ng"
    prog.write_text("#!/bin/sh\n")
    prog.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    if importlib.util.find_spec("pyttsx3") is not None:
        assert isinstance(choose_engine("win32"), Pyttsx3Engine)
        assert isinstance(choose_engine("darwin"), Pyttsx3Engine)
    assert isinstance(choose_engine("linux"), EspeakEngine)
    monkeypatch.setitem(sys.modules, "pyttsx3", None)
    assert isinstance(choose_engine("win32"), EspeakEngine)  # espeak-ng installed there by hand


@needs_espeak
def test_prompts_follow_the_games_language(tmp_path):
    from game.i18n import current_language, set_language

    before = current_language()
    voice = EspeakEngine(ESPEAK, out_dir=tmp_path)
    sp = Speech(enabled=True, engine=voice)  # no language of its own: the game's
    try:
        set_language("de")
        sp.say("Drücke den Ball")
        assert sp.wait_started(30)
    finally:
        set_language(before)
        sp.close()
    assert voice.written[0].name.endswith("-de.wav")


@pytest.mark.skipif(importlib.util.find_spec("pyttsx3") is None, reason="pyttsx3 is not installed ([speech] extra)")
def test_a_pyttsx3_worker_that_cannot_start_is_logged_and_then_left_alone(tmp_path, caplog):
    engine = Pyttsx3Engine(driver="no_such_driver")
    sp = Speech(enabled=True, engine=engine, language="en")
    with caplog.at_level(logging.WARNING, logger="game.speech"):
        for _ in range(4):
            sp.say("Squeeze the ball")
            sp.wait_started(30)
            while sp.speaking:
                threading.Event().wait(0.02)
            engine._proc.wait(30) if engine._proc is not None else None
    sp.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("pyttsx3 cannot start here" in m for m in messages)
    assert any("keeps stopping" in m for m in messages)
    assert not sp.available and not sp.say("Well done")


@pytest.mark.skipif(importlib.util.find_spec("pyttsx3") is None, reason="pyttsx3 is not installed ([speech] extra)")
def test_a_frozen_build_starts_its_speech_worker_through_main_py(monkeypatch):
    import json
    import subprocess

    from game.speech import worker_command

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert worker_command() == [sys.executable, "--speech-worker"]  # the PyInstaller program is main.py
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, str(root / "main.py"), "--speech-worker", "--driver", "no_such_driver"],
                         input="", capture_output=True, text=True, timeout=60, cwd=root)
    assert out.returncode == 1
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["fatal"] and "pyttsx3 cannot start here" in answer["error"]


def test_a_speech_worker_that_ends_before_its_first_prompt_is_given_up_too(caplog):
    """A worker that cannot start may end before the speech thread writes it its prompt (a busy machine
    holds the thread that long): that is a failed start as much as one that ends after, and after three the
    engine gives up instead of starting a worker for every prompt."""

    class EndsBeforeItsPrompt(Pyttsx3Engine):
        def _spawn(self):
            proc = super()._spawn()
            proc.wait(30)  # a real process that ends at once, ended before its prompt is written
            return proc

    engine = EndsBeforeItsPrompt(command=[sys.executable, "-c", "pass"])
    sp = Speech(enabled=True, engine=engine, language="en")
    with caplog.at_level(logging.WARNING, logger="game.speech"):
        for _ in range(4):
            sp.say("Squeeze the ball")
            assert sp.wait_started(30)
    sp.close()
    assert any("keeps stopping" in r.getMessage() for r in caplog.records)
    assert not sp.available and not sp.say("Well done")
