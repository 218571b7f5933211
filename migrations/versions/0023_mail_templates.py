"""the team's mail templates and the sent messages that used them

Revision ID: 0023
Revises: 0017
Create Date: 2026-12-03 12:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "mail_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_mail_template_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_mail_template_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_template")),
    )
    op.create_index(
        op.f("ix_mail_template_account_id"), "mail_template", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_mail_template_owner_id"), "mail_template", ["owner_id"], unique=False)
    op.create_table(
        "template_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_template_use_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_template_use_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["mail_template.id"],
            name=op.f("fk_template_use_template_id_mail_template"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_use")),
        sa.UniqueConstraint("message_id", name=op.f("uq_template_use_message_id")),
    )
    op.create_index(
        op.f("ix_template_use_account_id"), "template_use", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_template_use_template_id"), "template_use", ["template_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_template_use_template_id"), table_name="template_use")
    op.drop_index(op.f("ix_template_use_account_id"), table_name="template_use")
    op.drop_table("template_use")
    op.drop_index(op.f("ix_mail_template_owner_id"), table_name="mail_template")
    op.drop_index(op.f("ix_mail_template_account_id"), table_name="mail_template")
    op.drop_table("mail_template")
