"""Signed-in browsers (each revocable, some remembered) and the counts that throttle sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base, utcnow
from tracklog.models.user import User


class WebSession(AccountScoped, Base):
    """One browser signed in as a user: its session cookie and, if remembered, its device cookie.

    The session cookie names the row by its selector, so deleting the row signs that browser out.
    A remembered row also holds the SHA-256 of the device cookie's validator (and, for a few
    seconds after a rotation, of the previous one).
    """

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    selector: Mapped[str] = mapped_column(String(32), unique=True)
    validator_hash: Mapped[str | None] = mapped_column(String(64))
    previous_validator_hash: Mapped[str | None] = mapped_column(String(64))
    rotated_at: Mapped[datetime | None]
    device: Mapped[str] = mapped_column(String(200), default="")
    last_ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def remembered(self) -> bool:
        """Whether a "keep me signed in" cookie can bring this sign-in back."""
        return self.validator_hash is not None


class SignInThrottle(Base):
    """Failed sign-ins in the current window for one address or one client, and any lock-out.

    Not account-scoped: attempts come before anyone is known, and for addresses nobody has.
    The key is a SHA-256 of the normalised address or client network, never the text itself.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]
