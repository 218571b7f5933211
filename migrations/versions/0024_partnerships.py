"""partnerships between accounts, the deals they share and the log of shared changes

Revision ID: 0024
Revises: 0019
Create Date: 2026-12-03 12:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selling_account_id", sa.Integer(), nullable=False),
        sa.Column("partner_account_id", sa.Integer(), nullable=True),
        sa.Column("invite_code_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("selling_notify_ids", sa.JSON(), nullable=False),
        sa.Column("partner_notify_ids", sa.JSON(), nullable=False),
        sa.Column("assignment_mode", sa.String(length=12), nullable=False),
        sa.Column("assignee_ids", sa.JSON(), nullable=False),
        sa.Column("next_assignee", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_account_id"],
            ["account.id"],
            name=op.f("fk_partnership_partner_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["selling_account_id"],
            ["account.id"],
            name=op.f("fk_partnership_selling_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership")),
        sa.UniqueConstraint("invite_code_hash", name=op.f("uq_partnership_invite_code_hash")),
    )
    op.create_index(
        op.f("ix_partnership_partner_account_id"),
        "partnership",
        ["partner_account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_partnership_selling_account_id"),
        "partnership",
        ["selling_account_id"],
        unique=False,
    )
    op.create_table(
        "shared_deal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("selling_deal_id", sa.Integer(), nullable=True),
        sa.Column("partner_deal_id", sa.Integer(), nullable=True),
        sa.Column("registered_by", sa.String(length=10), nullable=False),
        sa.Column("product_interest", sa.String(length=200), nullable=False),
        sa.Column("compensation_eligible", sa.Boolean(), nullable=False),
        sa.Column("introduction", sa.Text(), nullable=False),
        sa.Column("pain_or_opportunity", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("welcome_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_deal_id"],
            ["deal.id"],
            name=op.f("fk_shared_deal_partner_deal_id_deal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_shared_deal_partnership_id_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["selling_deal_id"],
            ["deal.id"],
            name=op.f("fk_shared_deal_selling_deal_id_deal"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_deal")),
        sa.UniqueConstraint("partner_deal_id", name=op.f("uq_shared_deal_partner_deal_id")),
        sa.UniqueConstraint("selling_deal_id", name=op.f("uq_shared_deal_selling_deal_id")),
    )
    op.create_index(
        op.f("ix_shared_deal_partnership_id"), "shared_deal", ["partnership_id"], unique=False
    )
    op.create_table(
        "shared_deal_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shared_deal_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=320), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.String(length=1000), nullable=False),
        sa.Column("new", sa.String(length=1000), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_shared_deal_change_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shared_deal_id"],
            ["shared_deal.id"],
            name=op.f("fk_shared_deal_change_shared_deal_id_shared_deal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_deal_change")),
    )
    op.create_index(
        op.f("ix_shared_deal_change_shared_deal_id"),
        "shared_deal_change",
        ["shared_deal_id"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_shared_deal_change_shared_deal_id"), table_name="shared_deal_change")
    op.drop_table("shared_deal_change")
    op.drop_index(op.f("ix_shared_deal_partnership_id"), table_name="shared_deal")
    op.drop_table("shared_deal")
    op.drop_index(op.f("ix_partnership_selling_account_id"), table_name="partnership")
    op.drop_index(op.f("ix_partnership_partner_account_id"), table_name="partnership")
    op.drop_table("partnership")
