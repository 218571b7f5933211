"""a user's own track and log defaults (null: the account's)

Revision ID: 0018
Revises: 0024
Create Date: 2026-12-03 12:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("user", sa.Column("track_by_default", sa.Boolean(), nullable=True))
    op.add_column("user", sa.Column("log_by_default", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    # Plain drops, not a batch: re-creating "user" on SQLite would touch every table naming it.
    op.drop_column("user", "log_by_default")
    op.drop_column("user", "track_by_default")
