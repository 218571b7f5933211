"""notification feed and muted messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 03:57:38.872414
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("message_public_id", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("classification", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_notification_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["engagement_event.id"],
            name=op.f("fk_notification_event_id_engagement_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_message.id"],
            name=op.f("fk_notification_inbound_id_inbound_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_notification_user_feed", ["user_id", "id"], unique=False)

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("muted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("muted")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_feed")
        batch_op.drop_index(batch_op.f("ix_notification_account_id"))

    op.drop_table("notification")
