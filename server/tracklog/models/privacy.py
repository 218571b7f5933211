"""What tracklog keeps of people who asked for it: keyed hashes of their addresses, no more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, utcnow


class ErasedAddress(AccountScoped, Base):
    """A tombstone: mail to this address never creates a contact again in the account.

    Only an HMAC of the normalised address is stored, so the table cannot be read back into a
    list of the people who asked to be erased.
    """

    __tablename__ = "erased_address"
    __table_args__ = (UniqueConstraint("account_id", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackingOptOut(AccountScoped, Base):
    """A recipient who opted out: the account never tracks mail to this address again.

    Like a tombstone, only an HMAC of the normalised address is stored.
    """

    __tablename__ = "tracking_opt_out"
    __table_args__ = (UniqueConstraint("account_id", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
