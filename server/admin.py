"""What a clinic's administrator and therapists change: clinics, therapists, enrolment
codes, devices, patients, programs and settings. Used by the admin command line and the
portal; each function works inside the caller's transaction (``engine.begin()``).

Every change a device must hear about takes the next number of ``change_seq`` under one
transaction-scoped advisory lock, so numbers become visible in order: a device that was
given cursor N has seen every change numbered N or less (see :mod:`server.sync`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from game.i18n import _
from server import auth, zones
from server.schema import clinics, devices, enrolment_codes, patients, programs, therapist_sessions, therapists

ENROLMENT_TTL = timedelta(hours=24)
CHANGE_LOCK = 0x5351_0001  # pg_advisory_xact_lock key for change_seq ("SQ", 1)


class AdminError(ValueError):
    """A request that cannot be done, in plain words for the person who asked."""


def next_change(conn: Connection) -> int:
    """The next change number, taken under the change lock (held until commit)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHANGE_LOCK})
    return int(conn.execute(text("SELECT nextval('change_seq')")).scalar_one())


# ------------------------------------------------------------------ clinics and therapists
def create_clinic(conn: Connection, name: str, timezone: str | None = None) -> uuid.UUID:
    """A new clinic; its days are counted in ``timezone`` (default: the server machine's own zone)."""
    name = name.strip()
    if not name:
        raise AdminError(_("A clinic needs a name."))
    tz = _checked_zone(conn, timezone) if timezone else _machine_zone(conn)
    cid = uuid.uuid4()
    conn.execute(clinics.insert().values(id=cid, name=name, settings={zones.SETTING: tz}))
    return cid


def find_clinic(conn: Connection, name_or_id: str) -> uuid.UUID:
    """A clinic by its id or its exact name."""
    try:
        cid = uuid.UUID(name_or_id)
        row = conn.execute(select(clinics.c.id).where(clinics.c.id == cid)).first()
    except ValueError:
        rows = conn.execute(select(clinics.c.id).where(clinics.c.name == name_or_id.strip())).all()
        if len(rows) > 1:
            raise AdminError(_("Several clinics are called {name!r}; give the clinic's id instead.").format(
                name=name_or_id)) from None
        row = rows[0] if rows else None
    if row is None:
        raise AdminError(_("There is no clinic {name!r}. See the list with: squeeze-quest-server list-clinics").format(
            name=name_or_id))
    return row.id


def _checked_zone(conn: Connection, name: str) -> str:
    """The IANA name, checked by Python and by PostgreSQL (which counts the days in it)."""
    try:
        tz = zones.canonical(name)
    except zones.UnknownZone as e:
        raise AdminError(str(e)) from None
    if not _postgres_knows(conn, tz):
        raise AdminError(zones.unknown_zone_message(name))
    return tz


def _postgres_knows(conn: Connection, tz: str) -> bool:
    # A zone PostgreSQL does not know would stop every upload (the day totals' trigger uses it).
    try:
        with conn.begin_nested():
            conn.execute(text("SELECT now() AT TIME ZONE :z"), {"z": tz})
        return True
    except DBAPIError:
        return False


def _machine_zone(conn: Connection) -> str:
    tz = zones.machine_zone()
    return tz if _postgres_knows(conn, tz) else zones.FALLBACK


def clinic_zone(conn: Connection, clinic_id: uuid.UUID) -> str:
    """The clinic's time zone (IANA name; UTC when none is recorded)."""
    return zones.zone_name(conn.execute(select(clinics.c.settings).where(clinics.c.id == clinic_id)).scalar())


