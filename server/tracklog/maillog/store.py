"""Storing received mail before anything else, so a crash or an outage loses nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.errors import MissingHeaderBodySeparatorDefect
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import undefer

from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.loggingaddress import logging_address, parse_logging_address
from tracklog.maillog.why import step
from tracklog.models import Account, InboundMessage, Message, utcnow

# Enough of a mail to hold its header block (headers past this do not decide).
HEADER_BYTES = 256 * 1024


@dataclass(frozen=True)
class LoggingAddress:
    """What a logging address names: the account, and the draft when compose made it; for an
    address whose key was rotated and whose grace period is over, the address that replaced it."""

    account_id: int
    draft_public_id: str | None
    replaced_by: str | None = None


def resolve_logging_address(address: str) -> LoggingAddress | None:
    """The account a logging address belongs to (by its key, or its previous key during the
    grace period after a rotation), or None for an unknown key or domain."""
    parsed = parse_logging_address(address)
    if parsed is None:
        return None
    key, draft = parsed
    account = db.session.scalar(
        select(Account).where(or_(Account.bcc_key == key, Account.previous_bcc_key == key))
    )
    if account is None:
        return None
    retired = account.bcc_key != key and (
        account.previous_bcc_key_until is None or account.previous_bcc_key_until <= utcnow()
    )
    replaced_by = logging_address(account.bcc_key) if retired else None
    return LoggingAddress(account.id, draft, replaced_by)


class MailTooLarge(DomainError):
    """The mail is over the size tracklog logs, whichever road it came by."""

    status = 413
    code = "mail_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            _(
                "The mail is larger than the %(mb)s MB that tracklog logs, so it was not logged. "
                "Share big files as links instead.",
                mb=megabytes(limit),
            ),
            details={"limit_bytes": limit},
        )


class NotAMail(DomainError):
    """An upload that is not an RFC 5322 message (an image, JSON, text without headers)."""

    status = 400
    code = "not_a_mail"

    def __init__(self) -> None:
        super().__init__(
            _(
                "This is not a mail: upload the message as .eml (RFC 5322), "
                "with its headers and a From address."
            )
        )


def refuse_non_mail(raw: bytes) -> None:
    """NotAMail unless raw starts with header fields, one of them a From with an address."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:HEADER_BYTES])
    lost_headers = any(
        isinstance(defect, MissingHeaderBodySeparatorDefect) for defect in headers.defects
    )
    if lost_headers or "@" not in str(headers.get("From") or ""):
        raise NotAMail()


def megabytes(size: int) -> str:
    """A size in MB as the why and errors show it."""
    return f"{size / 2**20:.3g}"


def mail_size_limit() -> int:
    """The largest mail logged: the SIZE the BCC receiver advertises, the pane's upload limit."""
    return current_app.config["MAX_MAIL_BYTES"]


def store_inbound(account_id: int, channel: str, raw: bytes, **envelope: Any) -> InboundMessage:
    """Commit the raw mail; only after this returns may the sender be told it was received.

    Every road (BCC, the pane's upload, mailbox sync) comes through here or store_rows, so a mail
    over the size limit is refused the same way everywhere: MailTooLarge, and a why in its
    place. envelope: inbound_row's keyword arguments."""
    inbound = InboundMessage(**inbound_row(account_id, channel, raw, **envelope))
    db.session.add(inbound)
    db.session.commit()
    return inbound


def inbound_row(
    account_id: int,
    channel: str,
    raw: bytes,
    *,
    envelope_from: str = "",
    envelope_to: str = "",
    draft_public_id: str | None = None,
    uploader_id: int | None = None,
) -> dict[str, Any]:
    """The columns of a mail to store; MailTooLarge (its why committed) when over the limit."""
    limit = mail_size_limit()
    if len(raw) > limit:
        refuse_too_large(
            account_id,
            channel,
            len(raw),
            limit,
            envelope_from=envelope_from,
            envelope_to=envelope_to,
            draft_public_id=draft_public_id,
            uploader_id=uploader_id,
        )
        raise MailTooLarge(limit)
    return {
        "account_id": account_id,
        "channel": channel,
        "raw": raw,
        "size": len(raw),
        "content_hash": hashlib.sha256(raw).hexdigest(),
        "envelope_from": envelope_from[:320],
        "envelope_to": envelope_to[:320],
        "draft_public_id": draft_public_id,
        "uploader_id": uploader_id,
    }


