"""The portal's days are the clinic's days (its time zone), on a real PostgreSQL with records
stored by the server's own ingest path, and the pages read through the app with an injected
clock: a session at 23:30 or 00:30 local time in Los Angeles or Auckland lands on its local
day in the daily totals, the charts, the week's reps and the sessions table (whose times are
written in the zone, with its abbreviation); a daylight-saving change day keeps every session
exactly once; a new zone counts the days again; an unknown zone is refused in plain words."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from server import admin, auth, db, sync
from server.app import create_app
from server.auth import Device
from server.portal import data

LA, AKL = "America/Los_Angeles", "Pacific/Auckland"
PROGRAM = "name: Home\nexercises:\n- exercise: pinch\n  sets: 2\n  reps: 10\n"


@pytest.fixture(scope="module")
def engine(pg_url):
    e = db.make_engine(pg_url, pool_size=2)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def portal(engine):
    """The app on the test database, its clock set by each test (clock["now"])."""
    clock = {"now": datetime(2026, 3, 10, 20, tzinfo=timezone.utc)}
    app = create_app(engine=engine, secure_cookies=False, access_log_to_db=False, now=lambda: clock["now"])
    with TestClient(app) as client:
        yield client, clock


def local(zone: str, y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone))


class Clinic:
    def __init__(self, engine, name: str, zone: str | None):
        self.engine = engine
        with engine.begin() as conn:
            self.id = admin.create_clinic(conn, name, timezone=zone)
            enrolled = admin.enroll_device(conn, admin.make_enrolment_code(conn, self.id), uuid.uuid4(), "kiosk")
            tid = admin.create_therapist(conn, self.id, f"t-{uuid.uuid4().hex[:8]}", "a long enough password")
            self.cookie = {"Cookie": f"{auth.COOKIE_NAME}={auth.start_session(conn, tid)}"}
        self.device = Device(enrolled.device_id, self.id, "kiosk")

    def patient(self, name: str) -> uuid.UUID:
        with self.engine.begin() as conn:
            uid = admin.create_patient(conn, self.id, name)
            admin.save_program(conn, self.id, "Home", PROGRAM, patient_uid=uid)
        return uid

    def play(self, patient: uuid.UUID, at: datetime, reps: int, pain: int = 2) -> None:
        """A session at ``at`` with ``reps`` pinch reps (a second apart) and a pain rating."""
        s = uuid.uuid4().hex
        recs = [{"uid": s, "kind": "session", "patient_uid": str(patient), "session_uid": s,
                 "recorded_at": at.isoformat(), "body": {"pain_before": pain, "pain_after": pain}}]
        recs += [{"uid": uuid.uuid4().hex, "kind": "rep", "patient_uid": str(patient), "session_uid": s,
                  "recorded_at": (at + timedelta(seconds=i)).isoformat(),
                  "body": {"exercise": "pinch", "success": True, "target_pct": 20.0}} for i in range(reps)]
        got = sync.store_batch(self.engine, self.device, sync.parse_batch(json.dumps({"records": recs}).encode()))
        assert got["stored"] == len(recs)

    def days(self, patient: uuid.UUID, since: date) -> dict[date, int]:
        with self.engine.begin() as conn:
            return {r.day: r.reps for r in data.rep_days_for(conn, patient, since)}


def _chart_days(html: str, chart_id: str) -> dict[str, int]:
    """The bars of one chart of the page: {the day as the page writes it: repetitions}."""
    svg = html.split(f'aria-labelledby="{chart_id}-t', 1)[1].split("</svg>", 1)[0]
    return {d: int(n) for d, n in re.findall(r"<rect [^>]*><title>([^<:]+): repetitions (\d+)</title>", svg)}


def _session_times(html: str) -> list[str]:
    table = html.split('<table class="sessions">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", table)


def test_late_and_early_sessions_land_on_the_clinics_local_days(engine, portal):
    client, clock = portal
    la, akl = Clinic(engine, "Los Angeles ward", LA), Clinic(engine, "Auckland ward", AKL)
    lou, kiri = la.patient("Lou Late"), akl.patient("Kiri Early")
    today = date(2026, 3, 10)  # the week: 4-10 March; Los Angeles on summer time since the 8th
    la.play(lou, local(LA, 2026, 3, 3, 23, 30), 5)  # 07:30 UTC on the 4th: last week here
    la.play(lou, local(LA, 2026, 3, 4, 0, 30), 7)
    la.play(lou, local(LA, 2026, 3, 9, 23, 30), 3)  # 06:30 UTC on the 10th
    akl.play(kiri, local(AKL, 2026, 3, 3, 23, 30), 4)
    akl.play(kiri, local(AKL, 2026, 3, 4, 0, 30), 6)  # 11:30 UTC on the 3rd: this week here
    akl.play(kiri, local(AKL, 2026, 3, 10, 0, 30), 2)  # 11:30 UTC on the 9th

    since = date(2026, 3, 1)
    assert la.days(lou, since) == {date(2026, 3, 3): 5, date(2026, 3, 4): 7, date(2026, 3, 9): 3}
    assert akl.days(kiri, since) == {date(2026, 3, 3): 4, date(2026, 3, 4): 6, date(2026, 3, 10): 2}
    with engine.begin() as conn:
        (lou_row,) = data.patients_overview(conn, la.id, today=today)
        (kiri_row,) = data.patients_overview(conn, akl.id, today=today)
        lou_sessions = data.sessions_for(conn, lou, datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert (lou_row.reps_week, lou_row.reps_week_before) == (10, 5)
    assert (kiri_row.reps_week, kiri_row.reps_week_before) == (8, 4)
    assert len(lou_sessions) == 3

    # The pages, on the evening of the 10th in Los Angeles (04:00 UTC on the 11th).
    clock["now"] = local(LA, 2026, 3, 10, 20).astimezone(timezone.utc)
    page = client.get("/portal/patients", headers=la.cookie)
    assert page.status_code == 200
    row = page.text.split("Lou Late", 1)[1].split("</tr>", 1)[0]
    assert "9 Mar 2026" in row and "10 of 140" in row  # last played; the week 4-10 March, not 5-11
    assert "time zone: America/Los_Angeles" in page.text
    progress = client.get(f"/portal/patients/{lou}", headers=la.cookie).text
    assert _chart_days(progress, "c-all") == {"3 Mar 2026": 5, "4 Mar 2026": 7, "9 Mar 2026": 3}
    assert _session_times(progress) == ["9 Mar 2026 23:30 PDT", "4 Mar 2026 00:30 PST", "3 Mar 2026 23:30 PST"]

    clock["now"] = local(AKL, 2026, 3, 10, 9).astimezone(timezone.utc)  # 20:00 UTC on the 9th
    page = client.get("/portal/patients", headers=akl.cookie).text
    row = page.split("Kiri Early", 1)[1].split("</tr>", 1)[0]
    assert "10 Mar 2026" in row and "8 of 140" in row
    progress = client.get(f"/portal/patients/{kiri}", headers=akl.cookie).text
    assert _chart_days(progress, "c-all") == {"3 Mar 2026": 4, "4 Mar 2026": 6, "10 Mar 2026": 2}
    assert _session_times(progress) == ["10 Mar 2026 00:30 NZDT", "4 Mar 2026 00:30 NZDT", "3 Mar 2026 23:30 NZDT"]


@pytest.mark.parametrize("zone, day, hours", [(LA, date(2026, 3, 8), 23), (AKL, date(2026, 4, 5), 25)])
def test_a_daylight_saving_change_day_keeps_every_session_once(engine, portal, zone, day, hours):
    client, clock = portal
    clinic = Clinic(engine, f"DST ward {zone}", zone)
    p = clinic.patient("Dee Shift")
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(zone)).astimezone(timezone.utc)
    # A session every hour of the changing day (23 or 25 of them), one rep each, pain rated 3;
    # and one at 23:30 the evening before and 00:30 the morning after.
    for h in range(hours):
        clinic.play(p, start + timedelta(hours=h), 1, pain=3)
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    clinic.play(p, local(zone, before.year, before.month, before.day, 23, 30), 2)
    clinic.play(p, local(zone, after.year, after.month, after.day, 0, 30), 4)
    assert (start + timedelta(hours=hours)).astimezone(ZoneInfo(zone)).date() == after  # the day is that long

    assert clinic.days(p, before - timedelta(days=3)) == {before: 2, day: hours, after: 4}
    with engine.begin() as conn:
        since = datetime.combine(before, datetime.min.time(), ZoneInfo(zone))
        sessions = data.sessions_for(conn, p, since)
        pain = {r.day: r.n for r in data.ratings(conn, [p], since, zone)[p] if r.what == "pain"}
    assert len(sessions) == hours + 2 and len({s["uid"] for s in sessions}) == hours + 2
    assert pain == {before: 2, day: 2 * hours, after: 2}  # before and after each session

    clock["now"] = local(zone, after.year, after.month, after.day, 12).astimezone(timezone.utc)
    progress = client.get(f"/portal/patients/{p}", headers=clinic.cookie).text
    words = {before: f"{before.day} {before:%b %Y}", day: f"{day.day} {day:%b %Y}", after: f"{after.day} {after:%b %Y}"}
    assert _chart_days(progress, "c-all") == {words[before]: 2, words[day]: hours, words[after]: 4}
    times = _session_times(progress)
    assert len(times) == hours + 2 and len(set(times)) == hours + 2  # the repeated hour written apart


def test_a_new_zone_counts_the_days_again_and_an_unknown_one_is_refused(engine, capsys, monkeypatch):
    clinic = Clinic(engine, "Moving ward", "UTC")
    p = clinic.patient("Mo Move")
    clinic.play(p, datetime(2026, 6, 1, 5, tzinfo=timezone.utc), 3)  # 22:00 the evening before in Los Angeles
    assert clinic.days(p, date(2026, 5, 1)) == {date(2026, 6, 1): 3}
    with engine.begin() as conn:
        assert admin.set_clinic_zone(conn, clinic.id, "america/los_angeles") == LA
    assert clinic.days(p, date(2026, 5, 1)) == {date(2026, 5, 31): 3}
    clinic.play(p, datetime(2026, 6, 1, 6, tzinfo=timezone.utc), 1)  # new reps counted in the new zone
    assert clinic.days(p, date(2026, 5, 1)) == {date(2026, 5, 31): 4}
    with engine.begin() as conn:  # settings without a zone keep it (the devices' settings, say)
        admin.set_clinic_settings(conn, clinic.id, {"session_minutes": 20})
        assert data.clinic_zone(conn, clinic.id) == LA

    with engine.begin() as conn, pytest.raises(admin.AdminError) as refused:
        admin.set_clinic_zone(conn, clinic.id, "Mars/Olympus_Mons")
    assert "'Mars/Olympus_Mons'" in str(refused.value) and "Europe/Berlin" in str(refused.value)
    from server.cli import main

    monkeypatch.setenv("LANGUAGE", "en")  # the command speaks the computer's language: English here
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "set-timezone", "Moving ward", "Berlin"]) == 1
    assert "There is no time zone called 'Berlin'" in capsys.readouterr().err
    assert main(["--database-url", url, "create-clinic", "Nowhere ward", "--timezone", "Nowhere/Here"]) == 1
    assert "'Nowhere/Here'" in capsys.readouterr().err
    assert main(["--database-url", url, "set-timezone", "Moving ward", "Pacific/Auckland"]) == 0
    assert capsys.readouterr().out.strip() == AKL
    assert clinic.days(p, date(2026, 5, 1)) == {date(2026, 6, 1): 4}
    assert main(["--database-url", url, "list-clinics"]) == 0
    assert "Moving ward  (Pacific/Auckland)" in capsys.readouterr().out


def test_the_migration_gives_older_clinics_the_machines_zone_and_counts_their_days_again(engine, monkeypatch):
    """Down to 0005 and up again on this module's database (its other clinics keep their zones)."""
    from sqlalchemy import text

    from server import zones

    def zones_now() -> dict:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT id, settings->>'timezone' FROM clinics")).all())

    kept = zones_now()
    db.downgrade(engine, "0005")  # before clinics had a zone: days were UTC days
    with engine.begin() as conn:
        cid = uuid.uuid4()
        conn.execute(text("INSERT INTO clinics (id, name) VALUES (:c, 'Old ward')"), {"c": cid})
        dev = admin.enroll_device(conn, admin.make_enrolment_code(conn, cid), uuid.uuid4(), "kiosk")
        p = admin.create_patient(conn, cid, "Pat Old")
        conn.execute(text("INSERT INTO records (uid, clinic_id, device_id, kind, patient_uid, recorded_at, exercise, "
                          "success, body) VALUES (:u, :c, :d, 'rep', :p, '2026-06-01 03:00+00', 'pinch', true, '{}')"),
                     {"u": uuid.uuid4(), "c": cid, "d": dev.device_id, "p": p})

    def days() -> list:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT day, reps FROM portal_rep_days WHERE patient_uid = :p"),
                                                   {"p": p})]

    assert days() == [(date(2026, 6, 1), 1)]
    monkeypatch.setattr(zones, "machine_zone", lambda: LA)  # the server machine's zone (tzlocal caches it)
    db.upgrade(engine)
    with engine.connect() as conn:
        assert data.clinic_zone(conn, cid) == LA
    assert zones_now() == {**kept, cid: LA}  # the other clinics kept theirs
    assert days() == [(date(2026, 5, 31), 1)]  # 20:00 the evening before in Los Angeles
