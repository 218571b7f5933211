"""The account (tenant) and its settings."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base, utcnow

if TYPE_CHECKING:
    from tracklog.models.user import User

DEFAULT_ATTACHMENT_LIMIT_BYTES = 50 * 1024 * 1024
DEFAULT_ASSOCIATION_TYPES = ["contact", "company", "deal", "ticket"]
DEFAULT_CURRENCY = "USD"
# The GDPR's lawful bases (Article 6(1)) a contact may be recorded under; an account offers some.
LEGAL_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interest",
)
DEFAULT_LEGAL_BASES = ["consent", "contract", "legitimate_interest"]


class Account(Base):
    """A company using tracklog; every other row belongs to exactly one account."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    bcc_key: Mapped[str] = mapped_column(String(40), unique=True)
    entra_tenant_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    log_by_default: Mapped[bool] = mapped_column(default=True)
    track_by_default: Mapped[bool] = mapped_column(default=True)
    create_contacts: Mapped[bool] = mapped_column(default=True)
    default_association_types: Mapped[list] = mapped_column(
        default=lambda: list(DEFAULT_ASSOCIATION_TYPES)
    )
    max_associated_deals: Mapped[int] = mapped_column(default=5)
    max_associated_tickets: Mapped[int] = mapped_column(default=5)
    privacy_mode: Mapped[bool] = mapped_column(default=False)
    attachment_size_limit: Mapped[int] = mapped_column(default=DEFAULT_ATTACHMENT_LIMIT_BYTES)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    # #rrggbb; None: Fluent's brand blue (tracklog.accent.DEFAULT_ACCENT).
    accent_color: Mapped[str | None] = mapped_column(String(7))
    legal_bases: Mapped[list] = mapped_column(default=lambda: list(DEFAULT_LEGAL_BASES))
    internal_domains: Mapped[list] = mapped_column(default=list)
    # None: the installation's default (TRACKLOG_ATTACHMENT_LINK_DAYS, TRACKLOG_OPEN_REPEAT_WINDOW).
    tracked_attachment_days: Mapped[int | None]
    open_repeat_window_seconds: Mapped[int | None]
    # None: kept until deleted by hand.
    event_retention_days: Mapped[int | None]
    mail_retention_days: Mapped[int | None]
    recipient_opt_out_link: Mapped[bool] = mapped_column(default=False)
    # After a rotation the previous logging key keeps working until previous_bcc_key_until.
    previous_bcc_key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)
    previous_bcc_key_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NeverLogEntry(AccountScoped, Base):
    """An address or whole domain whose mail is never logged, for the account or one user."""

    __tablename__ = "never_log_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    pattern: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(10))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id], lazy="selectin")


class RetentionRun(Base):
    """The row a retention run of the account locks, so one run at a time purges its old data."""

    __tablename__ = "retention_run"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
