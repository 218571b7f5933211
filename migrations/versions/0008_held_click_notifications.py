"""click notifications held until the scanner-burst window has passed

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("engagement_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_engagement_event_notify_after"), ["notify_after"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("engagement_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_event_notify_after"))
        batch_op.drop_column("notify_after")
