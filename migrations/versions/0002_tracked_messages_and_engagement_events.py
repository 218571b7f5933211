"""tracked messages and engagement events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:44:05.748416
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sender_sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=1000), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_sender_sighting_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_sender_sighting_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_sighting")),
        sa.UniqueConstraint(
            "user_id", "ip", "user_agent", name=op.f("uq_sender_sighting_user_id_ip_user_agent")
        ),
    )
    with op.batch_alter_table("sender_sighting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sender_sighting_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("client_host", sa.String(length=40), nullable=True),
        sa.Column("client_item_id", sa.String(length=500), nullable=True),
        sa.Column("tracking", sa.String(length=12), nullable=False),
        sa.Column("track_requested", sa.Boolean(), nullable=False),
        sa.Column("log_requested", sa.Boolean(), nullable=False),
        sa.Column("create_contacts", sa.Boolean(), nullable=False),
        sa.Column("requested_associations", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_message_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_message_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_message_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint(
            "account_id",
            "user_id",
            "client_item_id",
            name=op.f("uq_message_account_id_user_id_client_item_id"),
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_message_public_id")),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_user_id"), ["user_id"], unique=False)

    op.create_table(
        "message_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("field", sa.String(length=3), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("track", sa.Boolean(), nullable=False),
        sa.Column("log", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_message_recipient_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_message_recipient_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_message_recipient_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_recipient")),
        sa.UniqueConstraint(
            "message_id", "slot", name=op.f("uq_message_recipient_message_id_slot")
        ),
    )
    with op.batch_alter_table("message_recipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_recipient_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "tracked_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_tracked_attachment_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_tracked_attachment_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_tracked_attachment_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_attachment")),
    )
    with op.batch_alter_table("tracked_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracked_attachment_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tracked_attachment_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "tracked_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("honeypot", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_tracked_link_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_tracked_link_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_link")),
        sa.UniqueConstraint("message_id", "slot", name=op.f("uq_tracked_link_message_id_slot")),
    )
    with op.batch_alter_table("tracked_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracked_link_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "engagement_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hit_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("device", sa.String(length=20), nullable=False),
        sa.Column("client", sa.String(length=120), nullable=False),
        sa.Column("user_agent", sa.String(length=1000), nullable=False),
        sa.Column("classification", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("first_human_open", sa.Boolean(), nullable=False),
        sa.Column("repeat_of_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_engagement_event_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["tracked_attachment.id"],
            name=op.f("fk_engagement_event_attachment_id_tracked_attachment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["tracked_link.id"],
            name=op.f("fk_engagement_event_link_id_tracked_link"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_engagement_event_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["message_recipient.id"],
            name=op.f("fk_engagement_event_recipient_id_message_recipient"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["repeat_of_id"],
            ["engagement_event.id"],
            name=op.f("fk_engagement_event_repeat_of_id_engagement_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_event")),
        sa.UniqueConstraint("hit_id", name=op.f("uq_engagement_event_hit_id")),
    )
    with op.batch_alter_table("engagement_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_event_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_engagement_event_attachment_id"), ["attachment_id"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_event_message", ["account_id", "message_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("engagement_event", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_event_message")
        batch_op.drop_index(batch_op.f("ix_engagement_event_attachment_id"))
        batch_op.drop_index(batch_op.f("ix_engagement_event_account_id"))

    op.drop_table("engagement_event")
    with op.batch_alter_table("tracked_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracked_link_account_id"))

    op.drop_table("tracked_link")
    with op.batch_alter_table("tracked_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracked_attachment_user_id"))
        batch_op.drop_index(batch_op.f("ix_tracked_attachment_account_id"))

    op.drop_table("tracked_attachment")
    with op.batch_alter_table("message_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_recipient_account_id"))

    op.drop_table("message_recipient")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_user_id"))
        batch_op.drop_index(batch_op.f("ix_message_account_id"))

    op.drop_table("message")
    with op.batch_alter_table("sender_sighting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sender_sighting_account_id"))

    op.drop_table("sender_sighting")
