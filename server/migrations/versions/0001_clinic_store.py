"""The clinic store: clinics, therapists and their sessions, devices, enrolment codes,
patients, versioned programs, the records of every kind and the raw traces.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

U = UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE change_seq")
    op.create_table(
        "clinics",
        sa.Column("id", U, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("settings_seq", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "therapists",
        sa.Column("id", U, primary_key=True),
        sa.Column("clinic_id", U, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("username", sa.Text, nullable=False, unique=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
    )
    op.create_index("ix_therapists_clinic_id", "therapists", ["clinic_id"])
    op.create_table(
        "therapist_sessions",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("therapist_id", U, sa.ForeignKey("therapists.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_therapist_sessions_therapist_id", "therapist_sessions", ["therapist_id"])
    op.create_table(
        "devices",
        sa.Column("id", U, primary_key=True),
        sa.Column("clinic_id", U, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("device_uid", U, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("enrolled_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("last_seen_at", TS),
    )
    op.create_index("ix_devices_clinic_id", "devices", ["clinic_id"])
    op.create_index("ix_devices_device_uid", "devices", ["device_uid"])
    op.create_table(
        "enrolment_codes",
        sa.Column("code_hash", sa.Text, primary_key=True),
        sa.Column("clinic_id", U, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("created_by", U, sa.ForeignKey("therapists.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("used_by_device", U),
    )
    op.create_table(
        "patients",
        sa.Column("uid", U, primary_key=True),
        sa.Column("clinic_id", U, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("display_name", sa.Text),
        sa.Column("initials", sa.Text),
        sa.Column("hand", sa.Text),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("program_uid", U),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("created_by_device", U),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    )
    op.create_index("patients_clinic_seq", "patients", ["clinic_id", "change_seq"])
    op.create_table(
        "programs",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("uid", U, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("clinic_id", U, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("patient_uid", U, sa.ForeignKey("patients.uid")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("saved_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("saved_by", U, sa.ForeignKey("therapists.id")),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    )
    op.create_index("programs_uid_version", "programs", ["uid", "version"], unique=True)
    op.create_index("programs_clinic_seq", "programs", ["clinic_id", "change_seq"])
    op.create_table(
        "records",
        sa.Column("uid", U, primary_key=True),
        sa.Column("clinic_id", U, sa.ForeignKey("clinics.id"), nullable=False),
        sa.Column("device_id", U, sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("patient_uid", U),
        sa.Column("session_uid", U),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("exercise", sa.Text),
        sa.Column("success", sa.Boolean),
        sa.Column("body", JSONB, nullable=False),
    )
    op.create_index("records_patient_kind_time", "records", ["patient_uid", "kind", "recorded_at"])
    op.create_index("records_session", "records", ["session_uid"])
    op.create_index("records_clinic_time", "records", ["clinic_id", "recorded_at"])
    # Raw sensor traces: nine records in ten, kept apart so the portal's queries on
    # records never wade through them; samples as bytes, not inside JSONB.
    op.create_table(
        "traces",
        sa.Column("uid", U, primary_key=True),
        sa.Column("clinic_id", U, nullable=False),
        sa.Column("device_id", U, nullable=False),
        sa.Column("patient_uid", U),
        sa.Column("session_uid", U),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("seq", sa.Integer),
        sa.Column("rate_hz", sa.Float),
        sa.Column("encoding", sa.Text, nullable=False),
        sa.Column("samples", sa.LargeBinary),
        sa.Column("body", JSONB, nullable=False),
    )
    op.create_index("traces_session_seq", "traces", ["session_uid", "seq"])


def downgrade() -> None:
    for t in ("traces", "records", "programs", "patients", "enrolment_codes", "devices", "therapist_sessions", "therapists",
              "clinics"):
        op.drop_table(t)
    op.execute("DROP SEQUENCE change_seq")
