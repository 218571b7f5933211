"""inbound mail for logging, mail attachments, association exclusions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:54:05.634788
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "association_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=10), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_association_exclusion_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_association_exclusion_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["user.id"],
            name=op.f("fk_association_exclusion_removed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_association_exclusion")),
        sa.UniqueConstraint(
            "activity_id",
            "record_type",
            "record_id",
            name=op.f("uq_association_exclusion_activity_id_record_type_record_id"),
        ),
    )
    with op.batch_alter_table("association_exclusion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_association_exclusion_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "mail_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content_id", sa.String(length=255), nullable=True),
        sa.Column("inline", sa.Boolean(), nullable=False),
        sa.Column("omitted_reason", sa.String(length=200), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_mail_attachment_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_mail_attachment_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachment")),
    )
    with op.batch_alter_table("mail_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_attachment_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mail_attachment_activity_id"), ["activity_id"], unique=False
        )

    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope_from", sa.String(length=320), nullable=False),
        sa.Column("envelope_to", sa.String(length=320), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        sa.Column("draft_public_id", sa.String(length=40), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("rfc_message_id", sa.String(length=998), nullable=True),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_inbound_message_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_inbound_message_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_inbound_message_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["user.id"],
            name=op.f("fk_inbound_message_uploader_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_message_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_inbound_message_account_received", ["account_id", "received_at"], unique=False
        )
        batch_op.create_index("ix_inbound_message_status", ["status", "id"], unique=False)

    op.create_table(
        "inbound_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_inbound_recipient_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_message.id"],
            name=op.f("fk_inbound_recipient_inbound_id_inbound_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_recipient")),
    )
    with op.batch_alter_table("inbound_recipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_recipient_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_recipient_inbound_id"), ["inbound_id"], unique=False
        )
        batch_op.create_index("ix_inbound_recipient_lookup", ["account_id", "email"], unique=False)

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("recipients", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("warnings")
        batch_op.drop_column("recipients")
        batch_op.drop_column("sender")

    with op.batch_alter_table("inbound_recipient", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_recipient_lookup")
        batch_op.drop_index(batch_op.f("ix_inbound_recipient_inbound_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_recipient_account_id"))

    op.drop_table("inbound_recipient")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_message_status")
        batch_op.drop_index("ix_inbound_message_account_received")
        batch_op.drop_index(batch_op.f("ix_inbound_message_account_id"))

    op.drop_table("inbound_message")
    with op.batch_alter_table("mail_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_attachment_activity_id"))
        batch_op.drop_index(batch_op.f("ix_mail_attachment_account_id"))

    op.drop_table("mail_attachment")
    with op.batch_alter_table("association_exclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_association_exclusion_account_id"))

    op.drop_table("association_exclusion")
