"""People in the CRM and the companies they work for."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base, Timestamped

MARKETING_STATUSES = ("marketing", "non_marketing")


class Company(AccountScoped, Timestamped, Base):
    """An organisation, found by its mail domain."""

    __tablename__ = "company"
    __table_args__ = (Index("ix_company_account_domain", "account_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(253))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Contact(AccountScoped, Timestamped, Base):
    """A person mail is sent to or received from; one per address in an account."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    legal_basis: Mapped[str | None] = mapped_column(String(40))
    marketing_status: Mapped[str] = mapped_column(String(20), default="non_marketing")
    time_zone: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(40), default="manual")

    company: Mapped[Company | None] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        """The full name, or the address when no name is known."""
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email
