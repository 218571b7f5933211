"""The demo's engagement, made by the product's own functions so every page shows true data.

Tracked mail gets hits through the recorder (so classification, reasons, counts and
notifications are real): people opening in Outlook and on an iPhone, a Gmail image proxy, Apple's
privacy prefetch, a Safe Links scanner burst, people clicking, and replies. The salespeople get
tasks (overdue, due today, next week), calls and meetings on their records, a mail that was not
logged, and unread notifications.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from tracklog.crm.activities import Creator, add_task, log_call, log_meeting
from tracklog.extensions import db
from tracklog.maillog.ingest import ingest_now
from tracklog.models import Activity, Message, MessageRecipient, User
from tracklog.tracking.compose import assign_links, new_public_id
from tracklog.tracking.recording import record_hits
from tracklog.tracking.replies import record_reply
from tracklog.tracking.rewrite import find_links

if TYPE_CHECKING:
    from tracklog.demo import DealPlan, DemoSeeder, TrackedMail

ENGAGEMENT_SEED = 20240918
OUTLOOK_DESKTOP = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/126.0.0.0"
IPHONE_MAIL = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
APPLE_PREFETCH = "Mozilla/5.0"
# Home and office networks by the contact's time zone, in each region's own address space.
PEOPLE_NETWORKS = {
    "Europe/Stockholm": "81.229",
    "Asia/Tokyo": "126.10",
    "Europe/London": "86.150",
    "Europe/Berlin": "84.150",
    "Europe/Madrid": "88.10",
}
US_NETWORK = "73.10"
GMAIL_PROXY_NETWORK = "66.249.84"
APPLE_RELAY_NETWORK = "17.58.100"
SAFE_LINKS_NETWORK = "40.107.22"
# How each tracked mail with opens is read, in turn, so that every kind of hit is shown.
READERS = ("outlook", "gmail", "iphone", "safe_links", "outlook_web")
LATEST_HIT = timedelta(minutes=5)
MAX_OPENS = 2
QUOTE_NOTES = "They asked for annual billing and ten more seats."
DEMO_NOTES = "Show the reporting and the Outlook add-in."
CHECK_IN_NOTES = "Ask whether procurement has what it needs."


@dataclass
class Reader:
    """Who reads a mail and how: the agents for opens and clicks and the address they come from."""

    open_agent: str
    click_agent: str
    ip: str


def seed_tracking(seeder: DemoSeeder) -> None:
    """Tracked mail with hits and replies, tasks, calls, meetings and a mail that was not logged."""
    rng = random.Random(ENGAGEMENT_SEED)
    replies = reply_times(seeder)
    messages = {tracked.activity.id: tracked_message(seeder, tracked) for tracked in seeder.tracked}
    db.session.flush()
    entries: list[dict[str, Any]] = []
    for index, tracked in enumerate(seeder.tracked):
        message, reply_at = messages[tracked.activity.id], replies.get(tracked.activity.id)
        entries += hits_for(seeder, rng, message, tracked, READERS[index % len(READERS)], reply_at)
    bring_close_dates_near(seeder, rng)
    plans = [(user.id, activity_plan(seeder, user)) for user in seeder.users]
    # Everything above reads the seeder's rows; the recorder's commit expires them.
    record_replies(seeder, replies, messages)
    record_hits(entries)
    for user_id, plan in plans:
        hand_made_activities(db.session.get(User, user_id), plan)
    not_logged_mail(seeder)


def tracked_message(seeder: DemoSeeder, tracked: TrackedMail) -> Message:
    """The compose flow's record of a demo mail: one tracked recipient, its links, the honeypot."""
    activity, person = tracked.activity, tracked.recipient
    message = Message(
        account_id=seeder.account.id,
        public_id=new_public_id(),
        user_id=activity.owner_id,
        subject=activity.subject,
        client_host="outlook-desktop",
        tracking="individual",
        sent_at=activity.occurred_at,
        activity_id=activity.id,
        recipients=[
            MessageRecipient(
                account_id=seeder.account.id,
                slot=1,
                email=person.email,
                contact_id=person.id,
                track=True,
                log=True,
            )
        ],
    )
    db.session.add(message)
    assign_links(message, find_links(activity.body_html))
    return message