# The daily repetition totals of one clinic's patients counted again in its zone (migration
# 0006 keeps them in the clinic's days as records arrive).
_FORGET_DAYS = """
DELETE FROM portal_rep_days WHERE patient_uid IN (
    SELECT DISTINCT patient_uid FROM records WHERE clinic_id = :c AND kind = 'rep' AND patient_uid IS NOT NULL)
"""
_RECOUNT_DAYS = """
INSERT INTO portal_rep_days (patient_uid, day, exercise, reps, successes, target_sum, target_n, hold_sum, hold_n,
                             peak_pct_sum, peak_pct_n, roll_sum, roll_n, last_at)
SELECT patient_uid, (recorded_at AT TIME ZONE :tz)::date, COALESCE(exercise, body->>'exercise', 'unknown'),
       count(*), count(*) FILTER (WHERE success),
       COALESCE(sum(portal_num(body->'target_pct')), 0), count(portal_num(body->'target_pct')),
       COALESCE(sum(portal_num(body->'hold_s')), 0), count(portal_num(body->'hold_s')),
       COALESCE(sum(portal_num(body->'peak_pct')), 0), count(portal_num(body->'peak_pct')),
       COALESCE(sum(portal_num(body->'roll_range')), 0), count(portal_num(body->'roll_range')),
       max(recorded_at)
FROM records WHERE clinic_id = :c AND kind = 'rep' AND patient_uid IS NOT NULL
GROUP BY 1, 2, 3
"""


def set_clinic_settings(conn: Connection, clinic_id: uuid.UUID, settings: dict) -> None:
    """The clinic's settings (the devices take them at their next sync). The time zone is
    checked; settings without one keep the clinic's zone. A new zone counts the clinic's
    daily totals again in it."""
    settings = dict(settings)
    before = clinic_zone(conn, clinic_id)
    settings[zones.SETTING] = _checked_zone(conn, settings[zones.SETTING]) if settings.get(zones.SETTING) else before
    seq = next_change(conn)  # first: uploads take the change lock before they write records
    conn.execute(update(clinics).where(clinics.c.id == clinic_id).values(settings=settings, settings_seq=seq))
    if settings[zones.SETTING] != before:
        # Uploads wait until this commits (a rep stored meanwhile would be counted in the old zone).
        conn.execute(text("LOCK TABLE records IN SHARE MODE"))
        conn.execute(text(_FORGET_DAYS), {"c": clinic_id})
        conn.execute(text(_RECOUNT_DAYS), {"c": clinic_id, "tz": settings[zones.SETTING]})


def set_clinic_zone(conn: Connection, clinic_id: uuid.UUID, name: str) -> str:
    """The clinic's days counted in the zone ``name``; returns its IANA name."""
    current = conn.execute(select(clinics.c.settings).where(clinics.c.id == clinic_id)).scalar()
    settings = dict(current) if isinstance(current, dict) else {}
    settings[zones.SETTING] = _checked_zone(conn, name)
    set_clinic_settings(conn, clinic_id, settings)
    return settings[zones.SETTING]


MIN_PASSWORD = 10


def create_therapist(conn: Connection, clinic_id: uuid.UUID, username: str, password: str,
                     display_name: str | None = None) -> uuid.UUID:
    username = username.strip()
    if not username:
        raise AdminError(_("A therapist needs a username."))
    if len(password) < MIN_PASSWORD:
        raise AdminError(_too_short())
    if conn.execute(select(therapists.c.id).where(therapists.c.username == username)).first():
        raise AdminError(_("The username {name!r} is taken; choose another.").format(name=username))
    tid = uuid.uuid4()
    conn.execute(therapists.insert().values(id=tid, clinic_id=clinic_id, username=username,
                                            display_name=(display_name or username).strip(),
                                            password_hash=auth.hash_password(password)))
    return tid


def set_password(conn: Connection, therapist_id: uuid.UUID, password: str) -> None:
    """A new password: the therapist's sessions end (wherever they were logged in)."""
    if len(password) < MIN_PASSWORD:
        raise AdminError(_too_short())
    conn.execute(update(therapists).where(therapists.c.id == therapist_id)
                 .values(password_hash=auth.hash_password(password)))
    conn.execute(therapist_sessions.delete().where(therapist_sessions.c.therapist_id == therapist_id))


def _too_short() -> str:
    return _("The password is too short: use at least {n} characters.").format(n=MIN_PASSWORD)


