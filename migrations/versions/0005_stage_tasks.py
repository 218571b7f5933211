"""tasks created when a deal enters a stage

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 04:22:08.108811
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("stage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tasks", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("stage", schema=None) as batch_op:
        batch_op.drop_column("tasks")
