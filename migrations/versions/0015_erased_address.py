"""tombstones of contacts erased on request: a keyed hash of the address per account

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erased_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_erased_address_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_address")),
        sa.UniqueConstraint(
            "account_id", "address_hash", name=op.f("uq_erased_address_account_id_address_hash")
        ),
    )
    with op.batch_alter_table("erased_address", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erased_address_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("erased_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erased_address_account_id"))

    op.drop_table("erased_address")