def store_rows(rows: list[dict[str, Any]]) -> list[int]:
    """Commit several mails (inbound_row) with one INSERT and one commit, in their order: the BCC
    receiver's group commit, where the mails of every SMTP session that arrived meanwhile share
    one round trip and one flush to disk."""
    query = insert(InboundMessage).returning(InboundMessage.id, sort_by_parameter_order=True)
    ids = list(db.session.scalars(query, rows))
    db.session.commit()
    return ids


def refuse_too_large(
    account_id: int,
    channel: str,
    size: int,
    limit: int,
    *,
    envelope_from: str = "",
    envelope_to: str = "",
    draft_public_id: str | None = None,
    uploader_id: int | None = None,
) -> InboundMessage:
    """The why of a mail refused for its size (nothing of it is kept), for its sender to find.

    size is what the sender declared or sent; over SMTP without a declaration, only that it was
    more than the limit is known."""
    message_id = None
    if draft_public_id:
        message_id = db.session.scalar(
            select(Message.id).where(
                Message.account_id == account_id, Message.public_id == draft_public_id
            )
        )
    inbound = InboundMessage(
        account_id=account_id,
        channel=channel,
        raw=b"",
        size=size,
        content_hash=hashlib.sha256(b"").hexdigest(),
        envelope_from=envelope_from[:320],
        envelope_to=envelope_to[:320],
        draft_public_id=draft_public_id,
        uploader_id=uploader_id,
        sender=envelope_from.strip().lower()[:320],
        status="not_logged",
        steps=[step("size", "too_large", "stop", limit_mb=megabytes(limit), size=size)],
        message_id=message_id,
        processed_at=utcnow(),
    )
    db.session.add(inbound)
    db.session.commit()
    return inbound


def due_for_processing(now: datetime, limit: int = 1000) -> list[int]:
    """Stored mail waiting to be processed: new, left by a crash, or due for a retry."""
    query = (
        select(InboundMessage.id)
        .where(
            InboundMessage.status == "stored",
            or_(InboundMessage.retry_at.is_(None), InboundMessage.retry_at <= now),
        )
        .order_by(InboundMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def next_retry_at(now: datetime) -> datetime | None:
    """When the next stored mail is due for a retry, if one waits."""
    query = select(func.min(InboundMessage.retry_at)).where(
        InboundMessage.status == "stored", InboundMessage.retry_at > now
    )
    return db.session.scalar(query)


def lock_for_processing(inbound_id: int) -> InboundMessage | None:
    """The stored mail, locked until this transaction ends so that no other thread, process or
    host processes it meanwhile; None when another holds it or it is done.

    A row lock, not a lease: a process killed while holding it loses its connection and with it
    the lock, so a restarted receiver takes the mail again at once. (SQLite ignores the lock; it
    has one writer at a time, and a second writer's late write fails and is retried.)
    """
    query = (
        select(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status == "stored")
        .with_for_update(skip_locked=True)
    )
    return db.session.scalar(query)


def lock_batch_for_processing(inbound_ids: list[int], now: datetime) -> list[InboundMessage]:
    """The stored mails among these that are due, locked as lock_for_processing locks one (those
    another holds are left out), in id order."""
    query = (
        select(InboundMessage)
        .where(
            InboundMessage.id.in_(inbound_ids),
            InboundMessage.status == "stored",
            or_(InboundMessage.retry_at.is_(None), InboundMessage.retry_at <= now),
        )
        .order_by(InboundMessage.id)
        .options(undefer(InboundMessage.raw))
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(query))
