"""The mailboxes' sync: each due mailbox, one sync at a time, whichever process runs it.

A pass runs beside the hit recorder (one per host, like the webhooks' dispatcher: see
tracking/hits.py). It claims a due mailbox by a conditional UPDATE of its lease (on both
databases: the row count says who won), so two processes or hosts never sync one mailbox at
once; a process that dies mid-sync leaves the mailbox to be claimed again when the lease ends.
Each provider's sync (SYNCERS) logs what is new through mailbox/intake.py and answers when it is
due again; a MailboxSyncError is shown to the user and tried again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from tracklog.extensions import db
from tracklog.mailbox.connections import provider_hook, sync_failed, sync_succeeded
from tracklog.models import utcnow
from tracklog.models.mailbox import MailboxConnection

log = logging.getLogger(__name__)

SYNC_POLL = timedelta(seconds=10)
LEASE = timedelta(minutes=10)
# How long after an unexpected failure a mailbox is tried again.
FAILURE_RETRY = timedelta(minutes=5)
# Each provider's sync: called with the claimed connection, it logs what is new and answers the
# state to save and when to sync again.
SYNCERS = {"graph": "tracklog.mailbox.graph:sync", "imap": "tracklog.mailbox.imap:sync"}


class MailboxSyncError(Exception):
    """A sync failed in a way the user should see (consent revoked, a wrong password); the
    mailbox is tried again after retry_in."""

    def __init__(self, code: str, message: str, retry_in: timedelta = FAILURE_RETRY) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_in = retry_in


def syncer(provider: str) -> Callable[[MailboxConnection], tuple[dict, timedelta]]:
    """The sync function of a provider."""
    return provider_hook(SYNCERS, provider)


def claim_due(now: datetime, passed_over: set[int]) -> MailboxConnection | None:
    """The next due mailbox, leased to this run (no other run syncs it until the lease ends)."""
    unleased = or_(
        MailboxConnection.sync_lease_until.is_(None), MailboxConnection.sync_lease_until <= now
    )
    due = (
        select(MailboxConnection.id)
        .where(
            MailboxConnection.next_sync_at <= now,
            unleased,
            MailboxConnection.id.not_in(passed_over),
        )
        .order_by(MailboxConnection.next_sync_at)
    )
    for connection_id in list(db.session.scalars(due.limit(20))):
        claimed = db.session.execute(
            update(MailboxConnection)
            .where(MailboxConnection.id == connection_id, unleased)
            .values(sync_lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(MailboxConnection, connection_id, populate_existing=True)
    return None


def sync_connection(connection: MailboxConnection) -> None:
    """Sync one claimed mailbox and record how it went (nothing, when it was disconnected
    meanwhile)."""
    connection_id = connection.id
    failure: MailboxSyncError | None = None
    try:
        state, next_in = syncer(connection.provider)(connection)
    except MailboxSyncError as error:
        failure = error
    except Exception as error:  # noqa: BLE001 - logged and shown; tried again later
        log.exception("syncing mailbox %s failed", connection_id)
        failure = MailboxSyncError("sync_failed", f"{type(error).__name__}: {error}")
    db.session.rollback()
    connection = db.session.get(MailboxConnection, connection_id, populate_existing=True)
    if connection is None:
        return
    if failure is None:
        sync_succeeded(connection, state, next_in)
    else:
        sync_failed(connection, failure.code, failure.message, failure.retry_in)
    db.session.commit()


def run_due_syncs(now: datetime | None = None) -> int:
    """Sync every due mailbox, one after the other; how many were synced."""
    passed_over: set[int] = set()
    while (connection := claim_due(now or utcnow(), passed_over)) is not None:
        passed_over.add(connection.id)
        sync_connection(connection)
    return len(passed_over)
