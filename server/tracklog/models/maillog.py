"""Mail received for logging (stored raw before anything else) and the files of logged mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow

INBOUND_STATUSES = ("stored", "logged", "not_logged", "duplicate", "failed")
INBOUND_CHANNELS = ("smtp", "upload", "graph", "imap")  # the last two: mailbox sync


class InboundMessage(AccountScoped, Base):
    """A raw mail as it arrived (BCC copy, upload or mailbox sync) and what became of it."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        Index("ix_inbound_message_status", "status", "id"),
        Index("ix_inbound_message_account_received", "account_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    envelope_to: Mapped[str] = mapped_column(String(320), default="")
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    draft_public_id: Mapped[str | None] = mapped_column(String(40))
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    size: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    rfc_message_id: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(String(998), default="")
    sender: Mapped[str] = mapped_column(String(320), default="")
    status: Mapped[str] = mapped_column(String(12), default="stored")
    steps: Mapped[list] = mapped_column(default=list)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Not before then: a failed attempt's next try, or a running attempt's lease.
    retry_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]


class InboundRecipient(AccountScoped, Base):
    """An address a received mail was sent to, so 'why was my mail to X not logged' is a lookup."""

    __tablename__ = "inbound_recipient"
    __table_args__ = (Index("ix_inbound_recipient_lookup", "account_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_id: Mapped[int] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))


class MailAttachment(AccountScoped, Base):
    """A file of a logged mail: stored by content hash, or left out with the reason."""

    __tablename__ = "mail_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_id: Mapped[str | None] = mapped_column(String(255))
    inline: Mapped[bool] = mapped_column(default=False)
    omitted_reason: Mapped[str | None] = mapped_column(String(200))
