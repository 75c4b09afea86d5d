"""Plays the game headless with the simulated patient and prints ``REP <session> <rep> <row id>``
the moment the records writer confirms each rep is committed; test_crash_kill.py kills
it with SIGKILL at random points and checks the database against what was printed.

Run: python -m tests.crash_driver DATA_DIR SEED
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from game.app import App, AppOptions
from game.context import PlaySettings
from game.loop import STEP
from game.records.storage import RepRow, Store


PACE = 15.0


class ConfirmingStore(Store):
    """The real store; it only adds a print when a rep's commit has returned."""

    def add_rep(self, session_id: int, row: RepRow, **kw):  # noqa: ANN003, ANN201
        fut = super().add_rep(session_id, row, **kw)

        def confirmed(f) -> None:  # noqa: ANN001
            if f.exception() is None:
                # One write() per line, flushed: a kill can cut the output only between lines.
                sys.stdout.write(f"REP {session_id} {row.set_number} {row.rep_number} {f.result()}\n")
                sys.stdout.flush()

        fut.add_done_callback(confirmed)
        return fut


def main() -> int:
    data_dir, seed = Path(sys.argv[1]), int(sys.argv[2])
    opts = AppOptions(input="sim", headless=True, data_dir=data_dir, exercise="power_grip", sound=False,
                      window_size=(320, 180), seed=seed, seconds=3600.0, play=PlaySettings(reps_per_set=20))
    store = ConfirmingStore.in_dir(data_dir)
    app = App(opts, store=store)
    print("READY", flush=True)
    # Game time at PACE x real time: as fast as headless play can go, the game ran ~50x
    # ahead of the fsynced writes, so most kills landed before anything was committed;
    # at this pace the writer keeps up and a kill lands while reps are being written.
    start = time.monotonic()
    try:
        while app.running:
            app.clock.advance(STEP)
            app.frame()
            ahead = app.frames * STEP / PACE - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    finally:
        app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
