"""The webhooks' outbox: one delivery row per matching webhook, added in the transaction that
stores the event, so an event goes out if and only if it was stored.

Recording must not slow down: the account's webhooks are one query, kept for CACHE_SECONDS in
each process (a webhook made or deleted in another process counts there after at most that long;
a delivery for a webhook deleted meanwhile is given up unsent).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from tracklog.explanations import render_stored
from tracklog.extensions import db
from tracklog.models import (
    EngagementEvent,
    InboundMessage,
    Message,
    TrackedAttachment,
    TrackedLink,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from tracklog.models.tracking import PERSON_CLASSES

CACHE_SECONDS = 30
EXTENSION = "tracklog.webhooks.cache"
ALL_EVENTS = "*"
Subscriptions = tuple[tuple[int, tuple[str, ...]], ...]


def _cache() -> dict[int, tuple[float, Subscriptions]]:
    """This app's cache of each account's webhooks and their events."""
    return current_app.extensions.setdefault(EXTENSION, {})


def subscriptions(account_id: int) -> Subscriptions:
    """The account's active webhooks and the events each wants (cached briefly)."""
    cached = _cache().get(account_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    rows = db.session.execute(
        select(Webhook.id, Webhook.events).where(Webhook.account_id == account_id, Webhook.active)
    ).all()
    found = tuple((row.id, tuple(row.events)) for row in rows)
    _cache()[account_id] = (time.monotonic() + CACHE_SECONDS, found)
    return found


def forget_cached_webhooks(account_id: int) -> None:
    """Read the account's webhooks afresh next time (they were just changed)."""
    _cache().pop(account_id, None)


def payload_text(delivery_id: str, kind: str, at: datetime, account_id: int, data: dict) -> str:
    """The body of a delivery, exactly as it is signed and sent."""
    payload = {
        "id": delivery_id,
        "event": kind,
        "at": at.isoformat(),
        "account": account_id,
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def delivery_rows(
    account_id: int, kind: str, at: datetime, data: dict[str, Any]
) -> list[dict[str, Any]]:
    """The pending deliveries of an event, one for each of the account's webhooks that wants
    it, as rows (the hit recorder inserts a whole batch's at once)."""
    rows, now = [], utcnow()
    for webhook_id, events in subscriptions(account_id):
        if kind not in events and ALL_EVENTS not in events:
            continue
        delivery_id = str(uuid.uuid4())
        rows.append(
            {
                "account_id": account_id,
                "webhook_id": webhook_id,
                "event": kind,
                "delivery_id": delivery_id,
                "payload": payload_text(delivery_id, kind, at, account_id, data),
                "next_attempt_at": now,
            }
        )
    return rows


def enqueue(
    account_id: int, kind: str, at: datetime, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """A pending delivery of the event for each of the account's webhooks that wants it."""
    deliveries = [WebhookDelivery(**row) for row in delivery_rows(account_id, kind, at, data)]
    db.session.add_all(deliveries)
    return deliveries


def engagement_data(
    event: EngagementEvent, load: Callable[[type, int], Any] = db.session.get
) -> dict[str, Any]:
    """What a webhook learns of an open, click, attachment view or reply."""
    message = load(Message, event.message_id) if event.message_id else None
    recipient = next(
        (r for r in (message.recipients if message else []) if r.id == event.recipient_id), None
    )
    data: dict[str, Any] = {
        "message_id": message.public_id if message else None,
        "subject": message.subject if message else "",
        "recipient": recipient.email if recipient else None,
        "classification": event.classification,
        "person": event.classification in PERSON_CLASSES,
        "reason": event.reason,
    }
    if event.link_id:
        link = load(TrackedLink, event.link_id)
        data["url"] = link.url if link else None
    if event.attachment_id:
        shared = load(TrackedAttachment, event.attachment_id)
        data["file"] = shared.filename if shared else None
    return data


def engagement_delivery_rows(
    event: EngagementEvent, load: Callable[[type, int], Any] = db.session.get
) -> list[dict[str, Any]]:
    """The delivery rows of an engagement event, person's or machine's alike."""
    if not subscriptions(event.account_id):
        return []
    data = engagement_data(event, load)
    return delivery_rows(event.account_id, event.kind, event.occurred_at, data)


def enqueue_event(
    event: EngagementEvent, load: Callable[[type, int], Any] = db.session.get
) -> list[WebhookDelivery]:
    """Deliveries of a stored engagement event, person's or machine's alike."""
    deliveries = [WebhookDelivery(**row) for row in engagement_delivery_rows(event, load)]
    db.session.add_all(deliveries)
    return deliveries


def enqueue_logging(inbound: InboundMessage) -> list[WebhookDelivery]:
    """Deliveries of a received mail's outcome: logged, or not logged and why."""
    if inbound.status not in ("logged", "not_logged") or not subscriptions(inbound.account_id):
        return []
    message = db.session.get(Message, inbound.message_id) if inbound.message_id else None
    last_step = inbound.steps[-1] if inbound.steps else {}
    with force_locale("en"):
        reason = render_stored("step", last_step) if last_step else ""
    data = {
        "message_id": message.public_id if message else None,
        "rfc_message_id": inbound.rfc_message_id,
        "subject": inbound.subject,
        "logged": inbound.status == "logged",
        "reason_code": last_step.get("code"),
        "reason": reason,
    }
    return enqueue(inbound.account_id, inbound.status, inbound.processed_at or utcnow(), data)
