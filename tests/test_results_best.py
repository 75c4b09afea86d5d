"""The results screen's "best" card: the widest roll for a rolling set, the best squeeze otherwise."""

import sqlite3

import pytest

from game.scenes.results import ResultsScene
from game.records.storage import DB_NAME
from game.ui import Canvas
from hardware.traces import Squeeze, synth_trace
from tests.helpers import BASE, CAL, make_app, pct, run_until
from tests.roll_scripts import stroke_script

SMALL = (320, 180)


def drawn_texts(app, monkeypatch) -> list[str]:
    """Every text the results screen draws in one frame."""
    seen: list[str] = []
    original = Canvas.text

    def text(canvas, s, pos, **kw):  # noqa: ANN001, ANN202, ANN003
        seen.append(s)
        return original(canvas, s, pos, **kw)

    monkeypatch.setattr(Canvas, "text", text)
    app.draw(0.0)
    monkeypatch.setattr(Canvas, "text", original)
    return seen


def card(texts: list[str], label: str) -> tuple[str, str]:
    """(big number, note) of the card with this label: drawn number, label, note in that order."""
    i = texts.index(label)
    return texts[i - 1], texts[i + 1]


def test_a_rolling_set_shows_its_widest_roll_not_the_force(tmp_path, monkeypatch):
    # Table roll with the hand pressing at 30% of its strongest squeeze: each rep's force
    # peak is about 30%, while its roll reaches 60-85% of the range.
    sc = stroke_script(["good", "good", "weak", "good"], seed=4, force=CAL.to_device(30.0))
    app = make_app(tmp_path, sc.trace, exercise="table_roll", reps=sc.reps, size=SMALL)
    run_until(app, lambda: isinstance(app.top, ResultsScene), max_seconds=sc.trace[-1, 0] + 10)
    s = app.top.summary
    rows = sqlite3.connect(tmp_path / DB_NAME).execute("SELECT roll_range, peak_pct FROM reps").fetchall()
    assert len(rows) == sc.reps == s.reps
    widest = max(r[0] for r in rows)
    assert s.rolling and s.best_roll_pct == pytest.approx(widest)
    assert s.best_peak_pct == pytest.approx(max(r[1] for r in rows)) and abs(widest - s.best_peak_pct) > 20
    texts = drawn_texts(app, monkeypatch)
    assert card(texts, "widest roll") == (f"{widest:.0f}%", "this set")
    assert "best squeeze" not in texts
    assert card(texts, "rolls")[0] == str(sc.reps)  # the game's own word for a rep
    assert any("how far you can roll" in t for t in texts)
    assert not any("strongest squeeze" in t for t in texts)
    app.shutdown()


def test_a_force_set_keeps_the_best_squeeze_today(tmp_path, monkeypatch):
    sq = [Squeeze(1.0 + 3.0 * i, pct(p), rise=0.4, hold=0.8, release=0.5) for i, p in enumerate((30, 46, 38))]
    trace = synth_trace(sq, 12.0, baseline=BASE, noise_sd=1.0, seed=2)
    app = make_app(tmp_path, trace, exercise="power_grip", reps=3, size=SMALL)
    run_until(app, lambda: isinstance(app.top, ResultsScene), max_seconds=15)
    s = app.top.summary
    assert not s.rolling and s.best_roll_pct is None and s.rep_word == "squeezes"
    best = sqlite3.connect(tmp_path / DB_NAME).execute("SELECT MAX(peak_pct) FROM reps").fetchone()[0]
    assert best == pytest.approx(46, abs=4)
    texts = drawn_texts(app, monkeypatch)
    assert card(texts, "best squeeze") == (f"{best:.0f}%", "today")
    assert "widest roll" not in texts
    assert any("strongest squeeze" in t for t in texts)
    app.shutdown()


def test_a_rolling_set_with_no_rep_shows_a_dash(tmp_path, monkeypatch):
    from game.scene import Push
    from game.scenes.results import SetSummary
    from tests.screens import _app, run

    app = _app(tmp_path, SMALL, squeezes=False)
    app.apply(Push(ResultsScene(SetSummary("thumb_roll", "Potter's wheel", 0, 5, 0, 12.0, "stopped",
                                           rep_word="circles", rolling=True, best_roll_pct=None))))
    run(app, 0.5)
    texts = drawn_texts(app, monkeypatch)
    assert card(texts, "widest roll") == ("-", "this set")  # never the force peak of a roll
    assert card(texts, "circles")[0] == "0"
    app.shutdown()
