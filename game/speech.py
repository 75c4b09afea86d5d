"""Spoken prompts, for people who read with difficulty (optional, off by default).

Each system speaks with its own voices:

- Linux (and anywhere the program is installed): the ``espeak-ng`` program (``apt install
  espeak-ng``; plain ``espeak`` works too), one short process per prompt.
- Windows: pyttsx3 over SAPI5, the voices of Windows' own settings (a dependency on Windows).
- macOS: pyttsx3 over NSSpeechSynthesizer, with the ``[speech]`` extra (it needs pyobjc,
  which is large); without it, espeak-ng if installed (Homebrew), else silence.

pyttsx3 runs in a worker process of its own (:mod:`game.speech_worker`): its
``runAndWait`` blocks, its drivers keep per-thread and per-process state (a second
``runAndWait`` can hang on macOS), and a process can always be ended. A new prompt cuts off
the one still being spoken: only the latest is useful.

A frame never waits for speech: :meth:`Speech.say` only leaves the prompt for a worker
thread (the latest replaces one not yet started) and returns; starting processes, finding
voices and cutting off happen on that thread. Prompts are spoken in the game's current
language (:func:`game.i18n.current_language`) with a voice of that language; where the system
has none, that prompt stays unspoken rather than be read out wrongly. Without any speech
engine, or with no sound device, the game stays silent and carries on, and says why once in
the log.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

PROGRAMS = ("espeak-ng", "espeak")
WORDS_PER_MINUTE = 135  # slower than espeak's 175: easier to follow after a stroke
# The game's language codes (game.i18n) -> espeak-ng voice names.
ESPEAK_VOICES = {"en": "en", "es": "es", "de": "de", "zh_Hans": "cmn"}
# ... -> language tags a system voice may carry (SAPI5 "es-ES", NSSpeech "es_ES", espeak "cmn").
VOICE_TAGS = {"en": ("en", "en-us", "en-gb"), "es": ("es", "es-es", "es-mx", "es-us"), "de": ("de", "de-de"),
              "zh_Hans": ("zh-cn", "cmn", "zh-hans", "zh-sg", "zh")}
VOICE_NAMES = {"en": "english", "es": "spanish", "de": "german", "zh_Hans": "chinese"}  # when a voice lists no language


# Windows: a speech process started from the game's window must not open a console window of its own.
NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)


class SpeechFailed(Exception):
    """The engine cannot speak at all (missing, broken, no sound device): stay silent from now on."""


@dataclass(frozen=True)
class Prompt:
    text: str
    language: str  # a game.i18n code: en, es, de, zh_Hans
    volume: float  # 0 to 1
    rate_wpm: int
    number: int = 0  # counts the prompts started (names the file when speaking into a folder)


class Engine(Protocol):
    """A speech engine as the worker thread uses it. Only that thread calls these."""

    name: str

    def start(self, prompt: Prompt) -> bool: ...  # begin speaking; False: nothing to say it with (logged)

    def busy(self) -> bool: ...

    def cut(self) -> None: ...  # stop the prompt being spoken, never waiting long

    def close(self) -> None: ...


def _language_base(code: str) -> str:
    return code.split("_")[0].split("-")[0].lower()


class _LogOnce:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def warning(self, key: str, msg: str, *args: object) -> None:
        if key not in self.seen:
            self.seen.add(key)
            log.warning(msg, *args)


class EspeakEngine:
    """The espeak-ng program, a process per prompt. With ``out_dir`` it writes each prompt as a
    WAV file there (``-w``) instead of playing it: a real engine for tests on a machine without
    a sound card."""

    def __init__(self, program: str, *, out_dir: Path | None = None) -> None:
        self.program = program
        self.name = Path(program).name
        self.out_dir = out_dir
        self.written: list[Path] = []  # with out_dir: the files written, oldest first
        self._proc: subprocess.Popen | None = None
        self._watchers: list[threading.Thread] = []
        self._voices: set[str] | None = None
        self._warn = _LogOnce()

    def voice_for(self, language: str) -> str | None:
        """The installed voice for a game language, None if espeak-ng has none."""
        if self._voices is None:
            try:
                out = subprocess.run([self.program, "--voices"], capture_output=True, text=True, timeout=10,
                                     stdin=subprocess.DEVNULL, check=False, creationflags=NO_WINDOW).stdout
                # Rows: Pty Language Age/Gender VoiceName File (Other-language priority)...
                self._voices = set()
                for row in out.splitlines()[1:]:
                    cols = row.split()
                    if len(cols) > 4:
                        self._voices |= {cols[1].lower(), cols[4].rsplit("/", 1)[-1].lower()}
                        self._voices |= {c.strip("(").lower() for c in cols[5:] if c.startswith("(")}
            except (OSError, subprocess.SubprocessError):
                self._voices = set()
        voice = ESPEAK_VOICES.get(language, _language_base(language))
        if not self._voices or voice.lower() in self._voices:
            return voice  # an espeak that cannot list its voices tries the name
        return None

    def start(self, prompt: Prompt) -> bool:
        voice = self.voice_for(prompt.language)
        if voice is None:
            self._warn.warning(f"voice:{prompt.language}", "speech: %s has no voice for the language %r; "
                               "those prompts are shown on screen only", self.name, prompt.language)
            return False
        amplitude = str(max(0, min(200, round(prompt.volume * 200))))  # espeak's volume scale is 0-200
        args = [self.program, "-v", voice, "-a", amplitude, "-s", str(prompt.rate_wpm)]
        if self.out_dir is not None:
            path = self.out_dir / f"{prompt.number:04d}-{prompt.language}.wav"
            args += ["-w", str(path)]
            self.written.append(path)
        try:
            proc = subprocess.Popen([*args, "--", prompt.text], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, creationflags=NO_WINDOW)
        except OSError as exc:
            raise SpeechFailed(f"{self.name} cannot run ({exc})") from exc
        self._proc = proc
        watcher = threading.Thread(target=self._watch, args=(proc,), name="speech-espeak", daemon=True)
        watcher.start()
        self._watchers = [w for w in self._watchers if w.is_alive()] + [watcher]
        return True

    def _watch(self, proc: subprocess.Popen) -> None:
        """Collects the process when it ends; espeak-ng exits 0 even when it found no sound
        device, so its words on stderr say whether it could speak."""
        assert proc.stderr is not None
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = proc.wait()
        if code < 0:
            return  # cut off by us
        if code > 0 or "error" in err.lower():
            last = [ln for ln in err.splitlines() if ln.strip()][-1:] or [f"exit code {code}"]
            self._warn.warning("play", "speech: %s could not speak (no sound device?): %s", self.name, last[0])

    def busy(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    def cut(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def close(self) -> None:
        self.cut()
        for watcher in self._watchers:
            watcher.join(timeout=1)
        self._watchers.clear()


def worker_command() -> list[str]:
    """How to start :mod:`game.speech_worker` with this Python (or this frozen program)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--speech-worker"]  # main.py hands this to game.speech_worker
    return [sys.executable, "-m", "game.speech_worker"]


