"""When to send a contact mail: the hour they usually open it, else the start of their working day.

Three sources, tried in order, and the answer says which one it used:
1. the hours (their local time) at which the contact opened tracked mail before — people's opens
   only, at least MIN_OPENS of them; their time zone is the contact's, else the one of the country
   most of those opens came from;
2. the contact's time zone, at the start of their working day;
3. the sender's time zone, at the start of their working day (tracklog keeps no time zone per
   company or account).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.crm.fields import to_json
from tracklog.extensions import db
from tracklog.models import Contact, EngagementEvent, MessageRecipient, User, utcnow
from tracklog.models.tracking import PERSON_CLASSES

MIN_OPENS = 3
WORKDAY_START = time(9, 0)
MIN_LEAD = timedelta(minutes=10)
WEEKEND = (5, 6)
SEND_TIME_BASES = ("opens", "contact_time_zone", "sender_time_zone")


@cache
def country_zones() -> dict[str, str]:
    """The main time zone of each country, from the system's zone.tab (empty without it)."""
    zones: dict[str, str] = {}
    for folder in TZPATH:
        table = Path(folder) / "zone.tab"
        if table.is_file():
            for line in table.read_text(encoding="utf-8").splitlines():
                fields = line.split("\t")
                if len(fields) >= 3 and not line.startswith("#"):
                    zones.setdefault(fields[0], fields[2])
            break
    return zones


def zone_named(name: str | None) -> ZoneInfo | None:
    """The time zone of an IANA name, or None for an empty or unknown one."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def next_at(hour: int, zone: ZoneInfo, now: datetime) -> datetime:
    """The next weekday moment at this local hour, at least MIN_LEAD from now, in UTC."""
    local = (now + MIN_LEAD).astimezone(zone)
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate < local:
        candidate += timedelta(days=1)
    while candidate.weekday() in WEEKEND:
        candidate += timedelta(days=1)
    return candidate.astimezone(ZoneInfo("UTC"))


def contact_opens(contact: Contact) -> list[EngagementEvent]:
    """The opens people made of tracked mail to this contact (counted ones, not repeats)."""
    query = (
        select(EngagementEvent)
        .join(MessageRecipient, MessageRecipient.id == EngagementEvent.recipient_id)
        .where(
            EngagementEvent.account_id == contact.account_id,
            EngagementEvent.kind == "open",
            EngagementEvent.classification.in_(PERSON_CLASSES),
            EngagementEvent.counted.is_(True),
            MessageRecipient.email == contact.email,
        )
    )
    return list(db.session.scalars(query))


def _opens_zone(contact: Contact, opens: list[EngagementEvent]) -> tuple[ZoneInfo | None, str]:
    """The contact's time zone for reading their opens, and where it came from."""
    zone = zone_named(contact.time_zone)
    if zone is not None:
        return zone, "contact"
    countries = Counter(event.country for event in opens if event.country)
    for country, _count in countries.most_common():
        zone = zone_named(country_zones().get(country.upper()))
        if zone is not None:
            return zone, "country"
    return None, ""


def _from_opens(contact: Contact, now: datetime) -> dict[str, Any] | None:
    """The suggestion from past opens, or None with too few opens or no known time zone."""
    opens = contact_opens(contact)
    if len(opens) < MIN_OPENS:
        return None
    zone, source = _opens_zone(contact, opens)
    if zone is None:
        return None
    hours = Counter(event.occurred_at.astimezone(zone).hour for event in opens)
    best, count = min(hours.items(), key=lambda item: (-item[1], item[0]))
    where = (
        _("the contact's time zone")
        if source == "contact"
        else _("the time zone of the country their opens came from")
    )
    reason = _(
        "%(name)s opened %(count)d of %(total)d tracked mails between %(start)02d:00 and "
        "%(end)02d:00 their time (%(zone)s, %(where)s).",
        name=contact.name,
        count=count,
        total=len(opens),
        start=best,
        end=(best + 1) % 24,
        zone=zone.key,
        where=where,
    )
    return _answer(next_at(best, zone, now), zone, "opens", reason)


def _answer(at: datetime, zone: ZoneInfo, basis: str, reason: str) -> dict[str, Any]:
    """The API's answer."""
    return {
        "suggested_at": to_json(at),
        "time_zone": zone.key,
        "basis": basis,
        "reason": reason,
    }


def suggest_send_time(sender: User, contact: Contact, now: datetime | None = None) -> dict:
    """When to send this contact mail, in UTC, with the time zone used and the reason."""
    now = now or utcnow()
    suggestion = _from_opens(contact, now)
    if suggestion is not None:
        return suggestion
    hour = WORKDAY_START.hour
    zone = zone_named(contact.time_zone)
    if zone is not None:
        reason = _(
            "Too few opens by %(name)s to go by; %(hour)02d:00 on a weekday is the start of the "
            "working day in their time zone (%(zone)s).",
            name=contact.name,
            hour=hour,
            zone=zone.key,
        )
        return _answer(next_at(hour, zone, now), zone, "contact_time_zone", reason)
    zone = zone_named(sender.time_zone) or ZoneInfo("UTC")
    reason = _(
        "Neither the opens of %(name)s nor their time zone are known; %(hour)02d:00 on a weekday "
        "is the start of the working day in your time zone (%(zone)s).",
        name=contact.name,
        hour=hour,
        zone=zone.key,
    )
    return _answer(next_at(hour, zone, now), zone, "sender_time_zone", reason)
