"""The clinic server's tables (SQLAlchemy Core), as the newest migration leaves them.

The migrations in ``server/migrations/versions`` are the authority for the database;
these definitions are what the code queries with. ``tests/server/test_migrations.py``
checks the two agree.

Records: one table for every kind, with typed columns for what the portal filters and
groups on (patient, session, kind, time, exercise, success) and the whole record as
JSONB. The portal's heaviest page, reps per patient per exercise per day over a year,
is an index range scan on ``records_patient_kind_time``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

# Every change a device must hear about (a patient, a program version, the clinic's
# settings) takes the next number of this sequence; the sync cursor is the highest seen.
change_seq = Sequence("change_seq", metadata=metadata)

clinics = Table(
    "clinics", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("settings_seq", BigInteger, nullable=False, server_default=text("0")),
)

therapists = Table(
    "therapists", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("clinic_id", UUID(as_uuid=True), ForeignKey("clinics.id"), nullable=False, index=True),
    Column("username", Text, nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("language", Text),  # the portal's language picked by the therapist (migration 0004); null: the browser's
)

therapist_sessions = Table(
    "therapist_sessions", metadata,
    Column("token_hash", Text, primary_key=True),  # sha256 of the cookie's value
    Column("therapist_id", UUID(as_uuid=True), ForeignKey("therapists.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("clinic_id", UUID(as_uuid=True), ForeignKey("clinics.id"), nullable=False, index=True),
    Column("device_uid", UUID(as_uuid=True), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("revoked", Boolean, nullable=False, server_default=text("false")),
    Column("enrolled_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("last_seen_at", DateTime(timezone=True)),
)

enrolment_codes = Table(
    "enrolment_codes", metadata,
    Column("code_hash", Text, primary_key=True),
    Column("clinic_id", UUID(as_uuid=True), ForeignKey("clinics.id"), nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("therapists.id")),  # null: the admin CLI
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("used_by_device", UUID(as_uuid=True)),
)

patients = Table(
    "patients", metadata,
    Column("uid", UUID(as_uuid=True), primary_key=True),
    Column("clinic_id", UUID(as_uuid=True), ForeignKey("clinics.id"), nullable=False),
    Column("display_name", Text),
    Column("initials", Text),
    Column("hand", Text),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("program_uid", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("created_by_device", UUID(as_uuid=True)),
    Column("change_seq", BigInteger, nullable=False),
    Index("patients_clinic_seq", "clinic_id", "change_seq"),
)

programs = Table(
    "programs", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("uid", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("clinic_id", UUID(as_uuid=True), ForeignKey("clinics.id"), nullable=False),
    Column("patient_uid", UUID(as_uuid=True), ForeignKey("patients.uid")),
    Column("name", Text, nullable=False),
    Column("yaml", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("saved_by", UUID(as_uuid=True), ForeignKey("therapists.id")),
    Column("change_seq", BigInteger, nullable=False),
    Index("programs_uid_version", "uid", "version", unique=True),
    Index("programs_clinic_seq", "clinic_id", "change_seq"),
)

RECORD_KINDS = ("patient", "session", "set", "rep", "calibration", "roll_calibration", "rating", "event",
                "difficulty_change", "provenance", "trace")

records = Table(
    "records", metadata,
    Column("uid", UUID(as_uuid=True), primary_key=True),
    Column("clinic_id", UUID(as_uuid=True), ForeignKey("clinics.id"), nullable=False),
    Column("device_id", UUID(as_uuid=True), ForeignKey("devices.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("patient_uid", UUID(as_uuid=True)),
    Column("session_uid", UUID(as_uuid=True)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("exercise", Text),  # reps (and sets) only
    Column("success", Boolean),  # reps only
    Column("body", JSONB, nullable=False),
    Index("records_patient_kind_time", "patient_uid", "kind", "recorded_at"),
    Index("records_session", "session_uid"),
    Index("records_clinic_time", "clinic_id", "recorded_at"),
)

# Records of kind "trace" (the raw sensor trace, one per chunk of about a second: about
# nine records in ten) are kept here instead: the records table stays small for the
# portal, and "f32le-zlib-b64" samples are stored as their bytes (body holds the rest of
# the record's body; a "json" trace keeps its samples in body). No foreign keys: rows
# come only from the upload path, whose clinic and device are the token's.
traces = Table(
    "traces", metadata,
    Column("uid", UUID(as_uuid=True), primary_key=True),
    Column("clinic_id", UUID(as_uuid=True), nullable=False),
    Column("device_id", UUID(as_uuid=True), nullable=False),
    Column("patient_uid", UUID(as_uuid=True)),
    Column("session_uid", UUID(as_uuid=True)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("seq", Integer),
    Column("rate_hz", Float),
    Column("encoding", Text, nullable=False),
    Column("samples", LargeBinary),
    Column("body", JSONB, nullable=False),
    Index("traces_session_seq", "session_uid", "seq"),
)

# Counters of failed logins and enrolment codes (server/throttle.py): the key is a SHA-256
# of what is counted ("login-account:ana"), so no username or address is kept here.
auth_throttle = Table(
    "auth_throttle", metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)

access_log = Table(
    "access_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),  # "device:<id>", "therapist:<id>", "anonymous"
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),  # the path only: no query string, no body
    Column("status", Integer, nullable=False),
    Column("client", Text),  # the peer address
    Column("duration_ms", Integer, nullable=False),
    Index("access_log_at", "at"),
)
