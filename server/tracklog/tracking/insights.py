"""Insights over a period: when people open mail in their own time, the funnel, each user's rates.

The period is the mail sent in the last N days; every number is about that mail. People and
machines are never mixed: opens, clicks and the rates count people only (image proxies included,
repeats collapsed, as in the KPIs), and machine hits are counted apart, per class.
A recipient's local time is the contact's time zone, else the zone of the country the open came
from, else UTC; the answer says how many opens were read each way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select

from tracklog.auth.accounts import account_users, require_admin
from tracklog.errors import DomainError, NotFound
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import Contact, EngagementEvent, Message, MessageRecipient, User, utcnow
from tracklog.models.tracking import CLASSIFICATIONS, PERSON_CLASSES
from tracklog.tracking.followed import funnel_counts
from tracklog.tracking.kpis import visible_messages
from tracklog.tracking.sendtime import country_zones, zone_named

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
MACHINE_CLASSES = tuple(name for name in CLASSIFICATIONS if name not in PERSON_CLASSES)
ZONE_SOURCES = ("contact", "country", "utc")
FUNNEL_STEPS = ("sent", "opened", "clicked", "replied")


@dataclass(frozen=True)
class InsightsScope:
    """Whose mail, over how many days: one user's, or the whole account's (user_id None)."""

    days: int = DEFAULT_PERIOD
    user_id: int | None = None


def read_scope(user: User, args: Mapping[str, str]) -> InsightsScope:
    """The period and user a request asks for; users see their own mail, admins anyone's."""
    raw_days = args.get("days", "").strip()
    days = stored_integer(raw_days, from_text=True) if raw_days else DEFAULT_PERIOD
    if days not in PERIODS:
        choices = ", ".join(str(period) for period in PERIODS)
        raise DomainError(
            _("Some filters are not valid."),
            code="invalid_filter",
            details={"fields": {"days": _("must be one of: %(choices)s", choices=choices)}},
        )
    raw_user = args.get("user", "").strip()
    if raw_user in ("", "all"):
        return InsightsScope(days, None if user.is_admin else user.id)
    chosen = stored_integer(raw_user, from_text=True)
    if chosen == user.id:
        return InsightsScope(days, user.id)
    require_admin(user, _("Only admins see the insights of other users."))
    chosen_user = db.session.get(User, chosen) if chosen is not None else None
    if chosen_user is None or chosen_user.account_id != user.account_id:
        raise NotFound(_("There is no user %(id)s.", id=raw_user))
    return InsightsScope(days, chosen)


def scoped_messages(user: User, scope: InsightsScope) -> Select:
    """The ids of the scope's messages sent within its period."""
    query = visible_messages(user).where(Message.sent_at >= utcnow() - timedelta(days=scope.days))
    if scope.user_id is not None:
        query = query.where(Message.user_id == scope.user_id)
    return query.with_only_columns(Message.id)


def opens_by_hour(user: User, scope: InsightsScope) -> dict[str, Any]:
    """People's opens by weekday (Monday first) and hour in the recipient's local time."""
    query = (
        select(EngagementEvent.occurred_at, Contact.time_zone, EngagementEvent.country)
        .outerjoin(MessageRecipient, MessageRecipient.id == EngagementEvent.recipient_id)
        .outerjoin(
            Contact,
            and_(
                Contact.account_id == EngagementEvent.account_id,
                Contact.email == MessageRecipient.email,
            ),
        )
        .where(
            EngagementEvent.account_id == user.account_id,
            EngagementEvent.message_id.in_(scoped_messages(user, scope)),
            EngagementEvent.kind == "open",
            EngagementEvent.classification.in_(PERSON_CLASSES),
            EngagementEvent.counted.is_(True),
        )
    )
    cells = [[0] * 24 for _day in range(7)]
    sources = dict.fromkeys(ZONE_SOURCES, 0)
    for occurred_at, time_zone, country in db.session.execute(query):
        zone, source = _local_zone(time_zone, country)
        local = occurred_at.astimezone(zone) if zone else occurred_at
        cells[local.weekday()][local.hour] += 1
        sources[source] += 1
    return {"cells": cells, "total": sum(sources.values()), "time_zones": sources}


def _local_zone(time_zone: str | None, country: str | None) -> tuple[ZoneInfo | None, str]:
    """The zone an open is read in and where it came from: the contact, the country, or UTC."""
    zone = zone_named(time_zone)
    if zone is not None:
        return zone, "contact"
    zone = zone_named(country_zones().get((country or "").upper()))
    if zone is not None:
        return zone, "country"
    return None, "utc"


def _rate(part: int, whole: int) -> float | None:
    """A share rounded to four places, or None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def user_funnels(user: User, scope: InsightsScope) -> list[dict[str, Any]]:
    """Each user's messages counted once at each step of the funnel, with their rates."""
    counts = (
        select(Message.user_id, *funnel_counts().values())
        .where(Message.id.in_(scoped_messages(user, scope)))
        .group_by(Message.user_id)
    )
    found = {row[0]: row[1:] for row in db.session.execute(counts)}
    rows = []
    members = account_users(user.account_id)
    for member in [m for m in members if scope.user_id in (None, m.id)]:
        if not member.active and member.id not in found:
            continue
        sent, tracked_count, opened, clicked, replies = found.get(member.id, (0, 0, 0, 0, 0))
        rows.append(
            {
                "user_id": member.id,
                "name": member.display_name or member.email,
                "sent": sent,
                "tracked": tracked_count,
                "opened": opened,
                "clicked": clicked,
                "replied": replies,
                "open_rate": _rate(opened, tracked_count),
                "click_rate": _rate(clicked, tracked_count),
                "reply_rate": _rate(replies, sent),
            }
        )
    return rows


def machine_hits(user: User, scope: InsightsScope) -> dict[str, int]:
    """Hits by machines on the scope's mail, per class (never counted as people)."""
    query = (
        select(EngagementEvent.classification, func.count(EngagementEvent.id))
        .where(
            EngagementEvent.account_id == user.account_id,
            EngagementEvent.message_id.in_(scoped_messages(user, scope)),
            EngagementEvent.classification.in_(MACHINE_CLASSES),
        )
        .group_by(EngagementEvent.classification)
    )
    counted = dict(db.session.execute(query).all())
    return {name: counted.get(name, 0) for name in MACHINE_CLASSES}


def insights(user: User, scope: InsightsScope) -> dict[str, Any]:
    """Every number the insights page draws, as GET /api/v1/insights answers it."""
    per_user = user_funnels(user, scope)
    funnel = {
        step: sum(row[step] for row in per_user) for step in ("sent", "tracked", *FUNNEL_STEPS[1:])
    }
    return {
        "days": scope.days,
        "user_id": scope.user_id,
        "opens_by_hour": opens_by_hour(user, scope),
        "funnel": funnel,
        "machine_hits": machine_hits(user, scope),
        "per_user": per_user if user.is_admin else [],
    }