def find_therapist(conn: Connection, username: str) -> uuid.UUID:
    tid = conn.execute(select(therapists.c.id).where(therapists.c.username == username.strip())).scalar()
    if tid is None:
        raise AdminError(_("There is no therapist {name!r}.").format(name=username))
    return tid


def set_disabled(conn: Connection, therapist_id: uuid.UUID, disabled: bool) -> None:
    """A therapist who left: no login, and their sessions end."""
    conn.execute(update(therapists).where(therapists.c.id == therapist_id).values(disabled=disabled))
    if disabled:
        conn.execute(therapist_sessions.delete().where(therapist_sessions.c.therapist_id == therapist_id))


# ------------------------------------------------------------------ enrolment and devices
def make_enrolment_code(conn: Connection, clinic_id: uuid.UUID, created_by: uuid.UUID | None = None,
                        ttl: timedelta = ENROLMENT_TTL, now: datetime | None = None) -> str:
    """A new one-time code (shown once: only its hash is kept)."""
    now = now or auth.utcnow()
    code = auth.new_enrolment_code()
    conn.execute(enrolment_codes.insert().values(code_hash=auth.code_hash(code), clinic_id=clinic_id,
                                                 created_by=created_by, created_at=now, expires_at=now + ttl))
    return code


@dataclass(frozen=True)
class Enrolled:
    device_id: uuid.UUID
    token: str
    clinic_id: uuid.UUID
    clinic_name: str


ENROL_REFUSED = "This enrolment code is not valid. Ask your therapist for a new code."
ENROL_USED = "This enrolment code is not valid: it was already used. Ask your therapist for a new code."
ENROL_EXPIRED = "This enrolment code is not valid: it has expired. Ask your therapist for a new code."


class EnrolmentRefused(AdminError):
    """A code that cannot enrol; ``reason``: "unknown", "used" or "expired" (the API's
    refusal code says which, so the PC can tell its user what to do)."""

    def __init__(self, reason: str) -> None:
        super().__init__({"used": ENROL_USED, "expired": ENROL_EXPIRED}.get(reason, ENROL_REFUSED))
        self.reason = reason


def enroll_device(conn: Connection, code: str, device_uid: uuid.UUID, device_name: str,
                  now: datetime | None = None) -> Enrolled:
    """Use a code once: a new device token for its clinic. AdminError if unknown, used or expired."""
    now = now or auth.utcnow()
    device_id = uuid.uuid4()
    # One statement marks the code used only if it was unused and live: two PCs racing
    # with the same code cannot both get through.
    row = conn.execute(update(enrolment_codes)
                       .where(enrolment_codes.c.code_hash == auth.code_hash(code), enrolment_codes.c.used_at.is_(None),
                              enrolment_codes.c.expires_at > now)
                       .values(used_at=now, used_by_device=device_id)
                       .returning(enrolment_codes.c.clinic_id)).first()
    if row is None:
        # Why, for the person at the PC (a used or expired code is worth nothing to a guesser).
        code_row = conn.execute(select(enrolment_codes.c.used_at).where(
            enrolment_codes.c.code_hash == auth.code_hash(code))).first()
        raise EnrolmentRefused("unknown" if code_row is None else "used" if code_row.used_at else "expired")
    clinic_id = row.clinic_id
    # A reinstalled PC enrolling again: its older tokens stop working.
    conn.execute(update(devices).where(devices.c.clinic_id == clinic_id, devices.c.device_uid == device_uid)
                 .values(revoked=True))
    token = auth.new_token()
    conn.execute(devices.insert().values(id=device_id, clinic_id=clinic_id, device_uid=device_uid,
                                         name=device_name.strip()[:200] or "unnamed", token_hash=auth.token_hash(token),
                                         enrolled_at=now))
    name = conn.execute(select(clinics.c.name).where(clinics.c.id == clinic_id)).scalar_one()
    return Enrolled(device_id, token, clinic_id, name)


def list_devices(conn: Connection, clinic_id: uuid.UUID | None = None) -> list:
    q = (select(devices.c.id, devices.c.name, devices.c.device_uid, devices.c.revoked, devices.c.enrolled_at,
                devices.c.last_seen_at, clinics.c.name.label("clinic"))
         .join(clinics, clinics.c.id == devices.c.clinic_id).order_by(clinics.c.name, devices.c.enrolled_at))
    if clinic_id is not None:
        q = q.where(devices.c.clinic_id == clinic_id)
    return list(conn.execute(q))


