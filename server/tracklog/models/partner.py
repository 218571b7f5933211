"""Partnerships between two accounts of the installation, and the deals they share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import Base, utcnow

PARTNERSHIP_STATES = ("pending", "active", "ended")
ASSIGNMENT_MODES = ("rep", "round_robin")


class Partnership(Base):
    """A selling account working deals with a partner account (a reseller, an agency).

    It belongs to two accounts, so it is not AccountScoped: every query names the side it reads
    from (tracklog/partners/partnerships.py).
    """

    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    selling_account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    partner_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    invite_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    note: Mapped[str] = mapped_column(String(200), default="")
    # Who hears of partner deal activity on each side, and who new registrations go to.
    selling_notify_ids: Mapped[list] = mapped_column(default=list)
    partner_notify_ids: Mapped[list] = mapped_column(default=list)
    assignment_mode: Mapped[str] = mapped_column(String(12), default="rep")
    assignee_ids: Mapped[list] = mapped_column(default=list)
    next_assignee: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class SharedDeal(Base):
    """A deal and its twin: one in the selling account, one in the partner's."""

    __tablename__ = "shared_deal"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    selling_deal_id: Mapped[int | None] = mapped_column(
        ForeignKey("deal.id", ondelete="SET NULL"), unique=True
    )
    partner_deal_id: Mapped[int | None] = mapped_column(
        ForeignKey("deal.id", ondelete="SET NULL"), unique=True
    )
    registered_by: Mapped[str] = mapped_column(String(10))  # "partner" or "selling"
    product_interest: Mapped[str] = mapped_column(String(200), default="")
    compensation_eligible: Mapped[bool] = mapped_column(default=False)
    introduction: Mapped[str] = mapped_column(Text, default="")
    pain_or_opportunity: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    welcome_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partnership: Mapped[Partnership] = relationship(lazy="joined")


class SharedDealChange(Base):
    """Who changed which shared field of a shared deal, from which side, and when."""

    __tablename__ = "shared_deal_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_deal_id: Mapped[int] = mapped_column(
        ForeignKey("shared_deal.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(String(320), default="")
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str] = mapped_column(String(1000), default="")
    new: Mapped[str] = mapped_column(String(1000), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
