"""The portal's daily totals in the clinic's own days: each clinic has a time zone
(``clinics.settings``, key ``timezone``, an IANA name; see server/zones.py), and the trigger
that keeps ``portal_rep_days`` dates each rep in its clinic's zone instead of UTC. A clinic
with no zone recorded is given the server machine's zone (the rule for a new clinic), or UTC
when PostgreSQL does not know that zone; every clinic's totals are then counted again.

Down: the trigger dates reps in UTC again and the totals are counted again in UTC (the zones
stay in the settings, where nothing older reads them).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = """(patient_uid, day, exercise, reps, successes, target_sum, target_n, hold_sum, hold_n, peak_pct_sum,
               peak_pct_n, roll_sum, roll_n, last_at)"""
_SUMS = """COALESCE(sum(portal_num(r.body->'target_pct')), 0), count(portal_num(r.body->'target_pct')),
       COALESCE(sum(portal_num(r.body->'hold_s')), 0), count(portal_num(r.body->'hold_s')),
       COALESCE(sum(portal_num(r.body->'peak_pct')), 0), count(portal_num(r.body->'peak_pct')),
       COALESCE(sum(portal_num(r.body->'roll_range')), 0), count(portal_num(r.body->'roll_range')),
       max(r.recorded_at)"""


def _function(day: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION portal_rep_days_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'rep' AND NEW.patient_uid IS NOT NULL THEN
        INSERT INTO portal_rep_days AS d {_COLUMNS}
        VALUES (NEW.patient_uid, {day},
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


# The clinic's zone (UTC if none is recorded): read afresh for each rep (a volatile function's
# statement sees what was committed before it, so a zone just changed is used at once).
CLINIC_DAY = ("(NEW.recorded_at AT TIME ZONE COALESCE((SELECT c.settings->>'timezone' FROM clinics c "
              "WHERE c.id = NEW.clinic_id), 'UTC'))::date")


def _recount(day: str, join: str = "") -> str:
    return f"""
INSERT INTO portal_rep_days {_COLUMNS}
SELECT r.patient_uid, {day}, COALESCE(r.exercise, r.body->>'exercise', 'unknown'),
       count(*), count(*) FILTER (WHERE r.success), {_SUMS}
FROM records r {join} WHERE r.kind = 'rep' AND r.patient_uid IS NOT NULL
GROUP BY 1, 2, 3
"""


def _machine_zone(conn) -> str:
    from server.zones import FALLBACK, machine_zone

    tz = machine_zone()
    try:
        with conn.begin_nested():
            conn.execute(sa.text("SELECT now() AT TIME ZONE :z"), {"z": tz})
    except sa.exc.DBAPIError:
        return FALLBACK
    return tz


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE clinics SET settings = settings || jsonb_build_object('timezone', CAST(:z AS text)) "
                         "WHERE NOT settings ? 'timezone'"), {"z": _machine_zone(conn)})
    op.execute(_function(CLINIC_DAY))
    op.execute("LOCK TABLE records IN SHARE MODE")
    op.execute("DELETE FROM portal_rep_days")
    op.execute(_recount("(r.recorded_at AT TIME ZONE COALESCE(c.settings->>'timezone', 'UTC'))::date",
                        "JOIN clinics c ON c.id = r.clinic_id"))


def downgrade() -> None:
    op.execute(_function("(NEW.recorded_at AT TIME ZONE 'UTC')::date"))
    op.execute("LOCK TABLE records IN SHARE MODE")
    op.execute("DELETE FROM portal_rep_days")
    op.execute(_recount("(r.recorded_at AT TIME ZONE 'UTC')::date"))
