"""What a salesperson's start page shows: engagement, tasks due, deals closing, mail not logged."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from tracklog.crm.deals import deals_closing_soon
from tracklog.crm.people import contacts_by_email
from tracklog.crm.tasks import task_rows
from tracklog.extensions import db
from tracklog.i18n import known_zone
from tracklog.maillog.api import inbound_json, visible_inbound
from tracklog.models import InboundMessage, Message, User, utcnow
from tracklog.tracking.kpis import recent_engagement

TASK_DAYS_AHEAD = 7
NOT_LOGGED = ("not_logged", "failed")
SECTION_SIZE = 8


def end_of_day(user: User, days_ahead: int) -> datetime:
    """Midnight at the end of the day this many days from today, in the user's time zone."""
    zone = known_zone(user.time_zone)
    today = utcnow().astimezone(zone).date()
    return datetime.combine(today + timedelta(days=days_ahead + 1), time.min, tzinfo=zone)


def tasks_due(user: User) -> list[dict[str, Any]]:
    """The user's open tasks that are overdue or due within the week, soonest first."""
    until = end_of_day(user, TASK_DAYS_AHEAD)
    rows = task_rows(user, everyone=False)
    return [row for row in rows if row["task"].due_at and row["task"].due_at < until][:SECTION_SIZE]


def unlogged_mail(user: User) -> list[dict[str, Any]]:
    """The user's latest mail that was not logged (or failed to be), each with its reason."""
    query = (
        visible_inbound(user, mine_only=True)
        .where(InboundMessage.status.in_(NOT_LOGGED))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(SECTION_SIZE)
    )
    rows = []
    for inbound in db.session.scalars(query):
        message = db.session.get(Message, inbound.message_id) if inbound.message_id else None
        summary = inbound_json(inbound)
        reason = summary["why"][-1]["text"] if summary["why"] else ""
        rows.append(summary | {"reason": reason, "public_id": message and message.public_id})
    return rows


def start_page(user: User) -> dict[str, Any]:
    """Every section of the start page, with the contacts its addresses belong to."""
    engagement = recent_engagement(user, SECTION_SIZE)
    return {
        "engagement": engagement,
        "tasks": tasks_due(user),
        "deals": deals_closing_soon(user, limit=SECTION_SIZE),
        "unlogged": unlogged_mail(user),
        "people": contacts_by_email(user.account_id, [e["recipient"] for e in engagement]),
        "today": utcnow().astimezone(known_zone(user.time_zone)).date(),
    }
