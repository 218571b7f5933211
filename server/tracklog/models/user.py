"""Users of an account, their extra addresses and their personal API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.account import Account
from tracklog.models.base import AccountScoped, Base, utcnow

ROLES = ("admin", "user")
DEFAULT_NOTIFICATION_PREFERENCES = {
    "opens": "first",
    "clicks": True,
    "replies": True,
    "quiet_hours": None,
}


class User(UserMixin, AccountScoped, Base):
    """A salesperson or admin who signs in to tracklog."""

    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("entra_tenant_id", "entra_object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(10), default="user")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str | None] = mapped_column(String(10))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The user's own defaults for new mail; None follows the account's.
    track_by_default: Mapped[bool | None]
    log_by_default: Mapped[bool | None]
    notification_preferences: Mapped[dict] = mapped_column(
        default=lambda: dict(DEFAULT_NOTIFICATION_PREFERENCES)
    )
    entra_object_id: Mapped[str | None] = mapped_column(String(64))
    entra_tenant_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(lazy="joined")
    addresses: Mapped[list[UserAddress]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_admin(self) -> bool:
        """Whether the user may change account-wide settings and users."""
        return self.role == "admin"

    @property
    def tracks_by_default(self) -> bool:
        """Whether new mail starts tracked: the user's own choice, else the account's."""
        own = self.track_by_default
        return self.account.track_by_default if own is None else own

    @property
    def logs_by_default(self) -> bool:
        """Whether new mail starts logged: the user's own choice, else the account's."""
        own = self.log_by_default
        return self.account.log_by_default if own is None else own

    @property
    def is_active(self) -> bool:
        """Flask-Login: deactivated users cannot sign in."""
        return self.active

    def all_addresses(self) -> set[str]:
        """Every address this user sends from: the sign-in address and the verified aliases and
        connected ones (an unverified one may be anybody's)."""
        verified = (address.email for address in self.addresses if address.verified_at)
        return {self.email, *verified}


class UserAddress(AccountScoped, Base):
    """Another address a user sends from: an alias or a connected mailbox."""

    __tablename__ = "user_address"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(10), default="alias")
    # Only a verified address is the user's for logging; an admin's addition counts as verified.
    verified_at: Mapped[datetime | None]
    # SHA-256 of the one-time link sent to the address, cleared once it was followed.
    verification_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    user: Mapped[User] = relationship(back_populates="addresses")


class Invitation(AccountScoped, Base):
    """A one-time link that lets someone become a user of the account; only its hash is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(10), default="user")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(lazy="joined")


class ApiToken(AccountScoped, Base):
    """A personal API token; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # "full": everything the user may do; "compose": only preparing and logging mail (the token
    # Outlook's classic send handler keeps in the mailbox's roaming settings).
    scope: Mapped[str] = mapped_column(String(20), default="full", server_default="full")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
