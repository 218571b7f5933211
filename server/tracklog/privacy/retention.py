"""Retention: engagement events and logged mail older than the account's periods are purged.

A run deletes in batches, each committed on its own, so a run that dies leaves the rest for the
next one. One run at a time per account across every process and host: on PostgreSQL the run
holds a row lock on the account's retention_run row (FOR UPDATE SKIP LOCKED) on a connection of
its own for as long as it runs; another process finds the row locked and leaves. SQLite has one
writer at a time and one host; two runs there only share the work, never delete twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from tracklog.audit.log import record_audit
from tracklog.extensions import db
from tracklog.models import (
    Account,
    Activity,
    EngagementEvent,
    InboundMessage,
    MailAttachment,
    RetentionRun,
    WebhookDelivery,
    utcnow,
)
from tracklog.tracking.attachments import remove_unused_files

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RETENTION_INTERVAL = timedelta(hours=1)
# The first run waits a little after start, so a restart loop never turns into a purge loop.
FIRST_RUN_AFTER = timedelta(minutes=1)
# How long a settled webhook delivery (delivered or given up) stays readable with its attempts.
WEBHOOK_DELIVERY_DAYS = 30


@dataclass(frozen=True)
class RetentionResult:
    """What one run of one account removed."""

    events: int
    mail: int
    received: int


def _purge(query: Select, model: type) -> int:
    """Delete the rows the id query finds, a batch at a time, each batch committed; how many
    this run deleted (a row another run deleted first is not counted twice)."""
    deleted = 0
    while ids := list(db.session.scalars(query.limit(BATCH_SIZE))):
        deleted += db.session.execute(delete(model).where(model.id.in_(ids))).rowcount
        db.session.commit()
    return deleted


def purge_events(account_id: int, before: datetime) -> int:
    """Delete the account's engagement events from before a moment; how many."""
    query = select(EngagementEvent.id).where(
        EngagementEvent.account_id == account_id, EngagementEvent.occurred_at < before
    )
    return _purge(query, EngagementEvent)


def purge_mail(account_id: int, before: datetime) -> tuple[int, int]:
    """Delete the account's logged mail (activities, their files) and received copies from
    before a moment; how many of each."""
    logged = select(Activity.id).where(
        Activity.account_id == account_id, Activity.type == "email", Activity.occurred_at < before
    )
    removed_mail = 0
    while ids := list(db.session.scalars(logged.limit(BATCH_SIZE))):
        hashes = set(
            db.session.scalars(
                select(MailAttachment.sha256).where(
                    MailAttachment.activity_id.in_(ids), MailAttachment.sha256.is_not(None)
                )
            )
        )
        removed_mail += db.session.execute(delete(Activity).where(Activity.id.in_(ids))).rowcount
        db.session.commit()
        remove_unused_files(hashes)
    received = select(InboundMessage.id).where(
        InboundMessage.account_id == account_id, InboundMessage.received_at < before
    )
    return removed_mail, _purge(received, InboundMessage)


def purge_webhook_deliveries(before: datetime) -> int:
    """Delete the webhook deliveries settled (delivered or given up) before a moment, in every
    account: a receiver's repeats are dropped by delivery id within days, not months."""
    settled = select(WebhookDelivery.id).where(
        WebhookDelivery.state.in_(("delivered", "failed")), WebhookDelivery.created_at < before
    )
    return _purge(settled, WebhookDelivery)


def _ensure_run_row(account_id: int) -> None:
    """The account's retention_run row exists (made by the first run, whoever wins the race)."""
    if db.session.get(RetentionRun, account_id) is not None:
        return
    try:
        db.session.execute(insert(RetentionRun).values(account_id=account_id, created_at=utcnow()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


@contextmanager
def run_lock(account_id: int) -> Iterator[bool]:
    """Whether this process may run the account's retention now; held until the block ends."""
    _ensure_run_row(account_id)
    if db.engine.dialect.name == "sqlite":
        yield True
        return
    with db.engine.connect() as connection, connection.begin():
        held = connection.execute(
            select(RetentionRun.account_id)
            .where(RetentionRun.account_id == account_id)
            .with_for_update(skip_locked=True)
        ).first()
        yield held is not None


def run_retention(account: Account, now: datetime | None = None) -> RetentionResult | None:
    """Purge what the account's retention periods say is due; None when another run holds the
    account's lock. A run that removed something is audited (counts only)."""
    now = now or utcnow()
    with run_lock(account.id) as allowed:
        if not allowed:
            return None
        events = mail = received = 0
        if account.event_retention_days:
            events = purge_events(account.id, now - timedelta(days=account.event_retention_days))
        if account.mail_retention_days:
            before = now - timedelta(days=account.mail_retention_days)
            mail, received = purge_mail(account.id, before)
        result = RetentionResult(events=events, mail=mail, received=received)
        if events or mail or received:
            changes = {"events": [None, events], "mail": [None, mail], "received": [None, received]}
            record_audit(None, account.id, "retention_run", ("account", account.id), changes)
            db.session.commit()
        return result


def run_retention_everywhere(now: datetime | None = None) -> dict[int, RetentionResult | None]:
    """Run retention for every account that keeps data for a limited time, and purge the
    settled webhook deliveries of every account after WEBHOOK_DELIVERY_DAYS."""
    purge_webhook_deliveries((now or utcnow()) - timedelta(days=WEBHOOK_DELIVERY_DAYS))
    limited = select(Account).where(
        or_(Account.event_retention_days.is_not(None), Account.mail_retention_days.is_not(None))
    )
    return {account.id: run_retention(account, now) for account in db.session.scalars(limited)}
