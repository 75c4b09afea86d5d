"""The session summary never claims reps the records do not hold (issue 19).

A whole session is played through the real scenes while another process holds the
database locked from the second set on: the reps are kept (spill journal) and the
summary says how many are kept with saving delayed, instead of presenting them as
stored; once the lock goes, the note goes and the records hold every rep.
"""

from __future__ import annotations

import contextlib

import pygame

from game.app import App, AppOptions
from game.profiles import Profiles
from game.scenes.session import SessionScene
from game.scenes.title import TitleScene
from game.records.storage import Store
from game.ui import Canvas
from hardware.clock import ManualClock
from hardware.scripted import ScriptedSource
from tests.helpers import CAL, run_until, run_until_thread
from tests.test_faults_storage import locked_by_other_process, make_records
from tests.test_session_scenes import PLAN, answer_rating, key, squeezing_trace, step


def drawn_texts(app, monkeypatch) -> list[str]:
    seen: list[str] = []
    original = Canvas.text

    def text(self, s, *a, **kw):  # noqa: ANN001, ANN202
        seen.append(s)
        return original(self, s, *a, **kw)

    monkeypatch.setattr(Canvas, "text", text)
    app.draw(0.0)
    monkeypatch.setattr(Canvas, "text", original)
    return seen


def test_the_summary_says_reps_are_kept_while_saving_is_delayed(tmp_path, monkeypatch):
    db = make_records(tmp_path, reps=0)
    store = Store(db, busy_timeout_ms=10, retry_s=0.02)
    profiles = Profiles(store)
    profiles.select(profiles.list()[0].id)
    clock = ManualClock()
    app = App(AppOptions(headless=True, data_dir=tmp_path, sound=False), clock=clock,
              source=ScriptedSource(clock, squeezing_trace(), name="Squeeze ball"), calibration=CAL, store=store)
    app.ctx.plan = PLAN
    assert isinstance(app.top, TitleScene)
    key(pygame.K_RETURN)
    step(app)
    session = app.stack[1]
    assert isinstance(session, SessionScene)
    answer_rating(app, 1, 1)
    lock = contextlib.ExitStack()
    from game.scenes.play import PlayScene

    run_until(app, lambda: isinstance(app.top, PlayScene) and app.top.set_number == 2)
    lock.enter_context(locked_by_other_process(db))  # the last set's reps cannot be written
    answer_rating(app, 1, 1)
    run_until(app, lambda: session.summary is not None)
    # The writer is a thread of its own: the summary shows the reps as kept from the frame
    # after the writer's first try, which may come a frame or two after the summary (or, on a busy
    # machine, a second or more: 600 unpaced frames once passed before it tried).
    run_until_thread(app, lambda: session.unsaved >= 1)
    step(app)
    assert session.unsaved >= 1
    texts = drawn_texts(app, monkeypatch)
    assert any(f"{session.unsaved} kept, saving delayed" in t for t in texts), texts
    lock.close()
    run_until_thread(app, lambda: session.unsaved == 0)
    texts = drawn_texts(app, monkeypatch)
    assert not any("saving delayed" in t for t in texts)
    n = store.db.execute("SELECT COUNT(*) FROM reps WHERE session_id=? AND set_number >= 1",
                         (session.session_id,)).fetchone()[0]  # (set 0 is the warm-up)
    assert n == session.summary.reps_done == 6
    app.shutdown()