def revoke_device(conn: Connection, device_id: uuid.UUID, clinic_id: uuid.UUID | None = None) -> None:
    q = update(devices).where(devices.c.id == device_id)
    if clinic_id is not None:
        q = q.where(devices.c.clinic_id == clinic_id)
    if conn.execute(q.values(revoked=True)).rowcount != 1:
        raise AdminError(_("There is no such device."))


# ------------------------------------------------------------------ patients and programs
HANDS = ("left", "right")


def create_patient(conn: Connection, clinic_id: uuid.UUID, display_name: str, initials: str | None = None,
                   hand: str = "right", uid: uuid.UUID | None = None) -> uuid.UUID:
    """A patient created by a therapist (a PC's patients arrive through sync)."""
    if hand not in HANDS:
        raise AdminError("The hand must be left or right.")
    uid = uid or uuid.uuid4()
    initials = initials or "".join(w[0] for w in display_name.split()[:3]).upper()
    conn.execute(patients.insert().values(uid=uid, clinic_id=clinic_id, display_name=display_name.strip(),
                                          initials=initials, hand=hand, change_seq=next_change(conn)))
    return uid


PATIENT_FIELDS = ("display_name", "initials", "hand", "archived", "program_uid")


def update_patient(conn: Connection, clinic_id: uuid.UUID, uid: uuid.UUID, **changes) -> None:
    """Change a patient's profile (the devices take it: the therapist's settings win)."""
    bad = set(changes) - set(PATIENT_FIELDS)
    if bad:
        raise AdminError(f"Unknown patient fields: {', '.join(sorted(bad))}")
    if "hand" in changes and changes["hand"] not in HANDS:
        raise AdminError("The hand must be left or right.")
    n = conn.execute(update(patients).where(patients.c.uid == uid, patients.c.clinic_id == clinic_id)
                     .values(**changes, change_seq=next_change(conn))).rowcount
    if n != 1:
        raise AdminError("There is no such patient in this clinic.")


def validate_program_yaml(yaml_text: str) -> list[str]:
    """Every problem with a program's YAML, in the level checker's words ([] = fine)."""
    from game.levels import parse_level_text

    _level, problems = parse_level_text(yaml_text, "program")
    return [str(p) for p in problems]


def save_program(conn: Connection, clinic_id: uuid.UUID, name: str, yaml_text: str,
                 saved_by: uuid.UUID | None = None, program_uid: uuid.UUID | None = None,
                 patient_uid: uuid.UUID | None = None, assign: bool = True) -> tuple[uuid.UUID, int]:
    """Save a program: each save is a new version (older ones stay). Returns (uid, version).

    AdminError with the level checker's words when the YAML is not a valid level.
    With a patient and ``assign``, the program becomes that patient's program.
    """
    problems = validate_program_yaml(yaml_text)
    if problems:
        raise AdminError("The program has problems:\n" + "\n".join(problems))
    if not name.strip():
        raise AdminError("A program needs a name.")
    seq = next_change(conn)
    if program_uid is None:
        program_uid, version = uuid.uuid4(), 1
    else:
        rows = conn.execute(select(programs.c.clinic_id, func.max(programs.c.version))
                            .where(programs.c.uid == program_uid).group_by(programs.c.clinic_id)).all()
        if any(r[0] != clinic_id for r in rows):
            raise AdminError("There is no such program in this clinic.")
        version = (rows[0][1] if rows else 0) + 1
    conn.execute(programs.insert().values(uid=program_uid, version=version, clinic_id=clinic_id,
                                          patient_uid=patient_uid, name=name.strip(), yaml=yaml_text,
                                          saved_by=saved_by, change_seq=seq))
    if patient_uid is not None and assign:
        update_patient(conn, clinic_id, patient_uid, program_uid=program_uid)
    return program_uid, version