def person_ip(rng: random.Random, tracked: TrackedMail) -> str:
    """An address in the region where the recipient lives."""
    network = PEOPLE_NETWORKS.get(tracked.recipient.time_zone or "", US_NETWORK)
    return f"{network}.{rng.randint(1, 250)}.{rng.randint(2, 250)}"


def reader_of(rng: random.Random, style: str, tracked: TrackedMail) -> Reader:
    """The agents and address of one kind of reader."""
    ip = person_ip(rng, tracked)
    if style == "gmail":
        return Reader(GMAIL_PROXY, CHROME_WINDOWS, f"{GMAIL_PROXY_NETWORK}.{rng.randint(2, 250)}")
    if style == "iphone":
        return Reader(IPHONE_MAIL, IPHONE_SAFARI, ip)
    if style == "outlook_web":
        return Reader(EDGE_WINDOWS, EDGE_WINDOWS, ip)
    return Reader(OUTLOOK_DESKTOP, CHROME_WINDOWS, ip)


def hit(message: Message, kind: str, at: datetime, agent: str, ip: str, slot: int | None = None):
    """One journaled hit, as the tracking endpoints write it."""
    return {
        "hit_id": str(uuid.uuid4()),
        "kind": kind,
        "target_id": message.id,
        "link_slot": slot,
        "recipient_slot": 1,
        "at": at.isoformat(),
        "method": "GET",
        "ip": ip,
        "ua": agent,
        "headers": {},
        "sender_cookie_user": None,
    }


def hits_for(
    seeder: DemoSeeder,
    rng: random.Random,
    message: Message,
    tracked: TrackedMail,
    style: str,
    reply_at: datetime | None,
) -> list[dict[str, Any]]:
    """The hits one mail receives: machines at delivery, then the person's opens and clicks."""
    sent, latest = message.sent_at, seeder.now - LATEST_HIT
    links = [link for link in message.links if not link.honeypot]
    honeypot = next(link for link in message.links if link.honeypot)
    hits = []
    if style == "safe_links":
        at = sent + timedelta(seconds=rng.randint(2, 4))
        agent, ip = EDGE_WINDOWS, f"{SAFE_LINKS_NETWORK}.{rng.randint(2, 250)}"
        for offset, link in enumerate([*links, honeypot]):
            hits.append(hit(message, "click", at + timedelta(seconds=offset), agent, ip, link.slot))
    if style == "iphone" and tracked.opens_after:
        relay = f"{APPLE_RELAY_NETWORK}.{rng.randint(2, 250)}"
        prefetch_at = sent + timedelta(minutes=rng.randint(1, 9))
        hits.append(hit(message, "open", prefetch_at, APPLE_PREFETCH, relay))
    reader = reader_of(rng, style, tracked)
    opens = [sent + after for after in tracked.opens_after[:MAX_OPENS]]
    if opens and reply_at is not None:
        opens[0] = min(opens[0], reply_at - timedelta(minutes=7))
    hits += [hit(message, "open", at, reader.open_agent, reader.ip) for at in opens if at < latest]
    for url in tracked.clicked_urls:
        link = next(link for link in links if link.url == url)
        at = opens[0] + timedelta(minutes=rng.randint(1, 6))
        if at < latest:
            hits.append(hit(message, "click", at, reader.click_agent, reader.ip, link.slot))
    return hits


def reply_times(seeder: DemoSeeder) -> dict[int, datetime]:
    """For each outgoing mail answered in its thread: when the answer came."""
    threads: dict[str, list[Activity]] = {}
    for entry in seeder.timeline:
        if entry.activity.type == "email":
            threads.setdefault(entry.activity.thread_key, []).append(entry.activity)
    replies = {}
    for mails in threads.values():
        mails.sort(key=lambda mail: mail.occurred_at)
        for earlier, later in zip(mails, mails[1:], strict=False):
            if earlier.direction == "outgoing" and later.direction == "incoming":
                replies[earlier.id] = later.occurred_at
    return replies


