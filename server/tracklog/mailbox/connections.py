"""A user's connected mailbox: connect, read its status, record how its sync went, disconnect.

One mailbox per user. Connecting saves the provider's secret sealed (mailbox/sealing.py);
disconnecting deletes it, and takes the mail its sync logged off every record it put it on
automatically — what a user associated by hand stays. Reconnecting syncs from the start again,
so that mail is found again (by Message-ID, never logged twice) and its automatic association
runs again (mailbox/intake.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from tracklog.audit.log import record_audit
from tracklog.crm.fields import to_json
from tracklog.extensions import db
from tracklog.mailbox.sealing import seal, unseal
from tracklog.models import ActivityAssociation, InboundMessage, User, utcnow
from tracklog.models.mailbox import MAILBOX_PROVIDERS, MailboxConnection

# What a provider undoes at its end when a mailbox is disconnected (best effort, never raising).
FAREWELLS = {"graph": "tracklog.mailbox.graph:unsubscribe"}


def provider_hook(hooks: dict[str, str], provider: str) -> Callable[..., Any] | None:
    """A provider's function from a table of "module:function" names (None when it has none),
    imported when first called for: the base never imports the connectors."""
    if provider not in hooks:
        return None
    module, name = hooks[provider].split(":")
    return getattr(importlib.import_module(module), name)


def connection_of(user: User) -> MailboxConnection | None:
    """The user's connected mailbox, if any."""
    return db.session.scalar(
        select(MailboxConnection).where(
            MailboxConnection.account_id == user.account_id, MailboxConnection.user_id == user.id
        )
    )


def mailbox_json(user: User) -> dict[str, Any]:
    """The user's mailbox as GET /api/v1/me/mailbox answers it."""
    connection = connection_of(user)
    if connection is None:
        return {
            "connected": False,
            "provider": None,
            "address": None,
            "last_sync": None,
            "error": None,
            "error_code": None,
        }
    return {
        "connected": True,
        "provider": connection.provider,
        "address": connection.address,
        "connected_at": to_json(connection.connected_at),
        "last_sync": to_json(connection.last_sync_at),
        "error": connection.error,
        "error_code": connection.error_code,
    }


def connect(
    user: User,
    provider: str,
    address: str,
    secret: bytes,
    settings: dict[str, Any] | None = None,
) -> MailboxConnection:
    """Connect the user's mailbox (replacing any other), due for its first sync at once; the
    caller commits."""
    if provider not in MAILBOX_PROVIDERS:
        raise ValueError(f"unknown mailbox provider {provider!r}")
    if connection_of(user) is not None:
        disconnect(user)
    connection = MailboxConnection(
        account_id=user.account_id,
        user_id=user.id,
        provider=provider,
        address=address[:320],
        sealed_secret=seal(secret),
        settings=settings or {},
        state={},
    )
    db.session.add(connection)
    record_audit(
        user, user.account_id, "mailbox_connected", ("user", user.id), {"provider": provider}
    )
    db.session.flush()
    return connection


def secret_of(connection: MailboxConnection) -> bytes:
    """The connection's secret, unsealed."""
    return unseal(connection.sealed_secret)


def replace_secret(connection: MailboxConnection, secret: bytes) -> None:
    """Seal and keep a new secret (a refreshed token cache); the caller commits."""
    connection.sealed_secret = seal(secret)


def logged_by_sync(connection: MailboxConnection) -> Any:
    """The ids of the activities this mailbox's sync logged (not those only found again)."""
    return select(InboundMessage.activity_id).where(
        InboundMessage.account_id == connection.account_id,
        InboundMessage.uploader_id == connection.user_id,
        InboundMessage.channel == connection.provider,
        InboundMessage.status == "logged",
        InboundMessage.activity_id.is_not(None),
    )


def disconnect(user: User) -> int:
    """Disconnect the user's mailbox: delete its secret and state, and take the mail its sync
    logged off the records it put it on automatically; how many associations went. The caller
    commits."""
    connection = connection_of(user)
    if connection is None:
        return 0
    farewell = provider_hook(FAREWELLS, connection.provider)
    if farewell is not None:
        farewell(connection)
    removed = db.session.execute(
        delete(ActivityAssociation)
        .where(
            ActivityAssociation.account_id == user.account_id,
            ActivityAssociation.source == "automatic",
            ActivityAssociation.activity_id.in_(logged_by_sync(connection)),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    record_audit(
        user,
        user.account_id,
        "mailbox_disconnected",
        ("user", user.id),
        {"provider": connection.provider, "associations_removed": removed},
    )
    db.session.delete(connection)
    db.session.flush()
    return removed


def received_before_connection(inbound: InboundMessage, received_at: datetime) -> bool:
    """Whether a synced mail was received before its mailbox was connected (history, not news)."""
    if inbound.channel not in MAILBOX_PROVIDERS or inbound.uploader_id is None:
        return False
    connected_at = db.session.scalar(
        select(MailboxConnection.connected_at).where(
            MailboxConnection.account_id == inbound.account_id,
            MailboxConnection.user_id == inbound.uploader_id,
        )
    )
    return connected_at is not None and received_at < connected_at


def sync_succeeded(
    connection: MailboxConnection, state: dict[str, Any], next_in: timedelta
) -> None:
    """Save where the sync got to and when the next is due; clears an earlier error."""
    now = utcnow()
    connection.state = state
    connection.last_sync_at, connection.next_sync_at = now, now + next_in
    connection.error_code = connection.error = None
    connection.sync_lease_until = None


def sync_failed(
    connection: MailboxConnection, code: str, message: str, retry_in: timedelta
) -> None:
    """Show the user why the sync failed and when it is tried again."""
    connection.error_code, connection.error = code[:40], message[:500]
    connection.next_sync_at = utcnow() + retry_in
    connection.sync_lease_until = None
