"""Storing received mail before anything else, so a crash or an outage loses nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from tracklog.extensions import db
from tracklog.models import Account, InboundMessage

LOCAL_PREFIX = "log+"


@dataclass(frozen=True)
class LoggingAddress:
    """What a logging address names: the account, and the draft when compose made it."""

    account_id: int
    draft_public_id: str | None


def parse_logging_address(address: str) -> tuple[str, str | None] | None:
    """The (account key, draft id) of log+<key>[.<draft>]@<BCC domain>, or None for any other."""
    local, _sep, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    if domain != current_app.config["BCC_DOMAIN"].lower() or not local.startswith(LOCAL_PREFIX):
        return None
    key, _dot, draft = local[len(LOCAL_PREFIX) :].partition(".")
    if not key:
        return None
    return key, draft or None


def resolve_logging_address(address: str) -> LoggingAddress | None:
    """The account a logging address belongs to, or None for an unknown key or domain."""
    parsed = parse_logging_address(address)
    if parsed is None:
        return None
    key, draft = parsed
    account_id = db.session.scalar(select(Account.id).where(Account.bcc_key == key))
    if account_id is None:
        return None
    return LoggingAddress(account_id=account_id, draft_public_id=draft)


def store_inbound(
    account_id: int,
    channel: str,
    raw: bytes,
    *,
    envelope_from: str = "",
    envelope_to: str = "",
    draft_public_id: str | None = None,
    uploader_id: int | None = None,
) -> InboundMessage:
    """Commit the raw mail; only after this returns may the sender be told it was received."""
    inbound = InboundMessage(
        account_id=account_id,
        channel=channel,
        raw=raw,
        size=len(raw),
        content_hash=hashlib.sha256(raw).hexdigest(),
        envelope_from=envelope_from[:320],
        envelope_to=envelope_to[:320],
        draft_public_id=draft_public_id,
        uploader_id=uploader_id,
    )
    db.session.add(inbound)
    db.session.commit()
    return inbound


def unprocessed_ids(limit: int = 1000) -> list[int]:
    """Stored mail not yet processed (left by a crash or an outage), oldest first."""
    query = (
        select(InboundMessage.id)
        .where(InboundMessage.status == "stored")
        .order_by(InboundMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))
