"""Mailbox connections: a user's Microsoft 365 or IMAP mailbox, synced into the CRM."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow

MAILBOX_PROVIDERS = ("graph", "imap")


class MailboxConnection(AccountScoped, Base):
    """One user's connected mailbox: its provider, its sealed secret and where its sync stands.

    The secret (an MSAL token cache, an IMAP app password) is sealed with a key derived from the
    server's secret (tracklog/mailbox/sealing.py); settings hold what is not secret (an IMAP
    host and port), state what the sync saved (delta links, UIDVALIDITY and the last UID).
    """

    __tablename__ = "mailbox_connection"
    __table_args__ = (Index("ix_mailbox_connection_due", "next_sync_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    provider: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(320), default="")
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    settings: Mapped[dict] = mapped_column(default=dict)
    state: Mapped[dict] = mapped_column(default=dict)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync_at: Mapped[datetime | None]
    next_sync_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One sync at a time per mailbox: a run holds the mailbox until this moment.
    sync_lease_until: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(String(500))
