"""A deal's product lines and quotes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, Timestamped

QUOTE_STATES = ("draft", "sent", "accepted", "declined")


class LineItem(AccountScoped, Timestamped, Base):
    """A product line of a deal: so many of a product at a unit price, less a discount.

    On a shared deal each side holds its own copy; both copies carry the same twin_key.
    """

    __tablename__ = "line_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    twin_key: Mapped[str | None] = mapped_column(String(32), index=True)

    @property
    def total(self) -> Decimal:
        """Quantity times unit price, less the discount, to the cent."""
        gross = self.quantity * self.unit_price
        return (gross * (100 - self.discount_percent) / 100).quantize(Decimal("0.01"))


class Quote(AccountScoped, Timestamped, Base):
    """A quote of a deal; its amount is given, or else the sum of the deal's product lines."""

    __tablename__ = "quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    expires_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    twin_key: Mapped[str | None] = mapped_column(String(32), index=True)
