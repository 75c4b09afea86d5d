"""The portal's queries on a real PostgreSQL, with records stored by the server's own ingest
path: the daily totals the trigger keeps (a duplicate counted once), last played, reps this
week, and the flags raised from pain ratings (a later rating snapshot replacing the session's
own) and calibrations."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, time, timedelta, timezone

import pytest

pytest.importorskip("sqlalchemy")

from server import admin, db, sync  # noqa: E402
from server.auth import Device  # noqa: E402
from server.portal import data  # noqa: E402


@pytest.fixture(scope="module")
def engine(pg_url):
    e = db.make_engine(pg_url, pool_size=1)
    yield e
    e.dispose()


def _rec(kind, patient, at, body, session=None, uid=None):
    return {"uid": uid or uuid.uuid4().hex, "kind": kind, "patient_uid": patient, "session_uid": session,
            "recorded_at": at.isoformat(), "body": body}


def test_totals_last_played_and_flags_from_stored_records(engine):
    with engine.begin() as conn:
        clinic = admin.create_clinic(conn, "Data ward")
        enrolled = admin.enroll_device(conn, admin.make_enrolment_code(conn, clinic), uuid.uuid4(), "pc")
        patient = admin.create_patient(conn, clinic, "Bea Flag")
        calm = admin.create_patient(conn, clinic, "Cal Calm")
        admin.save_program(conn, clinic, "Home", "name: Home\nexercises:\n- exercise: pinch\n  sets: 2\n  reps: 10\n",
                           patient_uid=patient)
    device = Device(enrolled.device_id, clinic, "pc")
    today = data.today_utc()
    noon = datetime.combine(today, time(12), timezone.utc)
    recs = []
    p = str(patient)
    # Week before: 100 reps over 5 days, pain 2. This week: 6 reps today, pain 2 then re-rated 8.
    for d in range(8, 13):
        s = uuid.uuid4().hex
        recs.append(_rec("session", p, noon - timedelta(days=d), {"pain_before": 2, "pain_after": 2}, s, s))
        recs += [_rec("rep", p, noon - timedelta(days=d, seconds=-i), {"exercise": "pinch", "success": i % 2 == 0,
                                                                     "target_pct": 20.0, "peak_pct": 24.0}, s)
                 for i in range(20)]
    s = uuid.uuid4().hex
    recs.append(_rec("session", p, noon, {"pain_before": 2, "pain_after": 2}, s, s))
    recs.append(_rec("rating", p, noon + timedelta(minutes=5), {"pain_before": 2, "pain_after": 8}, s))
    reps_today = [_rec("rep", p, noon + timedelta(seconds=i), {"exercise": "pinch", "success": True}, s)
                  for i in range(6)]
    recs += reps_today
    for w, mvc in enumerate((300, 310, 305, 250, 255, 252)):  # a drop of about 17%
        recs.append(_rec("calibration", p, noon - timedelta(days=7 * (6 - w)), {"mvc": mvc, "units": "device units"}))
    result = sync.store_batch(engine, device, sync.parse_batch(json.dumps({"records": recs}).encode()))
    assert result["stored"] == len(recs)
    again = sync.store_batch(engine, device, sync.parse_batch(json.dumps({"records": reps_today}).encode()))
    assert again["duplicates"] == 6  # counted once in the daily totals below

    with engine.begin() as conn:
        rows = {r.display_name: r for r in data.patients_overview(conn, clinic)}
        days = data.rep_days_for(conn, patient, today - timedelta(days=30))
    bea = rows["Bea Flag"]
    assert (bea.reps_week, bea.reps_week_before, bea.prescribed_week) == (6, 100, 140)
    assert bea.last_played == noon + timedelta(seconds=5)
    assert {f.key for f in bea.flags} == {"adherence", "pain", "strength"}
    pain = next(f for f in bea.flags if f.key == "pain")
    assert pain.why == f"Rated 8 of 10 on {today.day} {today.strftime('%b %Y')}."  # the re-rating, not the session's 2
    assert rows["Cal Calm"].flags == [] and rows["Cal Calm"].last_played is None
    assert sum(d.reps for d in days) == 106 and days[-1].reps == 6 and days[-1].successes == 6
    first = days[0]
    assert (first.reps, first.successes, first.target, first.peak_pct) == (20, 10, 20.0, 24.0)
