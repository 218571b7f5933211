"""Counts per message that say how they were measured: people, machines, links, replies."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from tracklog.crm.people import contacts_by_email
from tracklog.errors import NotFound
from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, MessageRecipient, TrackedLink, User
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.tracking.reasons import explain_reason


def visible_messages(user: User) -> Select:
    """The messages a user may see: their own, or every message of the account for admins."""
    query = select(Message).where(Message.account_id == user.account_id)
    return query if user.is_admin else query.where(Message.user_id == user.id)


def find_message(user: User, public_id: str) -> Message:
    """One visible message by its public id, or NotFound."""
    message = db.session.scalar(visible_messages(user).where(Message.public_id == public_id))
    if message is None:
        raise NotFound(_("There is no message %(id)s.", id=public_id))
    return message


def message_events(message: Message) -> list[EngagementEvent]:
    """Every event of a message, newest first."""
    query = (
        select(EngagementEvent)
        .where(
            EngagementEvent.account_id == message.account_id,
            EngagementEvent.message_id == message.id,
        )
        .order_by(EngagementEvent.occurred_at.desc(), EngagementEvent.id.desc())
    )
    return list(db.session.scalars(query))


def kpis(message: Message, events: list[EngagementEvent]) -> dict[str, Any]:
    """Opens by people, unique openers, machine hits by class, clicks per link, views, replies."""
    person = [e for e in events if e.classification in PERSON_CLASSES and e.counted]
    opens = [e for e in person if e.kind == "open"]
    clicks = [e for e in person if e.kind == "click"]
    links = {link.id: link for link in message.links if not link.honeypot}
    clicks_per_link = Counter(e.link_id for e in clicks)
    openers = {e.recipient_id or f"{e.ip}|{e.user_agent}" for e in opens}
    machine = Counter(e.classification for e in events if e.classification not in PERSON_CLASSES)
    return {
        "human_opens": len(opens),
        "unique_openers": len(openers),
        "opens_through_proxy": sum(1 for e in opens if e.classification == "proxy"),
        "repeat_opens_collapsed": sum(1 for e in events if e.kind == "open" and not e.counted),
        "machine_hits": {
            name: machine.get(name, 0) for name in ("sender", "prefetch", "scanner", "bot")
        },
        "clicks": len(clicks),
        "clicks_per_link": [
            {"link_id": link.id, "url": link.url, "clicks": clicks_per_link.get(link.id, 0)}
            for link in links.values()
        ],
        "attachment_views": sum(1 for e in person if e.kind == "attachment"),
        "replies": sum(1 for e in events if e.kind == "reply"),
        "last_opened_at": _iso(max((e.occurred_at for e in opens), default=None)),
        "last_activity_at": _iso(max((e.occurred_at for e in events), default=None)),
    }


def _iso(value) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def event_json(
    event: EngagementEvent, recipients: dict[int, MessageRecipient], links: dict[int, TrackedLink]
) -> dict[str, Any]:
    """One event with its classification explained."""
    recipient = recipients.get(event.recipient_id)
    link = links.get(event.link_id)
    return {
        "id": event.id,
        "kind": event.kind,
        "at": _iso(event.occurred_at),
        "recipient": recipient.email if recipient else "anonymous",
        "classification": event.classification,
        "reason": explain_reason(event.reason, event.evidence),
        "evidence": event.evidence,
        "counted": event.counted,
        "first_human_open": event.first_human_open,
        "country": event.country,
        "device": event.device,
        "client": event.client,
        "link": link.url if link else None,
    }


def message_summary(message: Message, events: list[EngagementEvent]) -> dict[str, Any]:
    """A message with its KPIs, as GET /api/v1/messages lists it."""
    return {
        "id": message.public_id,
        "subject": message.subject,
        "tracking": message.tracking,
        "sent_at": _iso(message.sent_at),
        "logged": message.activity_id is not None,
        "recipients": [
            {"email": r.email, "track": r.track, "log": r.log, "reason": r.reason}
            for r in message.recipients
        ],
        "kpis": kpis(message, events),
    }


def message_detail(message: Message) -> dict[str, Any]:
    """A message with its KPIs and every event newest first, each explained and named."""
    events = message_events(message)
    recipients = {r.id: r for r in message.recipients}
    links = {link.id: link for link in message.links}
    people = contacts_by_email(message.account_id, [r.email for r in message.recipients])
    named = []
    for event in events:
        shown = event_json(event, recipients, links)
        contact = people.get(shown["recipient"])
        named.append(shown | {"recipient_name": contact.name if contact else None})
    return message_summary(message, events) | {"events": named}


def events_by_message(messages: list[Message]) -> dict[int, list[EngagementEvent]]:
    """The events of several messages in one query."""
    grouped: dict[int, list[EngagementEvent]] = {message.id: [] for message in messages}
    if not messages:
        return grouped
    query = select(EngagementEvent).where(EngagementEvent.message_id.in_(list(grouped)))
    for event in db.session.scalars(query):
        grouped[event.message_id].append(event)
    return grouped


def recent_engagement(user: User, limit: int = 10) -> list[dict[str, Any]]:
    """The latest opens, clicks, views and replies by people of the user's own mail, explained."""
    query = (
        select(EngagementEvent)
        .join(Message, Message.id == EngagementEvent.message_id)
        .where(
            EngagementEvent.account_id == user.account_id,
            Message.user_id == user.id,
            EngagementEvent.classification.in_(PERSON_CLASSES),
            EngagementEvent.counted.is_(True),
        )
        .order_by(EngagementEvent.occurred_at.desc(), EngagementEvent.id.desc())
        .limit(limit)
    )
    rows = []
    for event in db.session.scalars(query):
        message = db.session.get(Message, event.message_id)
        recipients = {r.id: r for r in message.recipients}
        links = {link.id: link for link in message.links}
        subject = {"message_id": message.public_id, "subject": message.subject}
        rows.append(event_json(event, recipients, links) | subject)
    return rows
