"""recipients who opted out of tracking: a keyed hash of the address per account

Revision ID: 0019
Revises: 0023
Create Date: 2026-12-03 12:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "tracking_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_tracking_opt_out_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_opt_out")),
        sa.UniqueConstraint(
            "account_id", "address_hash", name=op.f("uq_tracking_opt_out_account_id_address_hash")
        ),
    )
    with op.batch_alter_table("tracking_opt_out", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracking_opt_out_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tracking_opt_out", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_opt_out_account_id"))

    op.drop_table("tracking_opt_out")