def record_replies(
    seeder: DemoSeeder, replies: dict[int, datetime], messages: dict[int, Message]
) -> None:
    """Each answered tracked mail is marked replied, with its reply event and notification."""
    for tracked in seeder.tracked:
        reply_at = replies.get(tracked.activity.id)
        if reply_at is not None:
            message = messages[tracked.activity.id]
            hit_id = f"reply:demo-{tracked.activity.id}"
            record_reply(message, tracked.recipient.email, reply_at, hit_id, {})


def bring_close_dates_near(seeder: DemoSeeder, rng: random.Random) -> None:
    """Each salesperson's first open deal closes within two weeks: the start page shows it."""
    firsts: dict[int, DealPlan] = {}
    for plan in seeder.deals:
        if plan.stage.kind == "open":
            firsts.setdefault(plan.deal.owner_id, plan)
    for plan in firsts.values():
        plan.deal.close_date = seeder.now.date() + timedelta(days=rng.randint(3, 14))


def open_deals_of(seeder: DemoSeeder, user: User) -> list[DealPlan]:
    """The user's open demo deals, or every open deal when the user owns none."""
    open_plans = [plan for plan in seeder.deals if plan.stage.kind == "open"]
    return [plan for plan in open_plans if plan.deal.owner_id == user.id] or open_plans


def activity_plan(seeder: DemoSeeder, user: User) -> list[tuple[Creator, str, int, dict]]:
    """A salesperson's tasks (overdue, due today, next week), a call and a meeting, as calls."""
    plans = open_deals_of(seeder, user)
    first, last = plans[0], plans[-1]
    person = first.people[0]
    planned: list[tuple[Creator, str, int, dict]] = []
    for title, notes, plan, days in (
        (f"Send the revised quote to {person.name}", QUOTE_NOTES, first, -2),
        (f"Prepare the {first.product.lower()} demo", DEMO_NOTES, first, 0),
        (f"Check in with {last.people[0].name}", CHECK_IN_NOTES, last, 6),
    ):
        due = (seeder.now + timedelta(days=days)).replace(hour=15, minute=0, second=0)
        task = {"title": title, "notes": notes, "due_at": due.isoformat()}
        planned.append((add_task, "deal", plan.deal.id, task))
    call = {
        "outcome": "connected",
        "duration_minutes": 20,
        "occurred_at": seeder.ago(3).isoformat(),
        "notes": "Went through the proposal; they want a pilot with ten seats first.",
    }
    planned.append((log_call, "contact", person.id, call))
    starts = seeder.ago(6).replace(hour=9, minute=0, second=0)
    meeting = {
        "title": f"Presentation of {first.product.lower()}",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "attendees": [p.email for p in first.people],
        "notes": "Demo of the reporting features to the team.",
    }
    planned.append((log_meeting, "deal", first.deal.id, meeting))
    return planned


def hand_made_activities(user: User, planned: list[tuple[Creator, str, int, dict]]) -> None:
    """Create the user's planned tasks, calls and meetings as the record page would."""
    for create, record_type, record_id, fields in planned:
        create(user, record_type, record_id, fields)


def not_logged_mail(seeder: DemoSeeder) -> None:
    """A mail sent with the logging address to a colleague only: internal mail is not logged."""
    sender, colleague = seeder.users[0], seeder.users[1]
    mail = EmailMessage()
    mail["From"] = f"{sender.display_name} <{sender.email}>"
    mail["To"] = f"{colleague.display_name} <{colleague.email}>"
    mail["Subject"] = "Notes for the quarterly review"
    mail["Date"] = format_datetime(seeder.ago(1))
    mail["Message-ID"] = "<demo-internal@demo.example>"
    mail.set_content("Here are my notes for Thursday's review.")
    ingest_now(seeder.account.id, mail.as_bytes(), "smtp")
