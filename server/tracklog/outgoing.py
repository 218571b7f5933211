"""tracklog's own mail to its users (invitations, address verification) through the relay in
TRACKLOG_OUTGOING_SMTP; tracklog never sends prospect-facing mail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

SEND_TIMEOUT_SECONDS = 10


def relay_configured() -> bool:
    """Whether an outgoing relay is set, so links can be mailed rather than shown."""
    return bool(current_app.config.get("OUTGOING_SMTP"))


def relay_address(setting: str) -> tuple[str, int]:
    """The relay's host and port from `host:port` (port 25 when none is given)."""
    host, _sep, port = setting.rpartition(":")
    if not host or not port.isdigit():
        return setting, 25
    return host.strip("[]"), int(port)


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text mail through the relay; whether it was accepted (never raises)."""
    setting = current_app.config.get("OUTGOING_SMTP")
    if not setting:
        return False
    message = EmailMessage()
    message["From"] = f"tracklog <no-reply@{current_app.config['BCC_DOMAIN']}>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host, port = relay_address(setting)
    try:
        with smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_SECONDS) as relay:
            relay.send_message(message)
    except (OSError, smtplib.SMTPException) as failure:
        current_app.logger.warning("outgoing mail to the relay %s failed: %s", setting, failure)
        return False
    return True
