"""The therapist's portal in a real headless browser (Debian's chromium, Playwright), on a real
clinic server process and a real PostgreSQL: the issue's whole scenario.

Log in with the keyboard alone, create a patient, write a program with two mistakes and see
both explained in the words of `levels check`, save it, enrol a computer with the code shown,
let the real game (its own sync client: `main.py sync --enroll`) take the program down, play
it headless and send the session up, see the
session in the charts and the sessions table, download the report and the CSV, revoke the
computer, log out: every page is refused. On every page axe-core finds no serious or
critical problem, and at tablet width (768 px) nothing runs off the side. Screenshots of
every page go to $SQ_PORTAL_SCREENSHOTS (docs/screenshots/portal/ when made for the docs).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

from server import admin, db
from tests.portal.browser import WAIT_MS, Browser, axe_js, axe_violations, describe

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "ward7", "a long enough password"
API = "/api/v1"


@pytest.fixture(scope="module")
def therapist(pg_url):
    engine = db.make_engine(pg_url, pool_size=1)
    with engine.begin() as conn:
        clinic = admin.create_clinic(conn, "Ward 7")
        admin.create_therapist(conn, clinic, USER, PASSWORD, display_name="Sam Okafor")
    yield clinic
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("SQ_PORTAL_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("portal-shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Check:
    """Every page the scenario reaches: axe-core, tablet width, a screenshot."""

    def __init__(self, page, shots: Path) -> None:
        self.page, self.shots, self.axe = page, shots, axe_js()
        self.seen: list[str] = []

    def __call__(self, name: str, *, tablet: bool = False) -> None:
        page = self.page
        page.wait_for_load_state("load")
        bad = axe_violations(page, self.axe)
        assert not bad, f"axe-core on {name} ({page.url}):\n{describe(bad)}"
        page.set_viewport_size({"width": 768, "height": 1024})
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} is {overflow} px wider than a 768 px tablet"
        if tablet:
            page.screenshot(path=str(self.shots / f"{name}_tablet.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.evaluate("() => document.fonts.ready.then(() => true)")  # the web fonts drawn, not swapped in later
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        self.seen.append(page.url)


def _levels_check_messages(tmp_path: Path, yaml_text: str) -> list[str]:
    """What `python main.py levels check` says about a file, without the file and line."""
    f = tmp_path / "two_mistakes.yaml"
    f.write_text(yaml_text)
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "levels", "check", "--quiet", str(f)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
                         env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"))
    assert out.returncode == 1, out.stdout + out.stderr
    return [line.split(": ", 1)[1] for line in out.stdout.splitlines() if " line " in line]


def _main(*args: str) -> str:
    """``python main.py ...`` as a user runs it; its output (it must succeed)."""
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT, check=False,
                         timeout=180, env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"))
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _tab_to(page, element_id: str, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_the_therapists_day(clinic_server, therapist, browser, shots, tmp_path):
    from playwright.sync_api import expect  # (the browser fixture has found Playwright)

    page, base = browser.page, clinic_server.url
    check = Check(page, shots)

    # Logged out, a page is refused and the login form is shown instead.
    r = page.goto(base + "/portal/patients")
    assert r.status == 401 and page.locator("#password").is_visible()
    check("login")

    # Log in with the keyboard alone.
    _tab_to(page, "username")
    page.keyboard.type(USER)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Patients", exact=True).wait_for()

    # A form posted without the session's own token (another site's page) is refused.
    forged = page.request.post(base + "/portal/patients", form={"display_name": "Mallory", "hand": "right"})
    assert forged.status == 403 and "Nothing was changed" in forged.text()
    assert "Mallory" not in page.request.get(base + "/portal/patients").text()

    # A new patient; the program editor opens with a first program.
    page.fill("#display_name", "Ann Example")
    page.get_by_label("Left").check()
    page.get_by_role("button", name="Add patient").click()
    page.wait_for_url("**/program")
    patient_uid = page.url.split("/patients/")[1].split("/")[0]
    assert page.locator("img.picture").get_attribute("alt").startswith("Drawing of the movement")
    check("program_new")

    # Two mistakes: both explained, in the words of `levels check`.
    page.fill("#f-name", "Home routine")
    page.fill("#f-exercises-1-reps", "200")
    page.fill("#f-exercises-1-hold-s", "20")
    page.get_by_role("button", name="Save and send to the patient").click()
    # A click waits for the new page to commit, not to be parsed, nor for its deferred script to run: what
    # is read at once is awaited (on a busy machine the list, or the focus, came a moment later).
    page.wait_for_load_state("load")
    problems = page.locator("#problems li").all_inner_texts()
    expected = _levels_check_messages(tmp_path, "name: Home routine\nexercises:\n- exercise: power_grip\n"
                                                "  sets: 3\n  reps: 200\n  hold_s: 20\n")
    assert len(expected) == 2 and sorted(problems) == sorted(expected), (problems, expected)
    assert page.locator("#f-exercises-1-reps").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-exercises-1-hold-s").get_attribute("aria-invalid") == "true"
    expect(page.locator("#problems")).to_be_focused(timeout=WAIT_MS)  # focus moved to the list
    check("program_problems", tablet=True)

    # Fixed and saved: version 1, sent down to the patient's computers.
    page.fill("#f-exercises-1-reps", "4")
    page.fill("#f-exercises-1-sets", "1")
    page.fill("#f-exercises-1-hold-s", "0.5")
    page.fill("#f-exercises-1-rest-s", "0")
    page.select_option("#f-warmup", "false")
    page.get_by_role("button", name="Save and send to the patient").click()
    page.wait_for_url("**/program?saved=1")
    assert "Saved as version 1" in page.locator(".notice").inner_text()
    check("program_saved")

    # A computer is enrolled with the code the Devices page shows (with its QR code).
    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    page.get_by_role("button", name="New enrolment code").click()
    page.wait_for_load_state("load")
    code = page.locator(".the-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert page.locator(".qr svg").count() == 1
    check("devices_code", tablet=True)

    # The computer enrols with that code (the game's own sync client) and takes the program
    # down; the real game plays it; the next sync sends the session up.
    pc = tmp_path / "pc"
    out = _main("sync", "--data-dir", str(pc), "--server", base, "--enroll", code, "--name", "Ann's laptop")
    assert "1 program(s) received" in out, out
    level = next((pc / "levels").glob("clinic-*.yaml"))
    yaml_get = page.request.get(base + f"/portal/patients/{patient_uid}/program.yaml")
    assert yaml_get.status == 200 and yaml_get.text() == level.read_text()  # the export is what the PC received
    for path in ("", "/program", "/program.yaml"):  # a patient not in this clinic: the plain 404 page
        missing = page.request.get(base + f"/portal/patients/{uuid.uuid4().hex}{path}")
        assert missing.status == 404 and "no such patient" in missing.text(), path
    _main("--headless", "--input", "sim", "--seconds", "120", "--data-dir", str(pc), "--patient", "Ann Example",
          "--record-as", "Ann Example", "--seed", "3")
    played = sqlite3.connect(pc / "squeeze_quest.sqlite3")
    reps_played = played.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    assert reps_played == 4
    assert played.execute("SELECT program_version FROM sessions").fetchall() == [(1,)]
    played.close()
    out = _main("sync", "--data-dir", str(pc))
    assert "Still to send: 0" in out, out

    # The session is in the patients list, the charts and the sessions table.
    page.get_by_role("navigation").get_by_role("link", name="Patients").click()
    page.wait_for_load_state("load")
    row = page.locator("tr", has=page.get_by_role("link", name="Ann Example", exact=True))
    assert "4 of 28" in row.inner_text()  # 4 this week of 4 a day, every day
    check("patients", tablet=True)
    page.get_by_role("link", name="Ann Example", exact=True).click()
    page.wait_for_load_state("load")
    assert "4 repetitions in these days." in page.locator("main").inner_text()
    power = page.locator("section", has=page.get_by_role("heading", name="Power grip"))
    assert power.locator("svg.chart text").count() > 5  # real text in the charts
    day = datetime.now(timezone.utc).date()  # the server's day (UTC), written as British English writes it
    today = f"{day.day} {day.strftime('%b')} {day.year}"
    assert power.locator(f"svg.chart rect title:text-matches('^{today}: repetitions 4')").count() == 1
    session_row = page.locator("table.sessions tbody tr")
    assert session_row.count() == 1
    assert "Ann's laptop" in session_row.inner_text() and "version 1" in session_row.inner_text()
    check("progress", tablet=True)

    # The report and the CSV download, made by the game's own code.
    with page.expect_download() as dl:
        page.get_by_role("link", name="Report (PDF)").click()
    assert Path(dl.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as dl:
        page.get_by_role("link", name="Every repetition (CSV)").click()
    assert len(Path(dl.value.path()).read_text().strip().splitlines()) == 1 + reps_played

    # Archive and restore.
    page.get_by_role("navigation").get_by_role("link", name="Patients").click()
    page.get_by_role("button", name="Archive Ann Example").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("link", name="Ann Example", exact=True).count() == 0
    page.get_by_role("link", name="Show archived patients").click()
    check("patients_archived")
    page.get_by_role("button", name="Restore Ann Example").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("link", name="Ann Example", exact=True).count() == 1

    # Revoke the computer: its token stops working.
    page.get_by_role("navigation").get_by_role("link", name="Devices").click()
    page.get_by_role("button", name="End access (Ann's laptop)").click()
    page.wait_for_load_state("load")
    assert "Access ended" in page.locator("table").inner_text()
    check("devices")
    token = json.loads((pc / "clinic_server.json").read_text())["token"]
    assert httpx.get(base + API + "/sync/changes", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    # The portal in each language, picked in the header: axe-core, the tablet width and a
    # screenshot of the patients and progress pages in each. Chinese is drawn with the portal's
    # own CJK web font (the game's subset; a plain Debian chromium has no CJK font of its own).
    for code, heading, progress in (("es", "Pacientes", "Progreso de Ann Example"),
                                    ("de", "Patienten", "Fortschritt von Ann Example"),
                                    ("zh_Hans", "患者", "Ann Example的进展")):
        page.goto(base + "/portal/patients")
        page.select_option("#language", code)
        page.locator("form.language button").click()
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        assert page.evaluate("() => document.documentElement.lang") == code.replace("_", "-")
        check(f"patients_{code}")
        page.get_by_role("link", name="Ann Example", exact=True).click()
        page.get_by_role("heading", name=progress, exact=True).wait_for()
        check(f"progress_{code}")
    # The program editor in Chinese: every setting's label and description from the catalogue.
    page.get_by_role("link", name="训练计划", exact=True).click()
    page.get_by_role("heading", name="Ann Example的训练计划", exact=True).wait_for()
    assert "游戏可把目标提高到的最高值" in page.locator("main").inner_text()
    check("program_zh_Hans")
    # The report is written in the therapist's language too (its title, and the Chinese font).
    from matplotlib.backends.backend_pdf import pdfRepr

    from game.i18n import translations

    pdf = page.request.get(base + f"/portal/patients/{patient_uid}/download/report.pdf").body()
    assert pdfRepr(translations("zh_Hans").gettext("Squeeze Quest hand exercise report")) in pdf
    assert b"NotoSansCJK" in pdf
    cjk = page.evaluate("() => [...document.fonts].filter(f => f.family.includes('Squeeze Quest CJK') "
                        "&& f.status === 'loaded').length")
    assert cjk >= 1 and page.evaluate("() => document.fonts.check('16px \"Squeeze Quest CJK\"', '患者的进展')")
    page.select_option("#language", "en")
    page.locator("form.language button").click()
    page.get_by_role("heading", name="Program for Ann Example", exact=True).wait_for()

    # Log out: every page is refused.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/portal/login")
    pages = ["/portal/patients", "/portal/patients?archived=1", "/portal/devices", "/portal/",
             f"/portal/patients/{patient_uid}", f"/portal/patients/{patient_uid}/program",
             f"/portal/patients/{patient_uid}/program.yaml", f"/portal/patients/{patient_uid}/download/report.pdf",
             f"/portal/patients/{patient_uid}/download/records.csv"]
    for url in pages:
        r = page.goto(base + url)
        assert r.status == 401, url
        assert page.locator("#password").is_visible(), url
    # And a form posted without the session's token changes nothing.
    r = page.request.post(base + "/portal/patients", form={"display_name": "Mallory", "hand": "right"})
    assert r.status == 401
