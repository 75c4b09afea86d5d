"""Squeeze Quest. Run ``python main.py --help`` for options."""

import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

if sys.argv[1:2] == ["--speech-worker"]:  # a frozen build's own speech process (game/speech.py)
    from game.speech_worker import main as speech_worker

    sys.exit(speech_worker(sys.argv[2:]))

from game.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
