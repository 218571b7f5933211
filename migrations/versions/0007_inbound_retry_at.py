"""when stored mail is next processed: a failed attempt's retry, or a running attempt's lease

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
