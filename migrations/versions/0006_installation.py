"""the installation's own key, which prefixes its Redis channels

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:00:00.000000
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
        sa.UniqueConstraint("key", name=op.f("uq_installation_key")),
    )
    op.bulk_insert(
        installation,
        [{"id": 1, "key": uuid.uuid4().hex, "created_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("installation")
