"""shared notes, the comments and files of notes, and deals' product lines and quotes

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 14:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "line_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("twin_key", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_line_item_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_line_item_deal_id_deal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_item")),
    )
    with op.batch_alter_table("line_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_item_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_line_item_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_line_item_twin_key"), ["twin_key"], unique=False)

    op.create_table(
        "quote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("twin_key", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_quote_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_quote_deal_id_deal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quote_twin_key"), ["twin_key"], unique=False)

    op.create_table(
        "note_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=320), nullable=False),
        sa.Column("author_side", sa.String(length=10), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("twin_key", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_note_comment_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_note_comment_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
            name=op.f("fk_note_comment_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_comment")),
    )
    with op.batch_alter_table("note_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_note_comment_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_note_comment_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_note_comment_twin_key"), ["twin_key"], unique=False)

    op.create_table(
        "note_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploader_name", sa.String(length=320), nullable=False),
        sa.Column("uploader_side", sa.String(length=10), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("twin_key", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_note_file_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_note_file_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
            name=op.f("fk_note_file_uploaded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_file")),
    )
    with op.batch_alter_table("note_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_file_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_note_file_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_note_file_twin_key"), ["twin_key"], unique=False)

    op.create_table(
        "shared_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shared_deal_id", sa.Integer(), nullable=False),
        sa.Column("selling_activity_id", sa.Integer(), nullable=True),
        sa.Column("partner_activity_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=320), nullable=False),
        sa.Column("author_side", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_activity_id"],
            ["activity.id"],
            name=op.f("fk_shared_note_partner_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["selling_activity_id"],
            ["activity.id"],
            name=op.f("fk_shared_note_selling_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shared_deal_id"],
            ["shared_deal.id"],
            name=op.f("fk_shared_note_shared_deal_id_shared_deal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_note")),
        sa.UniqueConstraint("partner_activity_id", name=op.f("uq_shared_note_partner_activity_id")),
        sa.UniqueConstraint("selling_activity_id", name=op.f("uq_shared_note_selling_activity_id")),
    )
    with op.batch_alter_table("shared_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shared_note_shared_deal_id"), ["shared_deal_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("shared_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shared_note_shared_deal_id"))

    op.drop_table("shared_note")
    with op.batch_alter_table("note_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_file_twin_key"))
        batch_op.drop_index(batch_op.f("ix_note_file_activity_id"))
        batch_op.drop_index(batch_op.f("ix_note_file_account_id"))

    op.drop_table("note_file")
    with op.batch_alter_table("note_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_comment_twin_key"))
        batch_op.drop_index(batch_op.f("ix_note_comment_activity_id"))
        batch_op.drop_index(batch_op.f("ix_note_comment_account_id"))

    op.drop_table("note_comment")
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_twin_key"))
        batch_op.drop_index(batch_op.f("ix_quote_deal_id"))
        batch_op.drop_index(batch_op.f("ix_quote_account_id"))

    op.drop_table("quote")
    with op.batch_alter_table("line_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_item_twin_key"))
        batch_op.drop_index(batch_op.f("ix_line_item_deal_id"))
        batch_op.drop_index(batch_op.f("ix_line_item_account_id"))

    op.drop_table("line_item")
