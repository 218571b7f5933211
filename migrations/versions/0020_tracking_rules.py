"""tracking rules an admin adds per account, and the request headers a hit was judged by

Revision ID: 0020
Revises: 0022
Create Date: 2026-12-03 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "tracking_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("classification", sa.String(length=10), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_tracking_rule_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user.id"],
            name=op.f("fk_tracking_rule_added_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_rule")),
        sa.UniqueConstraint("account_id", "slug", name=op.f("uq_tracking_rule_account_id_slug")),
    )
    with op.batch_alter_table("tracking_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracking_rule_account_id"), ["account_id"], unique=False
        )
    with op.batch_alter_table("engagement_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("engagement_event", schema=None) as batch_op:
        batch_op.drop_column("headers")
    with op.batch_alter_table("tracking_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_rule_account_id"))

    op.drop_table("tracking_rule")
