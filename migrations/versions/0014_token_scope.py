"""API tokens have a scope: full, or compose (preparing and logging mail only)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "api_token",
        sa.Column("scope", sa.String(length=20), server_default="full", nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scope")
