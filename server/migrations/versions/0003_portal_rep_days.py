"""The portal's daily repetition totals: one row per patient, day (UTC) and exercise.

The portal's pages (patients list: reps this week against the prescription; progress: a
year of reps, success, target, hold, %MVC and roll range per exercise per day) would
otherwise scan every rep record of every patient on each view. A trigger on ``records``
keeps the totals as rep records are stored, in the same transaction as the record
itself: a record stored once is counted once (a duplicate is not inserted, so it fires
nothing), and a request rolled back takes its counts with it. Existing reps are counted
when the migration runs. Owned by the portal (server/portal/, issue 16).

Revision ID: 0003_portal
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003_portal"
down_revision = "0002"
branch_labels = None
depends_on = None

# A number from a rep's body (JSON), or NULL when it holds none (a rep with no roll range).
NUM = """
CREATE FUNCTION portal_num(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::double precision END
$$
"""

ADD = """
CREATE FUNCTION portal_rep_days_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'rep' AND NEW.patient_uid IS NOT NULL THEN
        INSERT INTO portal_rep_days AS d (patient_uid, day, exercise, reps, successes, target_sum, target_n,
                                          hold_sum, hold_n, peak_pct_sum, peak_pct_n, roll_sum, roll_n, last_at)
        VALUES (NEW.patient_uid, (NEW.recorded_at AT TIME ZONE 'UTC')::date,
                COALESCE(NEW.exercise, NEW.body->>'exercise', 'unknown'), 1,
                CASE WHEN NEW.success THEN 1 ELSE 0 END,
                COALESCE(portal_num(NEW.body->'target_pct'), 0), (portal_num(NEW.body->'target_pct') IS NOT NULL)::int,
                COALESCE(portal_num(NEW.body->'hold_s'), 0), (portal_num(NEW.body->'hold_s') IS NOT NULL)::int,
                COALESCE(portal_num(NEW.body->'peak_pct'), 0), (portal_num(NEW.body->'peak_pct') IS NOT NULL)::int,
                COALESCE(portal_num(NEW.body->'roll_range'), 0), (portal_num(NEW.body->'roll_range') IS NOT NULL)::int,
                NEW.recorded_at)
        ON CONFLICT (patient_uid, day, exercise) DO UPDATE SET
            reps = d.reps + 1, successes = d.successes + EXCLUDED.successes,
            target_sum = d.target_sum + EXCLUDED.target_sum, target_n = d.target_n + EXCLUDED.target_n,
            hold_sum = d.hold_sum + EXCLUDED.hold_sum, hold_n = d.hold_n + EXCLUDED.hold_n,
            peak_pct_sum = d.peak_pct_sum + EXCLUDED.peak_pct_sum, peak_pct_n = d.peak_pct_n + EXCLUDED.peak_pct_n,
            roll_sum = d.roll_sum + EXCLUDED.roll_sum, roll_n = d.roll_n + EXCLUDED.roll_n,
            last_at = GREATEST(d.last_at, EXCLUDED.last_at);
    END IF;
    RETURN NULL;
END
$$
"""

BACKFILL = """
INSERT INTO portal_rep_days (patient_uid, day, exercise, reps, successes, target_sum, target_n, hold_sum, hold_n,
                             peak_pct_sum, peak_pct_n, roll_sum, roll_n, last_at)
SELECT patient_uid, (recorded_at AT TIME ZONE 'UTC')::date, COALESCE(exercise, body->>'exercise', 'unknown'),
       count(*), count(*) FILTER (WHERE success),
       COALESCE(sum(portal_num(body->'target_pct')), 0), count(portal_num(body->'target_pct')),
       COALESCE(sum(portal_num(body->'hold_s')), 0), count(portal_num(body->'hold_s')),
       COALESCE(sum(portal_num(body->'peak_pct')), 0), count(portal_num(body->'peak_pct')),
       COALESCE(sum(portal_num(body->'roll_range')), 0), count(portal_num(body->'roll_range')),
       max(recorded_at)
FROM records WHERE kind = 'rep' AND patient_uid IS NOT NULL
GROUP BY 1, 2, 3
"""


def upgrade() -> None:
    f = sa.Float
    op.create_table(
        "portal_rep_days",
        sa.Column("patient_uid", UUID(as_uuid=True), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("exercise", sa.Text, primary_key=True),
        sa.Column("reps", sa.Integer, nullable=False),
        sa.Column("successes", sa.Integer, nullable=False),
        *(sa.Column(c, f if c.endswith("_sum") else sa.Integer, nullable=False)
          for c in ("target_sum", "target_n", "hold_sum", "hold_n", "peak_pct_sum", "peak_pct_n", "roll_sum",
                    "roll_n")),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(NUM)
    op.execute(ADD)
    op.execute(BACKFILL)
    op.execute("CREATE TRIGGER portal_rep_days_add AFTER INSERT ON records FOR EACH ROW "
               "EXECUTE FUNCTION portal_rep_days_add()")


def downgrade() -> None:
    op.execute("DROP TRIGGER portal_rep_days_add ON records")
    op.execute("DROP FUNCTION portal_rep_days_add()")
    op.execute("DROP FUNCTION portal_num(jsonb)")
    op.drop_table("portal_rep_days")
