"""A reply to a tracked mail: the mail is marked replied and the reply becomes an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, Notification
from tracklog.notify.feed import notify_event
from tracklog.webhooks.outbox import enqueue_event


def record_reply(
    tracked: Message, sender: str, at: datetime, hit_id: str, evidence: dict[str, Any]
) -> Notification | None:
    """Mark the mail replied, store the reply event; the sender's notification, if any."""
    tracked.replied_at = tracked.replied_at or at
    tracked.last_activity_at = max(filter(None, [tracked.last_activity_at, at]))
    recipient = next((r for r in tracked.recipients if r.email == sender), None)
    event = EngagementEvent(
        account_id=tracked.account_id,
        hit_id=hit_id,
        message_id=tracked.id,
        kind="reply",
        recipient_id=recipient.id if recipient and tracked.tracking == "individual" else None,
        occurred_at=at,
        classification="human",
        reason="A reply arrived from a recipient.",
        evidence={"from": sender, **evidence},
    )
    db.session.add(event)
    db.session.flush()
    enqueue_event(event)
    return notify_event(event)
