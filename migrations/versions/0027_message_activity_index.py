"""an index on message.activity_id: timelines and replies find a logged mail's message by it

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 18:00:00.000000
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_activity_id"), ["activity_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_activity_id"))
