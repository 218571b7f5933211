"""Deals and tickets: records that move through a pipeline's stages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base, Timestamped
from tracklog.models.pipeline import Pipeline, Stage


class Deal(AccountScoped, Timestamped, Base):
    """A sales opportunity; open, won or lost according to its stage."""

    __tablename__ = "deal"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipeline.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    close_date: Mapped[date | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    properties: Mapped[dict] = mapped_column(default=dict)

    pipeline: Mapped[Pipeline] = relationship(lazy="joined")
    stage: Mapped[Stage] = relationship(lazy="joined")

    @property
    def status(self) -> str:
        """open, won or lost: always the kind of the current stage."""
        return self.stage.kind


class Ticket(AccountScoped, Timestamped, Base):
    """A support request; open or closed according to its stage (its status)."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipeline.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    pipeline: Mapped[Pipeline] = relationship(lazy="joined")
    stage: Mapped[Stage] = relationship(lazy="joined")

    @property
    def status(self) -> str:
        """open or closed: closed when the stage is a closing one."""
        return "open" if self.stage.kind == "open" else "closed"
