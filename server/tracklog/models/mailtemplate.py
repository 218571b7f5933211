"""The team's mail templates and which sent messages used them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracklog.models.base import AccountScoped, Base, Timestamped


class MailTemplate(AccountScoped, Timestamped, Base):
    """A subject and body a salesperson starts a mail from; shared ones are the team's."""

    __tablename__ = "mail_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(998), default="")
    html: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(default=False)


class TemplateUse(AccountScoped, Base):
    """A sent message that started from a template."""

    __tablename__ = "template_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("mail_template.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), unique=True
    )
