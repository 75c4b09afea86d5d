"""The therapist's report renders as PNG and PDF, with the charts and every session."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from game.records.report import ReportError, build_report, gather
from tests.records_history import build_history

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    h = build_history(tmp_path_factory.mktemp("records"), days=12, skip=(3,))
    yield h
    h.store.close()


def test_report_data_lists_every_session(history):
    d = gather(history.store, history.patient_id)
    assert len(d.sessions) == len(history.session_ids)
    assert sum(int(s["reps"]) for s in d.sessions) == history.reps
    assert {s["ended"] for s in d.sessions} == {"completed", "stopped for pain"}
    assert d.patient["name"] == "Ann" and gather(history.store, history.patient_id, include_name=False).patient["name"] == "patient 1"


def test_png_report_renders_charts_and_table(history, tmp_path):
    import pygame

    out = build_report(history.store, history.patient_id, tmp_path / "ann.png")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    img = pygame.image.load(str(out))
    w, h = img.get_size()
    assert w > 1200 and h > 1300  # the charts plus a row per session
    # The charts are drawn in the Okabe-Ito blue and green, not left blank.
    colours = {tuple(img.get_at((x, y)))[:3] for x in range(0, w, 7) for y in range(0, h // 2, 7)}
    assert (0, 114, 178) in colours and (0, 158, 115) in colours


def test_pdf_report_has_a_chart_page_and_session_pages(history, tmp_path):
    out = build_report(history.store, history.patient_id, tmp_path / "ann.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    # The charts, adherence, a trend page per exercise (power grip, pinch), what adaptation did,
    # provenance (each input, then each session), then the sessions (12 days fit on one page).
    assert len(pages) == 8


def test_report_refuses_other_file_types(history, tmp_path):
    with pytest.raises(ReportError, match=r"\.pdf or \.png"):
        build_report(history.store, history.patient_id, tmp_path / "ann.docx")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "report", "--patient", "Ann", "--out",
                          str(tmp_path / "r.pdf"), "--data-dir", str(history.store.path.parent)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "r.pdf").stat().st_size > 10_000


def test_report_after_report_adds_its_fonts_once():
    """matplotlib's font list is the whole process's: the clinic server draws report after report
    for days, in every language, and each must not add the game's fonts to it again."""
    from matplotlib import font_manager

    from game.i18n import set_language
    from game.records.report import _setup_fonts
    from game.resources import fonts_dir

    ours = {os.path.realpath(f) for f in fonts_dir().iterdir() if f.suffix in (".ttf", ".otf")}

    def entries() -> list[str]:
        return sorted(e.fname for e in font_manager.fontManager.ttflist if e.fname in ours)

    for language in ("en", "zh_Hans"):
        set_language(language)
        _setup_fonts(None)
    first = entries()
    assert {os.path.basename(f) for f in first} == {os.path.basename(f) for f in ours}
    for _ in range(3):
        for language in ("zh_Hans", "en", "de"):
            set_language(language)
            _setup_fonts(None)
    assert entries() == first
    regular = font_manager.fontManager.findfont(font_manager.FontProperties(family="Atkinson Hyperlegible"))
    assert os.path.basename(regular) == "AtkinsonHyperlegible-Regular.ttf"
