"""mailbox connections: a user's Microsoft 365 or IMAP mailbox, synced

Revision ID: 0025
Revises: 0020
Create Date: 2026-12-03 14:41:01.094361
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "mailbox_connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sync_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_mailbox_connection_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_mailbox_connection_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_connection")),
        sa.UniqueConstraint("user_id", name=op.f("uq_mailbox_connection_user_id")),
    )
    with op.batch_alter_table("mailbox_connection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mailbox_connection_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_mailbox_connection_due", ["next_sync_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("mailbox_connection", schema=None) as batch_op:
        batch_op.drop_index("ix_mailbox_connection_due")
        batch_op.drop_index(batch_op.f("ix_mailbox_connection_account_id"))

    op.drop_table("mailbox_connection")
