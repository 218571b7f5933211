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
        """Every address this user sends from: the sign-in address, aliases and connected ones."""
        return {self.email, *(address.email for address in self.addresses)}


class UserAddress(AccountScoped, Base):
    """Another address a user sends from: an alias or a connected mailbox."""

    __tablename__ = "user_address"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(10), default="alias")

    user: Mapped[User] = relationship(back_populates="addresses")


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
