"""follow-up reminders: a task for the sender unless a tracked mail is replied to, opened, clicked

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "follow_up_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unless", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("closed_reason", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_follow_up_reminder_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_follow_up_reminder_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_follow_up_reminder_task_id_task"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_follow_up_reminder_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_reminder")),
    )
    with op.batch_alter_table("follow_up_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_up_reminder_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_follow_up_reminder_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index("ix_follow_up_reminder_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("follow_up_reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_up_reminder_due")
        batch_op.drop_index(batch_op.f("ix_follow_up_reminder_message_id"))
        batch_op.drop_index(batch_op.f("ix_follow_up_reminder_account_id"))

    op.drop_table("follow_up_reminder")
