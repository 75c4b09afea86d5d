"""What the portal's pages read from the clinic store (SQLAlchemy Core on server.schema).

Daily repetition totals come from ``portal_rep_days`` (kept by a trigger, see migration
0003_portal), so a page reads a few hundred rows where the records hold millions. Ratings
and calibrations are read from the records themselves through the
``records_patient_kind_time`` index (a handful per patient and day).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Date, DateTime, Float, Integer, MetaData, Table, Text, and_, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Connection

from server import zones
from server.portal.flags import Flag, Rating, Strength, all_flags
from server.schema import clinics, devices, patients, programs, records, therapists

_meta = MetaData()
rep_days = Table(
    "portal_rep_days", _meta,
    Column("patient_uid", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("exercise", Text, primary_key=True),
    Column("reps", Integer), Column("successes", Integer),
    *(Column(c, Float if c.endswith("_sum") else Integer)
      for c in ("target_sum", "target_n", "hold_sum", "hold_n", "peak_pct_sum", "peak_pct_n", "roll_sum", "roll_n")),
    Column("last_at", DateTime(timezone=True)),
)

RATING_KEYS = {"pain_before": "pain", "pain_after": "pain", "fatigue_before": "tiredness",
               "fatigue_after": "tiredness"}


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def clinic_zone(conn: Connection, clinic_id: uuid.UUID) -> str:
    """The clinic's time zone (IANA name): the portal's days, weeks and "today" are its."""
    return zones.zone_name(conn.execute(select(clinics.c.settings).where(clinics.c.id == clinic_id)).scalar())


@lru_cache(maxsize=4096)
def program_total_reps(yaml_text: str) -> int:
    """Repetitions one session of the program asks for (0 if the text no longer checks)."""
    from game.levels import parse_level_text

    level, problems = parse_level_text(yaml_text, "program")
    return level.total_reps if level is not None and not problems else 0


# ------------------------------------------------------------------ ratings and strength
# The records both rating queries read: each patient's session and rating records since :since.
_RECENT_RECORDS_CTE = """
WITH recs AS (  -- one range of the records_patient_kind_time index per patient and kind
    SELECT r.* FROM unnest(CAST(:patients AS uuid[])) AS p(uid) CROSS JOIN LATERAL (
        SELECT patient_uid, session_uid, uid, recorded_at, body FROM records
        WHERE patient_uid = p.uid AND kind = 'session' AND recorded_at >= :since
        UNION ALL
        SELECT patient_uid, session_uid, uid, recorded_at, body FROM records
        WHERE patient_uid = p.uid AND kind = 'rating' AND recorded_at >= :since) AS r
"""

# Pain and tiredness (0-10) as each session's newest record holds them (the session's own
# row, or a later rating snapshot of it: a rating changed after the session ended), summed
# per patient, day and kind in the database: a few hundred rows for a clinic's month.
RATINGS_SQL = text(_RECENT_RECORDS_CTE + """), latest AS (
    SELECT DISTINCT ON (COALESCE(session_uid, uid)) patient_uid, recorded_at, body
    FROM recs ORDER BY COALESCE(session_uid, uid), recorded_at DESC
)
SELECT l.patient_uid, (l.recorded_at AT TIME ZONE :tz)::date AS day, v.what, sum(v.val), count(*), max(v.val)
FROM latest l CROSS JOIN LATERAL (VALUES
    ('pain', portal_num(l.body->'pain_before')), ('pain', portal_num(l.body->'pain_after')),
    ('tiredness', portal_num(l.body->'fatigue_before')), ('tiredness', portal_num(l.body->'fatigue_after'))
) AS v(what, val)
WHERE v.val IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 2
""")


# The same, summed over the two windows the flags compare (the last 7 days, the 21 before):
# one row per patient for the patients list, the worst of the week and its day kept; each
# rating is read out of its record once.
RATING_WINDOWS_SQL = text(_RECENT_RECORDS_CTE + """), latest AS (
    SELECT DISTINCT ON (COALESCE(session_uid, uid)) patient_uid, (recorded_at AT TIME ZONE :tz)::date AS day,
           portal_num(body->'pain_before') AS pb, portal_num(body->'pain_after') AS pa,
           portal_num(body->'fatigue_before') AS fb, portal_num(body->'fatigue_after') AS fa
    FROM recs ORDER BY COALESCE(session_uid, uid), recorded_at DESC
), w AS (
    SELECT *, day >= :week AS recent, GREATEST(pb, pa) AS p_hi, GREATEST(fb, fa) AS f_hi FROM latest
)
SELECT patient_uid,
    COALESCE(sum(pb) FILTER (WHERE recent), 0) + COALESCE(sum(pa) FILTER (WHERE recent), 0),
    count(pb) FILTER (WHERE recent) + count(pa) FILTER (WHERE recent), max(p_hi) FILTER (WHERE recent),
    (array_agg(day ORDER BY p_hi DESC NULLS LAST, day DESC) FILTER (WHERE recent))[1],
    COALESCE(sum(pb) FILTER (WHERE NOT recent), 0) + COALESCE(sum(pa) FILTER (WHERE NOT recent), 0),
    count(pb) FILTER (WHERE NOT recent) + count(pa) FILTER (WHERE NOT recent), max(p_hi) FILTER (WHERE NOT recent),
    COALESCE(sum(fb) FILTER (WHERE recent), 0) + COALESCE(sum(fa) FILTER (WHERE recent), 0),
    count(fb) FILTER (WHERE recent) + count(fa) FILTER (WHERE recent), max(f_hi) FILTER (WHERE recent),
    (array_agg(day ORDER BY f_hi DESC NULLS LAST, day DESC) FILTER (WHERE recent))[1],
    COALESCE(sum(fb) FILTER (WHERE NOT recent), 0) + COALESCE(sum(fa) FILTER (WHERE NOT recent), 0),
    count(fb) FILTER (WHERE NOT recent) + count(fa) FILTER (WHERE NOT recent), max(f_hi) FILTER (WHERE NOT recent)
