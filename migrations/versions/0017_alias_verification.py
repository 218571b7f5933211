"""aliases are verified by a link: verified_at and the link's hash; existing aliases count as
verified, so nothing changes for current installations

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 12:31:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "user_address", sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "user_address", sa.Column("verification_hash", sa.String(length=64), nullable=True)
    )
    op.create_index(
        op.f("ix_user_address_verification_hash"),
        "user_address",
        ["verification_hash"],
        unique=True,
    )
    op.execute(sa.text("UPDATE user_address SET verified_at = CURRENT_TIMESTAMP"))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_user_address_verification_hash"), table_name="user_address")
    with op.batch_alter_table("user_address", schema=None) as batch_op:
        batch_op.drop_column("verification_hash")
        batch_op.drop_column("verified_at")
