"""The report for 14 days made by the real session code has the pages a therapist reads:
trends per exercise (roll reached for the rolling one), pain and tiredness, adherence, what
adaptation did (from the stored difficulty changes) and the provenance of every session;
no two devices' units on one axis. The pages are rendered to PNG and checked for ink."""

from __future__ import annotations

from collections import Counter

import pygame
import pytest

from game.records.report import _pages, build_report, gather, render_pages
from game.records.storage import Store
from tests.session_history import BALL, CLINIC_BALL, build_session_history


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    h = build_session_history(tmp_path_factory.mktemp("history"))
    path, last = h.store.path, h.wall[0] + 3600
    h.store.close()
    h.store = Store(path, wall=lambda: last, background=False)
    yield h
    h.store.close()


def test_the_history_is_the_session_codes_own(history):
    store = history.store
    reps = store.reps()
    assert len(reps) == history.reps > 900
    # Targets moved as the runner moved them, and every move is a stored difficulty change.
    changes = store.difficulty_changes()
    assert len(changes) > 100 and {c["reason"] for c in changes} - {None}
    assert len({r["target_pct"] for r in reps if r["exercise"] == "pinch"}) > 10
    assert history.kinds[history.keyboard_session] == {"keyboard"}
    assert history.kinds[history.unplugged_session] == {"ball", "keyboard"}


def test_the_report_has_the_pages_a_therapist_reads(history):
    d = gather(history.store, history.patient_id)
    names = [n for n, _ in _pages(d)]
    assert names[:5] == ["overview", "adherence", "exercise-power_grip", "exercise-pinch", "exercise-thumb_flex_ext"]
    assert any(n.startswith("adaptation") for n in names) and any(n.startswith("provenance") for n in names)
    assert names[-1].startswith("sessions")
    # Trends: reps and target every day played; the rolling exercise shows roll reached, not force.
    grip = d.trends["power_grip"]
    assert len(grip) == 12 and all(x.reps and x.targets and x.holds for x in grip)
    assert all(set(x.reached) <= {"ball", "keyboard"} for x in grip)
    roll = d.trends["thumb_flex_ext"]
    assert roll and all(x.reached.get("ball") for x in roll)
    assert all(0 < v < 150 for x in roll for v in x.reached["ball"])  # % of the roll range
    # Pain and tiredness, before and after, for every session.
    assert len(d.ratings) == len(history.session_ids)
    assert all(r["fatigue_before"] is not None and r["fatigue_after"] is not None for r in d.ratings)
    # Adherence: 12 of the 14 days prescribed (two skipped).
    assert (len(d.adherence["played"]), len(d.adherence["window"])) == (12, 14)
    # Adaptation: every stored change is counted, per day, exercise and setting.
    stored = history.store.difficulty_changes()
    assert sum(a["n"] for a in d.adaptation) == len(stored)
    assert Counter(a["setting"] for a in d.adaptation) and all(a["ups"] + a["downs"] <= a["n"] for a in d.adaptation)
    # Provenance: a line per session, and a second one where the keyboard stood in.
    assert len(d.provenance) == len(history.session_ids) + 1
    inputs = Counter(p["input"] for p in d.provenance)
    assert inputs["keyboard"] == 2 and inputs["therapy ball"] == len(history.session_ids) - 1
    assert all("sha256:" in p["program"] for p in d.provenance)
    assert any("weight-calibrated" in p["calibration"] for p in d.provenance)


def test_no_two_devices_share_the_strength_axis(history):
    d = gather(history.store, history.patient_id)
    assert [(s.device, s.units) for s in d.strength] == [(BALL, "device units"), (CLINIC_BALL, "kg")]
    assert "weight-calibrated" in d.strength[1].basis and "not a dynamometer" in d.strength[0].basis
    # The session table's best peak counts only a ball's reps.
    kb = next(r for r in d.sessions if r["input"] == "Keyboard")
    assert kb["best"] == "-"


def test_every_page_renders_with_ink_and_the_pdf_has_them_all(history, tmp_path):
    pages = render_pages(history.store, history.patient_id, tmp_path, dpi=40)
    assert len(pages) == len(_pages(gather(history.store, history.patient_id)))
    for page in pages:
        img = pygame.image.load(str(page))
        w, h = img.get_size()
        colours = {tuple(img.get_at((x, y)))[:3] for x in range(0, w, 5) for y in range(0, h, 5)}
        assert len(colours) > 8, f"{page.name} looks blank"
    pdf = build_report(history.store, history.patient_id, tmp_path / "r.pdf").read_bytes()
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") == len(pages)
