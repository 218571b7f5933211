"""The account's audit log: who changed what, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow


class AuditEntry(AccountScoped, Base):
    """One administrative act: a settings or role change, a token, an export, an erasure.

    The actor's address is copied so the entry still says who after the user is deleted; the
    target is named by type and id only, never by personal data, so an erased contact leaves no
    trace here but the fact of the erasure.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_account_log", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20), default="")
    target_id: Mapped[int | None]
    changes: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
