"""The speech worker process: pyttsx3 speaks here, never in the game's process.

Started by :class:`game.speech.Pyttsx3Engine` (``python -m game.speech_worker``, or the frozen
program with ``--speech-worker``). Reads one JSON object a line on stdin::

    {"id": 3, "text": "Squeeze the ball", "lang": "es", "volume": 0.8, "rate": 135, "out": null}

speaks it with a voice of that language (``out``: writes a WAV file there instead), and
answers one JSON line on stdout: ``{"id": 3, "voice": "..."}`` when done, or ``{"id": 3,
"error": "..."}``. A start-up failure is one line ``{"error": ..., "fatal": true}`` and exit
code 1. It ends at the end of its input. pyttsx3's drivers print to stdout themselves, so
the answers go to the original stdout and everything else to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO

from game.speech import VOICE_NAMES, VOICE_TAGS


def _tags(voice: object) -> list[str]:
    out = []
    for lang in getattr(voice, "languages", None) or []:
        if isinstance(lang, bytes):
            lang = lang.decode(errors="replace")
        out.append(str(lang).strip().lower().replace("_", "-").lstrip("\x05"))
    return out


def pick_voice(voices: list, language: str) -> object | None:
    """The best installed voice for a game language (its language tags first, then its name)."""
    wanted = VOICE_TAGS.get(language, (language.split("_")[0].lower(),))
    best, best_score = None, None
    for voice in voices:
        for tag in _tags(voice):
            for rank, want in enumerate(wanted):
                if tag == want:
                    score = rank  # a tag asked for by name beats any regional variant
                elif tag.split("-")[0] == want.split("-")[0]:
                    score = 100 + rank
                else:
                    continue
                if language == "zh_Hans" and any(t in tag for t in ("tw", "hk", "hant", "yue", "latn")):
                    score += 50  # traditional script, Cantonese or Pinyin only when nothing else
                if best_score is None or score < best_score:
                    best, best_score = voice, score
    if best is not None:
        return best
    name = VOICE_NAMES.get(language)
    if name:
        for voice in voices:
            if name in str(getattr(voice, "name", "")).lower():
                return voice
    return None


def serve(lines: IO[str], answer: IO[str], driver: str | None = None) -> int:
    def reply(obj: dict) -> None:
        answer.write(json.dumps(obj) + "\n")
        answer.flush()

    try:
        import pyttsx3

        engine = pyttsx3.init(driver)
        voices = list(engine.getProperty("voices") or [])
    except Exception as exc:  # noqa: BLE001 - no driver, no COM, no voices: the game stays silent and logs it
        reply({"error": f"pyttsx3 cannot start here: {type(exc).__name__}: {exc}", "fatal": True})
        return 1
    for line in lines:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        lang = str(msg.get("lang") or "en")
        voice = pick_voice(voices, lang)
        if voice is None:
            reply({"id": msg.get("id"), "lang": lang,
                   "error": f"no voice for the language {lang!r} is installed; those prompts are shown on screen only"})
            continue
        try:
            engine.setProperty("voice", voice.id)
            engine.setProperty("rate", int(msg.get("rate") or 135))
            engine.setProperty("volume", max(0.0, min(1.0, float(msg.get("volume", 0.8)))))
            if msg.get("out"):
                engine.save_to_file(str(msg["text"]), str(msg["out"]))
            else:
                engine.say(str(msg["text"]))
            engine.runAndWait()
        except Exception as exc:  # noqa: BLE001 - a driver's failure is answered, never a dead worker
            reply({"id": msg.get("id"), "lang": lang, "error": f"pyttsx3 could not speak: {type(exc).__name__}: {exc}"})
            continue
        reply({"id": msg.get("id"), "voice": str(voice.id)})
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="The game's speech worker (started by the game itself).")
    ap.add_argument("--driver", default=None, help="a pyttsx3 driver (sapi5, nsss, avspeech, espeak)")
    ns = ap.parse_args(argv)
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # drivers' own prints must not mix with the answers
    with open(sys.stdin.fileno(), encoding="utf-8", closefd=False) as lines:
        return serve(lines, answer, ns.driver)


if __name__ == "__main__":
    raise SystemExit(main())