class Pyttsx3Engine:
    """pyttsx3 in a worker process: JSON lines in on its stdin, one reply line per prompt out.
    A prompt still being spoken is cut off by ending the process; the next prompt starts a new one
    (pyttsx3 has no stop that works from outside its own loop on every driver)."""

    name = "pyttsx3"

    def __init__(self, *, out_dir: Path | None = None, driver: str | None = None,
                 command: list[str] | None = None) -> None:
        self.out_dir = out_dir
        self.driver = driver  # None: pyttsx3's choice for the system (sapi5, nsss, espeak)
        self.command = command or worker_command()
        self.written: list[Path] = []
        self.replies: deque[dict] = deque(maxlen=50)  # the worker's answers, newest last
        self._proc: subprocess.Popen | None = None
        self._outstanding = 0
        self._lock = threading.Lock()
        self._warn = _LogOnce()
        self._failed_starts = 0

    def _spawn(self) -> subprocess.Popen:
        env = dict(os.environ)
        from game.resources import checkout_root

        root = checkout_root()
        if root is not None:  # a source checkout: the worker imports this same code
            env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
        args = [*self.command, *(["--driver", self.driver] if self.driver else [])]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    env=env, text=True, encoding="utf-8", bufsize=1, creationflags=NO_WINDOW)
        except OSError as exc:
            raise SpeechFailed(f"the speech worker cannot start ({exc})") from exc
        threading.Thread(target=self._read, args=(proc,), name="speech-replies", daemon=True).start()
        return proc

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                continue
            self.replies.append(reply)
            if "error" in reply:
                key = "ready" if reply.get("id") is None else f"voice:{reply.get('lang')}"
                self._warn.warning(key, "speech: %s", reply["error"])
            with self._lock:
                if proc is self._proc and reply.get("id") is not None:
                    self._outstanding = max(0, self._outstanding - 1)
                elif reply.get("fatal"):
                    self._outstanding = 0
        proc.stdout.close()
        with self._lock:
            if proc is self._proc:
                self._outstanding = 0

    def start(self, prompt: Prompt) -> bool:
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self._end(self._proc)  # collected, and its pipe closed
                self._failed_starts += 1
            if self._failed_starts >= 3:  # pyttsx3 cannot start here (no driver, no voices)
                raise SpeechFailed("the pyttsx3 speech worker keeps stopping "
                                   f"({[r for r in self.replies if 'error' in r][-1:] or 'no reason given'})")
            self._proc = self._spawn()
        out = None
        if self.out_dir is not None:
            out = self.out_dir / f"{prompt.number:04d}-{prompt.language}.wav"
            self.written.append(out)
        msg = {"id": prompt.number, "text": prompt.text, "lang": prompt.language, "volume": prompt.volume,
               "rate": prompt.rate_wpm, "out": str(out) if out else None}
        with self._lock:
            self._outstanding += 1
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(msg) + "\n")
            self._proc.stdin.flush()
        except OSError:
            with self._lock:
                self._outstanding = 0
            # Gone: the next prompt starts a new worker. Ended by itself before it took this prompt, it failed
            # to start as surely as one that ends after (a busy machine may hold this thread that long): not
            # counted, a worker that cannot start here was started again for every prompt, never given up.
            self._end(self._proc)
            self._failed_starts += 1
            return False
        return True

    def busy(self) -> bool:
        with self._lock:
            return self._outstanding > 0 and self._proc is not None and self._proc.poll() is None

    def cut(self) -> None:
        if self.busy():
            self._end(self._proc)

    def _end(self, proc: subprocess.Popen | None) -> None:
        with self._lock:
            if proc is self._proc:
                self._proc, self._outstanding = None, 0
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def close(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdin and not self.busy():
            try:
                proc.stdin.close()  # the worker ends at the end of its input
                proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._end(proc)


def choose_engine(platform: str | None = None) -> Engine | None:
    """The system's own speech: pyttsx3 first on Windows and macOS, espeak-ng first elsewhere."""
    platform = platform or sys.platform
    program = next((p for p in (shutil.which(n) for n in PROGRAMS) if p), None)
    has_pyttsx3 = importlib.util.find_spec("pyttsx3") is not None
    order = ("pyttsx3", "espeak") if platform in ("win32", "darwin") else ("espeak", "pyttsx3")
    for kind in order:
        if kind == "espeak" and program:
            return EspeakEngine(program)
        if kind == "pyttsx3" and has_pyttsx3:
            return Pyttsx3Engine()
    return None


def _current_language() -> str:
    try:
        from game.i18n import current_language
    except ImportError:
        return "en"
    return current_language()


class Speech:
    """The game's voice: the patient's setting (``enabled``, ``volume``) and the app's (``allowed``)."""

    def __init__(self, enabled: bool = False, volume: float = 0.8, *, allowed: bool = True,
                 program: str | None = None, rate_wpm: int = WORDS_PER_MINUTE, engine: Engine | None = None,
                 language: str | None = None) -> None:
        self.enabled = enabled  # the patient's setting
        self.volume = volume
        self.allowed = allowed  # the app's: off in headless runs and with --no-sound
        self.rate_wpm = rate_wpm
        self.language = language  # None: the game's current language at each prompt
        if engine is None and program is not None:
            engine = EspeakEngine(program) if Path(program).exists() or shutil.which(program) else None
            self._looked = True
        else:
            self._looked = engine is not None
        self._engine = engine
        self._failed = False
        self._cond = threading.Condition()
        self._pending: Prompt | None = None
        self._cut = False
        self._working = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._count = 0
        self.said: deque[str] = deque(maxlen=50)  # what was sent to the voice, newest last

    @property
    def engine(self) -> Engine | None:
        """The speech engine, found on first use (no work at import or start-up)."""
        if not self._looked:
            self._looked = True
            self._engine = choose_engine()
            if self._engine is None:
                log.warning("speech: no speech engine (espeak-ng, or pyttsx3 on Windows and macOS); "
                            "prompts are shown on screen only")
        return None if self._failed else self._engine

    @property
    def program(self) -> str | None:
        """The espeak-ng program in use, if that is the engine."""
        return getattr(self.engine, "program", None)

    @property
    def available(self) -> bool:
        return self.engine is not None

    @property
    def active(self) -> bool:
        return self.enabled and self.allowed and self.volume > 0

    def say(self, text: str) -> bool:
        """Leave ``text`` for the voice (cutting off the last prompt) and return at once; True if
        it will be spoken."""
        text = " ".join(str(text).split())
        if not text or not self.active or self.engine is None:
            return False
        with self._cond:
            if self._closed:
                return False
            self._count += 1
            self._pending = Prompt(text, self.language or _current_language(), self.volume, self.rate_wpm,
                                   self._count)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="speech", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        self.said.append(text)
        return True

    def _work(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._cut and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                prompt, self._pending, self._cut = self._pending, None, False
                self._working = True
            engine = self.engine
            try:
                if engine is not None:
                    engine.cut()
                    if prompt is not None:
                        engine.start(prompt)
            except SpeechFailed as exc:
                log.warning("speech: %s; prompts are shown on screen only from now on", exc)
                self._failed = True
            except Exception:  # a prompt must never take the game down
                log.exception("speech: the prompt could not be spoken")
            finally:
                with self._cond:
                    self._working = False
                    self._cond.notify_all()

    @property
    def speaking(self) -> bool:
        """A prompt is waiting, being started or being spoken."""
        with self._cond:
            if self._pending is not None or self._working or self._cut:
                return True
        engine = self._engine
        return engine is not None and engine.busy()

    def wait_started(self, timeout: float = 5.0) -> bool:
        """Until the worker has handed every prompt to the engine (tests and shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._working and not self._cut,
                                       timeout)

    def stop(self) -> None:
        """Cut off the prompt being spoken (our own process only; the worker thread does it)."""
        with self._cond:
            self._pending = None
            if self._thread is not None:
                self._cut = True
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._pending = None
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=2)
        if self._engine is not None:
            self._engine.close()