FROM w GROUP BY patient_uid
""")


def rating_windows(conn: Connection, patient_uids: list[uuid.UUID], today: date,
                   tz: str = zones.FALLBACK) -> dict[uuid.UUID, list[Rating]]:
    """Per patient: one Rating per kind for the last 7 days (dated the worst day) and one for the
    21 days before, which is all the flags compare (days of the zone ``tz``)."""
    week = today - timedelta(days=6)
    since = zones.midnight(week - timedelta(days=21), tz)
    out: dict[uuid.UUID, list[Rating]] = defaultdict(list)
    for r in conn.execute(RATING_WINDOWS_SQL, {"patients": list(patient_uids), "since": since, "week": week,
                                               "tz": tz}):
        for what, (total, n, worst, day, b_total, b_n, b_worst) in (("pain", r[1:8]), ("tiredness", r[8:15])):
            if n:
                out[r[0]].append(Rating(day, what, float(total), int(n), float(worst)))
            if b_n:
                out[r[0]].append(Rating(week - timedelta(days=1), what, float(b_total), int(b_n), float(b_worst)))
    return out


def ratings(conn: Connection, patient_uids: list[uuid.UUID], since: datetime,
            tz: str = zones.FALLBACK) -> dict[uuid.UUID, list[Rating]]:
    """Pain and tiredness per patient and day (days of the zone ``tz``)."""
    out: dict[uuid.UUID, list[Rating]] = defaultdict(list)
    for r in conn.execute(RATINGS_SQL, {"patients": list(patient_uids), "since": since, "tz": tz}):
        out[r[0]].append(Rating(r[1], r[2], float(r[3]), int(r[4]), float(r[5])))
    return out


def _strength_from(body: dict[str, Any], day: date) -> Strength | None:
    mvc = body.get("mvc")
    if not isinstance(mvc, (int, float)) or mvc <= 0:
        return None
    scale, units = body.get("scale"), body.get("units") or "device units"
    if units == "kg" and isinstance(scale, (int, float)) and scale > 0:
        return Strength(day, float(mvc) * float(scale), "kg")
    return Strength(day, float(mvc), "device units")


STRENGTH_SQL = text("""
SELECT p.uid, c.recorded_at, portal_num(c.body->'mvc'), portal_num(c.body->'scale'), c.body->>'units'
FROM unnest(CAST(:patients AS uuid[])) AS p(uid) CROSS JOIN LATERAL (
    SELECT recorded_at, body FROM records
    WHERE patient_uid = p.uid AND kind = 'calibration' AND recorded_at >= :since
    ORDER BY recorded_at DESC LIMIT :last) AS c
