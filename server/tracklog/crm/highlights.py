"""The highlights a record page opens with (owner, stage, amount, last activity, next task) and
the open and click counts its mail cards show without being expanded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tracklog.extensions import db
from tracklog.models import ActivityAssociation, EngagementEvent, Message, Task, User
from tracklog.models.tracking import PERSON_CLASSES


@dataclass(frozen=True)
class Highlights:
    """What a salesperson wants to know about a record at a glance."""

    owner: User | None
    last_activity_at: datetime | None
    next_task: Task | None


def last_activity_at(account_id: int, record_type: str, record_id: int) -> datetime | None:
    """When the newest activity on the record's timeline happened (read from the timeline index)."""
    query = select(func.max(ActivityAssociation.occurred_at)).where(
        ActivityAssociation.account_id == account_id,
        ActivityAssociation.record_type == record_type,
        ActivityAssociation.record_id == record_id,
    )
    return db.session.scalar(query)


def next_task(account_id: int, record_type: str, record_id: int) -> Task | None:
    """The record's open task due soonest (undated ones last)."""
    query = (
        select(Task)
        .where(
            Task.account_id == account_id,
            Task.record_type == record_type,
            Task.record_id == record_id,
            Task.done.is_(False),
        )
        .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
        .limit(1)
    )
    return db.session.scalar(query)


def record_highlights(record_type: str, record: Any) -> Highlights:
    """The highlights of one record of the account."""
    owner = db.session.get(User, record.owner_id) if record.owner_id else None
    return Highlights(
        owner=owner,
        last_activity_at=last_activity_at(record.account_id, record_type, record.id),
        next_task=next_task(record.account_id, record_type, record.id),
    )


def engagement_counts(account_id: int, public_ids: set[str]) -> dict[str, dict[str, int]]:
    """Opens and clicks by people per message, counted as the message's KPIs count them (person
    classes, repeats once), in one query."""
    if not public_ids:
        return {}
    query = (
        select(Message.public_id, EngagementEvent.kind, func.count(EngagementEvent.id))
        .join(EngagementEvent, EngagementEvent.message_id == Message.id)
        .where(
            Message.account_id == account_id,
            Message.public_id.in_(public_ids),
            EngagementEvent.account_id == account_id,
            EngagementEvent.kind.in_(("open", "click")),
            EngagementEvent.classification.in_(PERSON_CLASSES),
            EngagementEvent.counted.is_(True),
        )
        .group_by(Message.public_id, EngagementEvent.kind)
    )
    counts: dict[str, dict[str, int]] = {}
    for public_id, kind, count in db.session.execute(query):
        counts.setdefault(public_id, {"open": 0, "click": 0})[kind] = count
    return counts
