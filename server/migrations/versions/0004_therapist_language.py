"""The therapist's language for the portal (the header's picker): en, es, de or zh_Hans; empty
means "as the browser asks".

Revision ID: 0004
Revises: 0003_portal
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("therapists", sa.Column("language", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("therapists", "language")
