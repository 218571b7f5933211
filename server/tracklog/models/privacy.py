"""What tracklog keeps of a contact erased on request: a keyed hash of the address, no more."""

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
