"""Tracked messages, their recipients, links and attachments, and every hit on them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base, Timestamped, utcnow

if TYPE_CHECKING:
    from tracklog.models.user import User

TRACKING_MODES = ("individual", "anonymous", "off")
HIT_KINDS = ("open", "click", "attachment", "reply")
CLASSIFICATIONS = ("human", "sender", "proxy", "prefetch", "scanner", "bot")
# The classifications that count as a person: an open through an image proxy is still one.
PERSON_CLASSES = ("human", "proxy")


class Message(AccountScoped, Timestamped, Base):
    """A mail prepared by the compose flow: how it is tracked and what should be logged."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("account_id", "user_id", "client_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(998), default="")
    client_host: Mapped[str | None] = mapped_column(String(40))
    client_item_id: Mapped[str | None] = mapped_column(String(500))
    tracking: Mapped[str] = mapped_column(String(12), default="off")
    track_requested: Mapped[bool] = mapped_column(default=True)
    log_requested: Mapped[bool] = mapped_column(default=True)
    create_contacts: Mapped[bool] = mapped_column(default=True)
    requested_associations: Mapped[list] = mapped_column(default=list)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"), index=True
    )
    replied_at: Mapped[datetime | None]
    muted: Mapped[bool] = mapped_column(default=False)
    last_activity_at: Mapped[datetime | None]

    recipients: Mapped[list[MessageRecipient]] = relationship(
        order_by="MessageRecipient.slot", cascade="all, delete-orphan", lazy="selectin"
    )
    links: Mapped[list[TrackedLink]] = relationship(
        order_by="TrackedLink.slot", cascade="all, delete-orphan", lazy="selectin"
    )


class MessageRecipient(AccountScoped, Base):
    """One recipient of a message, whether it is tracked and logged, and why not."""

    __tablename__ = "message_recipient"
    __table_args__ = (UniqueConstraint("message_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    slot: Mapped[int]
    email: Mapped[str] = mapped_column(String(320))
    field: Mapped[str] = mapped_column(String(3), default="to")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    track: Mapped[bool] = mapped_column(default=False)
    log: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(500), default="")


class TrackedLink(AccountScoped, Base):
    """A link of a message and the exact URL its click token redirects to."""

    __tablename__ = "tracked_link"
    __table_args__ = (UniqueConstraint("message_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    slot: Mapped[int]
    url: Mapped[str] = mapped_column(Text)
    occurrence: Mapped[int] = mapped_column(default=0)
    honeypot: Mapped[bool] = mapped_column(default=False)


class TrackedAttachment(AccountScoped, Base):
    """A file shared through an expiring, revocable download link; each download is a view."""

    __tablename__ = "tracked_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class EngagementEvent(AccountScoped, Base):
    """One hit (open, click, attachment view) or reply, with its classification and reason."""

    __tablename__ = "engagement_event"
    __table_args__ = (
        Index("ix_engagement_event_message", "account_id", "message_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[str] = mapped_column(String(36), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("message_recipient.id", ondelete="SET NULL")
    )
    link_id: Mapped[int | None] = mapped_column(ForeignKey("tracked_link.id", ondelete="SET NULL"))
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracked_attachment.id", ondelete="SET NULL"), index=True
    )
    occurred_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(8), default="GET")
    ip: Mapped[str | None] = mapped_column(String(45))
    country: Mapped[str | None] = mapped_column(String(2))
    device: Mapped[str] = mapped_column(String(20), default="unknown")
    client: Mapped[str] = mapped_column(String(120), default="")
    user_agent: Mapped[str] = mapped_column(String(1000), default="")
    # The few request headers the classifier reads (tracking/views.py RECORDED_HEADERS), kept so
    # a re-classification judges header rules too; None on hits recorded before they were kept.
    headers: Mapped[dict | None]
    classification: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict] = mapped_column(default=dict)
    counted: Mapped[bool] = mapped_column(default=True)
    first_human_open: Mapped[bool] = mapped_column(default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement_event.id", ondelete="SET NULL")
    )
    # A person's click notifies only once no scanner burst can still claim it (see recording.py).
    notify_after: Mapped[datetime | None] = mapped_column(index=True)


class TrackingRule(AccountScoped, Base):
    """A classification rule an admin added for the account's hits, tried before the file's."""

    __tablename__ = "tracking_rule"
    __table_args__ = (UniqueConstraint("account_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The rule's id in the classifier's evidence ("account-…"), never one of the files' ids.
    slug: Mapped[str] = mapped_column(String(60))
    classification: Mapped[str] = mapped_column(String(10))
    # The matchers, exactly as a rules file writes them (validated by tracking/rulesfile.py).
    match: Mapped[dict]
    note: Mapped[str] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enabled: Mapped[bool] = mapped_column(default=True)

    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id], lazy="selectin")


class SenderSighting(AccountScoped, Base):
    """Where a user was last seen authenticated: their own client's hits are not opens."""

    __tablename__ = "sender_sighting"
    __table_args__ = (UniqueConstraint("user_id", "ip", "user_agent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    ip: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(1000))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
