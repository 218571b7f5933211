"""Follow-up reminders: a task for the sender if a tracked mail gets no reply, open or click."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow

# What the recipients must do for the reminder not to fire.
REMINDER_CONDITIONS = ("reply", "open", "click")
# pending → firing (claimed by one scheduler run) → fired, or closed (the condition was met),
# or cancelled by the user.
REMINDER_STATES = ("pending", "firing", "fired", "closed", "cancelled")
# The reason a reminder closed, one per condition.
CLOSED_REASONS = {"reply": "replied", "open": "opened", "click": "clicked"}


class FollowUpReminder(AccountScoped, Base):
    """One reminder on a message: due at a moment, unless the recipients did something first."""

    __tablename__ = "follow_up_reminder"
    __table_args__ = (Index("ix_follow_up_reminder_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    unless: Mapped[str] = mapped_column(String(10), default="reply")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    closed_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[datetime | None]
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"))