ORDER BY c.recorded_at
""")


def strength(conn: Connection, patient_uids: list[uuid.UUID], last: int | None = None,
             since: datetime | None = None, tz: str = zones.FALLBACK) -> dict[uuid.UUID, list[Strength]]:
    """Strongest-squeeze calibrations per patient, oldest first (the newest ``last`` of each),
    dated in the zone ``tz``."""
    out: dict[uuid.UUID, list[Strength]] = defaultdict(list)
    params = {"patients": list(patient_uids), "since": since or datetime(1970, 1, 1, tzinfo=timezone.utc),
              "last": last if last is not None else 100_000}
    for r in conn.execute(STRENGTH_SQL, params):
        s = _strength_from({"mvc": r[2], "scale": r[3], "units": r[4]}, r[1].astimezone(zones.zone(tz)).date())
        if s is not None:
            out[r[0]].append(s)
    return out


# ------------------------------------------------------------------ patients list
@dataclass
class PatientRow:
    uid: uuid.UUID
    display_name: str
    initials: str
    hand: str | None
    archived: bool
    program_name: str | None
    program_version: int | None
    prescribed_session: int
    last_played: datetime | None
    reps_week: int
    reps_week_before: int
    flags: list[Flag] = field(default_factory=list)

    @property
    def prescribed_week(self) -> int:
        # Programs state no days per week: every day, as the report takes it.
        return self.prescribed_session * 7

    @property
    def name(self) -> str:
        return self.display_name or self.initials or str(self.uid)[:8]


def patients_overview(conn: Connection, clinic_id: uuid.UUID, *, archived: bool = False,
                      today: date | None = None, tz: str | None = None) -> list[PatientRow]:
    """The clinic's patients; "this week" is the 7 days to ``today`` (default: the clinic's
    today, in its zone ``tz``), the days being the rep totals' (kept in the clinic's zone)."""
    tz = tz or clinic_zone(conn, clinic_id)
    today = today or zones.today_in(tz)
    week = today - timedelta(days=6)
    fortnight = today - timedelta(days=13)
    latest = (select(programs.c.uid, func.max(programs.c.version).label("version"))
              .where(programs.c.clinic_id == clinic_id).group_by(programs.c.uid).subquery())
    prog = (select(programs.c.uid, programs.c.version, programs.c.name, programs.c.yaml)
            .join(latest, and_(latest.c.uid == programs.c.uid, latest.c.version == programs.c.version)).subquery())
    rows = conn.execute(
        select(patients.c.uid, patients.c.display_name, patients.c.initials, patients.c.hand, patients.c.archived,
               prog.c.name.label("program_name"), prog.c.version.label("program_version"), prog.c.yaml)
        .outerjoin(prog, prog.c.uid == patients.c.program_uid)
        .where(patients.c.clinic_id == clinic_id, patients.c.archived.is_(archived))
        .order_by(func.lower(func.coalesce(patients.c.display_name, patients.c.initials, ""))))
    out = [PatientRow(r.uid, r.display_name or "", r.initials or "", r.hand, r.archived, r.program_name,
                      r.program_version, program_total_reps(r.yaml) if r.yaml else 0, None, 0, 0) for r in rows]
    if not out:
        return out
    uids = [p.uid for p in out]
    by_uid = {p.uid: p for p in out}
    pclinic = select(patients.c.uid).where(patients.c.clinic_id == clinic_id,
                                           patients.c.archived.is_(archived)).scalar_subquery()
    for r in conn.execute(select(rep_days.c.patient_uid, func.sum(rep_days.c.reps).filter(rep_days.c.day >= week),
                                 func.sum(rep_days.c.reps).filter(rep_days.c.day < week))
                          .where(rep_days.c.patient_uid.in_(pclinic), rep_days.c.day >= fortnight)
                          .group_by(rep_days.c.patient_uid)):
        p = by_uid.get(r[0])
        if p is not None:
            p.reps_week, p.reps_week_before = int(r[1] or 0), int(r[2] or 0)
    # The newest day of each patient: one index probe each (a max over all their days would read a year).
    for r in conn.execute(text(
            "SELECT p.uid, l.last_at FROM patients p CROSS JOIN LATERAL (SELECT d.last_at FROM portal_rep_days d "
            "WHERE d.patient_uid = p.uid ORDER BY d.day DESC, d.last_at DESC LIMIT 1) l "
            "WHERE p.clinic_id = :c AND p.archived = :a"), {"c": clinic_id, "a": archived}):
        if r[0] in by_uid:
            by_uid[r[0]].last_played = r[1]
    rated = rating_windows(conn, uids, today, tz)
    strong = strength(conn, uids, last=6, tz=tz)
    for p in out:
        p.flags = all_flags(reps_this_week=p.reps_week, reps_week_before=p.reps_week_before,
                            prescribed_week=p.prescribed_week, ratings=rated.get(p.uid, []),
                            strength=strong.get(p.uid, []), today=today)
    return out


def patient(conn: Connection, clinic_id: uuid.UUID, uid: uuid.UUID) -> Any | None:
    return conn.execute(select(patients).where(patients.c.uid == uid, patients.c.clinic_id == clinic_id)).first()


# ------------------------------------------------------------------ programs
def program_versions(conn: Connection, clinic_id: uuid.UUID, program_uid: uuid.UUID) -> list[Any]:
    return list(conn.execute(
        select(programs.c.uid, programs.c.version, programs.c.name, programs.c.yaml, programs.c.saved_at,
               therapists.c.display_name.label("saved_by_name"))
        .outerjoin(therapists, therapists.c.id == programs.c.saved_by)
        .where(programs.c.uid == program_uid, programs.c.clinic_id == clinic_id)
        .order_by(programs.c.version.desc())))


# ------------------------------------------------------------------ progress
@dataclass
class DayRow:
    day: date
    exercise: str
    reps: int
    successes: int
    target: float | None
    hold: float | None
    peak_pct: float | None
    roll: float | None


def rep_days_for(conn: Connection, uid: uuid.UUID, since: date) -> list[DayRow]:
    def avg(s: Any, n: Any) -> Any:
        return s / func.nullif(n, 0)

    c = rep_days.c
    rows = conn.execute(select(c.day, c.exercise, c.reps, c.successes, avg(c.target_sum, c.target_n),
                               avg(c.hold_sum, c.hold_n), avg(c.peak_pct_sum, c.peak_pct_n), avg(c.roll_sum, c.roll_n))
                        .where(c.patient_uid == uid, c.day >= since).order_by(c.day, c.exercise))
    return [DayRow(*r) for r in rows]


def sessions_for(conn: Connection, uid: uuid.UUID, since: datetime, limit: int = 60) -> list[dict[str, Any]]:
    """The newest sessions with their reps, ratings, program version and provenance."""
    rows = list(conn.execute(
        select(records.c.uid, records.c.recorded_at, records.c.body, devices.c.name.label("device"))
        .outerjoin(devices, devices.c.id == records.c.device_id)
        .where(records.c.patient_uid == uid, records.c.kind == "session", records.c.recorded_at >= since)
        .order_by(records.c.recorded_at.desc()).limit(limit)))
    if not rows:
        return []
    uids = [r.uid for r in rows]
    counts = {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(
        select(records.c.session_uid, func.count(), func.count().filter(records.c.success))
        .where(records.c.session_uid.in_(uids), records.c.kind == "rep").group_by(records.c.session_uid))}
    extra: dict[uuid.UUID, dict[str, Any]] = defaultdict(dict)
    prov_uids: set[str] = set()
    for r in conn.execute(select(records.c.session_uid, records.c.kind, records.c.body)
                          .where(records.c.session_uid.in_(uids), records.c.kind.in_(("rating", "session", "event")))):
        b = r.body if isinstance(r.body, dict) else {}
        if r.kind in ("rating", "session"):
            for key in RATING_KEYS:
                for src in (b, b.get("ratings") if isinstance(b.get("ratings"), dict) else {}):
                    if isinstance(src.get(key), (int, float)):
                        extra[r.session_uid][key] = src[key]
        if r.kind == "event" and b.get("kind") == "session_end" or "end_reason" in b:
            extra[r.session_uid].setdefault("end_reason", b.get("end_reason") or b.get("reason"))
    for r in rows:
        if isinstance(r.body, dict) and r.body.get("provenance_uid"):
            prov_uids.add(str(r.body["provenance_uid"]))
    provs: dict[str, dict[str, Any]] = {}
    if prov_uids:
        for r in conn.execute(select(records.c.body).where(records.c.kind == "provenance",
                                                           records.c.patient_uid == uid)):
            b = r.body if isinstance(r.body, dict) else {}
            if str(b.get("uid")) in prov_uids:
                provs[str(b["uid"])] = b
        if len(provs) < len(prov_uids):  # provenance records may carry no patient
            for r in conn.execute(select(records.c.body).where(records.c.kind == "provenance",
                                                               records.c.patient_uid.is_(None))):
                b = r.body if isinstance(r.body, dict) else {}
                if str(b.get("uid")) in prov_uids:
                    provs[str(b["uid"])] = b
    out = []
    for r in rows:
        b = r.body if isinstance(r.body, dict) else {}
        n, ok = counts.get(r.uid, (int(b.get("reps_attempted") or 0), int(b.get("reps_successful") or 0)))
        prov = provs.get(str(b.get("provenance_uid")), {})
        out.append({"uid": r.uid, "at": r.recorded_at, "reps": n, "successes": ok, "device": r.device,
                    "input": prov.get("input_kind") or b.get("input_device") or "",
                    "input_detail": ", ".join(str(prov[k]) for k in ("device_name", "firmware", "device_profile")
                                              if prov.get(k)),
                    "program": b.get("program_uid"), "program_version": b.get("program_version"),
                    "level": b.get("level"), "simulated": bool(b.get("simulated") or prov.get("simulated")),
                    "calibration": prov.get("calibration_basis") or "",
                    **{k: extra[r.uid].get(k, b.get(k)) for k in (*RATING_KEYS, "end_reason")}})
    return out


def patient_records(conn: Connection, uid: uuid.UUID) -> list[Any]:
    """Every record of one patient (for the report and exports), oldest first, with the
    provenance records they refer to."""
    rows = list(conn.execute(select(records.c.uid, records.c.kind, records.c.session_uid, records.c.recorded_at,
                                    records.c.body).where(records.c.patient_uid == uid)
                             .order_by(records.c.recorded_at)))
    wanted = {str(r.body.get("provenance_uid")) for r in rows if isinstance(r.body, dict) and r.body.get("provenance_uid")}
    have = {str(r.body.get("uid")) for r in rows if r.kind == "provenance" and isinstance(r.body, dict)}
    if wanted - have:
        rows += [r for r in conn.execute(select(records.c.uid, records.c.kind, records.c.session_uid,
                                                records.c.recorded_at, records.c.body)
                                         .where(records.c.kind == "provenance", records.c.patient_uid.is_(None),
                                                text("body->>'uid' = ANY(:u)")).params(u=list(wanted - have)))]
    return rows
