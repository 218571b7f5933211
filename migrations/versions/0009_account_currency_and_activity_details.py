"""the account's currency; the details of calls, meetings and tasks on the timeline

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("currency", sa.String(length=3), nullable=False, server_default="USD")
        )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("details")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("currency")
