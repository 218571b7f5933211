"""the account's accent colour

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 17:55:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accent_color", sa.String(length=7), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("accent_color")
