"""Building test mail the way real clients send it."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tracklog.models import utcnow


def outgoing(
    sender: str = "alice@acme.example",
    to: tuple[str, ...] = ("Peter Gibbons <peter@initech.example>",),
    subject: str = "Pricing for Initech",
    body: str = "Hi Peter, the pricing is attached.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    **headers: str,
) -> EmailMessage:
    """A plain mail with an HTML alternative, as Outlook would send it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id or make_msgid(domain="acme.example")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    mail.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    return mail


def raw(mail: EmailMessage) -> bytes:
    """The bytes a mail server would deliver."""
    return bytes(mail)
