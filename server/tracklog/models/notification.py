"""The durable notification feed of each user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow

NOTIFICATION_KINDS = ("open", "click", "attachment", "reply", "logged", "partner", "follow_up")


class Notification(AccountScoped, Base):
    """Something a user should learn at once; ids increase, so a client resumes after the last."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_feed", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(default=dict)
    message_public_id: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(998), default="")
    recipient: Mapped[str] = mapped_column(String(320), default="")
    classification: Mapped[str] = mapped_column(String(10), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    silent: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None]
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement_event.id", ondelete="SET NULL")
    )
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="SET NULL")
    )
