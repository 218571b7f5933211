"""Webhooks: URLs an admin registered for events, and the outbox of their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base, utcnow

WEBHOOK_EVENTS = ("open", "click", "attachment", "reply", "logged", "not_logged")
DELIVERY_STATES = ("pending", "delivered", "failed")


class Webhook(AccountScoped, Base):
    """A URL that receives the account's events of some kinds, signed with its secret.

    The secret is kept as it is (as Stripe and GitHub do): every delivery is signed with it, so a
    hash would not do. It is shown once, on creation. A deleted webhook is kept inactive, so its
    deliveries stay readable and an outbox row never points at a missing webhook.
    """

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class WebhookDelivery(AccountScoped, Base):
    """One event for one webhook: its payload as sent, and every attempt to send it.

    `attempts` is the list of tries ({"at", "status", "error", "duration_ms"}); `lease_until`
    marks a row a dispatcher has claimed, so two dispatchers never send it at once.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook_list", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[list] = mapped_column(default=list)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    webhook: Mapped[Webhook] = relationship(lazy="joined")
