"""Timeline activities (emails, notes, tasks, calls, meetings) and tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, Timestamped, utcnow

ACTIVITY_TYPES = ("email", "note", "task", "call", "meeting")
RECORD_TYPES = ("contact", "company", "deal", "ticket")


class Activity(AccountScoped, Base):
    """Something that happened with a customer, shown on the timeline of each associated record."""

    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint("account_id", "message_id"),
        Index("ix_activity_account_thread", "account_id", "thread_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(998), default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    message_id: Mapped[str | None] = mapped_column(String(998))
    thread_key: Mapped[str | None] = mapped_column(String(998))
    direction: Mapped[str | None] = mapped_column(String(10))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"))
    sender: Mapped[str | None] = mapped_column(String(320))
    recipients: Mapped[list] = mapped_column(default=list)
    warnings: Mapped[list] = mapped_column(default=list)
    details: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Task(AccountScoped, Timestamped, Base):
    """A to-do for a user about a record, possibly created by a deal entering a stage."""

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None]
    done: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    record_type: Mapped[str | None] = mapped_column(String(10))
    record_id: Mapped[int | None]
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id", ondelete="SET NULL"))


class ActivityAssociation(AccountScoped, Base):
    """Puts an activity on a record's timeline, saying how and why.

    occurred_at and activity_type are copied from the activity so that a record's timeline,
    newest first and filtered by type, is read from this table's index alone.
    """

    __tablename__ = "activity_association"
    __table_args__ = (
        UniqueConstraint("activity_id", "record_type", "record_id"),
        Index(
            "ix_activity_association_timeline",
            "account_id",
            "record_type",
            "record_id",
            "occurred_at",
            "activity_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[int]
    activity_type: Mapped[str] = mapped_column(String(10))
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(10), default="manual")
    why: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordAssociation(AccountScoped, Base):
    """A link between two records (a contact and its deal, a deal and its company...)."""

    __tablename__ = "record_association"
    __table_args__ = (
        UniqueConstraint("from_type", "from_id", "to_type", "to_id"),
        Index("ix_record_association_to", "account_id", "to_type", "to_id"),
        Index("ix_record_association_from", "account_id", "from_type", "from_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_type: Mapped[str] = mapped_column(String(10))
    from_id: Mapped[int]
    to_type: Mapped[str] = mapped_column(String(10))
    to_id: Mapped[int]
    source: Mapped[str] = mapped_column(String(10), default="manual")
    why: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pin(AccountScoped, Base):
    """The one activity pinned to the top of a record's timeline, for every user."""

    __tablename__ = "pin"
    __table_args__ = (UniqueConstraint("account_id", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[int]
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    pinned_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineFilter(AccountScoped, Base):
    """The activity types a user shows on every timeline of one record type."""

    __tablename__ = "timeline_filter"
    __table_args__ = (UniqueConstraint("user_id", "object_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(10))
    activity_types: Mapped[list] = mapped_column(default=lambda: list(ACTIVITY_TYPES))


class AssociationExclusion(AccountScoped, Base):
    """A user removed an activity from a record's timeline: automatic runs never put it back."""

    __tablename__ = "association_exclusion"
    __table_args__ = (UniqueConstraint("activity_id", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"))
    record_type: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[int]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
