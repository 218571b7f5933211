"""What hangs off a note: its comments, its files, and the link between a shared note's copies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow

SIDES = ("selling", "partner")


class SharedNote(Base):
    """A note shared on a shared deal: its copy in the selling account and in the partner's.

    Each copy is an ordinary activity of its own account; this row is the only link between them.
    """

    __tablename__ = "shared_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_deal_id: Mapped[int] = mapped_column(
        ForeignKey("shared_deal.id", ondelete="CASCADE"), index=True
    )
    selling_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"), unique=True
    )
    partner_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity.id", ondelete="SET NULL"), unique=True
    )
    author_name: Mapped[str] = mapped_column(String(320), default="")
    author_side: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoteComment(AccountScoped, Base):
    """A comment in the thread under a note; on a shared note, each side holds its own copy and
    both copies carry the same twin_key."""

    __tablename__ = "note_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(320), default="")
    author_side: Mapped[str | None] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    twin_key: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoteFile(AccountScoped, Base):
    """A file attached to a note, its bytes in the content-addressed attachment store; on a shared
    note, each side holds a row naming the same stored bytes, both with the same twin_key."""

    __tablename__ = "note_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploader_name: Mapped[str] = mapped_column(String(320), default="")
    uploader_side: Mapped[str | None] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    twin_key: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
