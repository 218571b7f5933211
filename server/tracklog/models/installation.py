"""The installation itself: one row that names this database among others sharing a Redis."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import Base, utcnow


class Installation(Base):
    """This installation (one per database; not account-scoped): its key prefixes Redis channels."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
