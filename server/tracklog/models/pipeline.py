"""Pipelines of deals and tickets, and their ordered stages."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracklog.models.base import AccountScoped, Base

PIPELINE_OBJECTS = ("deal", "ticket")
STAGE_KINDS = ("open", "won", "lost", "closed")


class Pipeline(AccountScoped, Base):
    """An ordered set of stages that deals (or tickets) move through."""

    __tablename__ = "pipeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    object: Mapped[str] = mapped_column(String(10), default="deal")
    display_order: Mapped[int] = mapped_column(default=0)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="pipeline",
        order_by="Stage.order",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class Stage(AccountScoped, Base):
    """One step of a pipeline; its kind decides whether a record in it is open, won or lost."""

    __tablename__ = "stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("pipeline.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    order: Mapped[int] = mapped_column(default=0)
    probability: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10), default="open")
    required_properties: Mapped[list] = mapped_column(default=list)
    tasks: Mapped[list] = mapped_column(default=list)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")
