"""account settings an admin can change: legal bases, internal domains, limits, retention, opt-out
link, and the previous logging key kept through a rotation

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 22:04:51.419753
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DEFAULT_LEGAL_BASES = '["consent", "contract", "legitimate_interest"]'


def upgrade() -> None:
    """Apply this revision.

    Plain ALTER TABLE statements, not batch's copy of the table: on SQLite the copy drops the old
    account table, and the delete cascades to every row that belongs to an account.
    """
    op.add_column(
        "account",
        sa.Column("legal_bases", sa.JSON(), nullable=False, server_default=DEFAULT_LEGAL_BASES),
    )
    op.add_column(
        "account", sa.Column("internal_domains", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column("account", sa.Column("tracked_attachment_days", sa.Integer(), nullable=True))
    op.add_column("account", sa.Column("open_repeat_window_seconds", sa.Integer(), nullable=True))
    op.add_column("account", sa.Column("mail_retention_days", sa.Integer(), nullable=True))
    op.add_column(
        "account",
        sa.Column(
            "recipient_opt_out_link",
            sa.Boolean(create_constraint=False),
            nullable=False,
            server_default=sa.false(),
        ),
    )
    op.add_column("account", sa.Column("previous_bcc_key", sa.String(length=40), nullable=True))
    op.add_column(
        "account", sa.Column("previous_bcc_key_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_account_previous_bcc_key", "account", ["previous_bcc_key"], unique=True)
    op.execute("ALTER TABLE account RENAME COLUMN retention_days TO event_retention_days")


def downgrade() -> None:
    """Revert this revision (SQLite 3.35+ drops columns in place)."""
    op.execute("ALTER TABLE account RENAME COLUMN event_retention_days TO retention_days")
    op.drop_index("ix_account_previous_bcc_key", "account")
    for column in (
        "previous_bcc_key_until",
        "previous_bcc_key",
        "recipient_opt_out_link",
        "mail_retention_days",
        "open_repeat_window_seconds",
        "tracked_attachment_days",
        "internal_domains",
        "legal_bases",
    ):
        op.execute(f"ALTER TABLE account DROP COLUMN {column}")
