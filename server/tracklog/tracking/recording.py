"""Turning journaled hits into engagement events: classify, collapse repeats, flag first opens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from tracklog.extensions import db
from tracklog.models import (
    Account,
    EngagementEvent,
    Message,
    MessageRecipient,
    Notification,
    SenderSighting,
    TrackedAttachment,
    TrackedLink,
    utcnow,
)
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.notify.feed import notify_event, publish
from tracklog.settings.account import open_repeat_window_seconds
from tracklog.tracking.accountrules import account_rules
from tracklog.tracking.classify import (
    Context,
    Hit,
    PriorHit,
    Rules,
    Sighting,
    Verdict,
    classify_hit,
)
from tracklog.tracking.geo import country_of
from tracklog.tracking.rulesfile import load_rules
from tracklog.tracking.useragent import describe_client
from tracklog.webhooks.outbox import enqueue_event

SIGHTINGS_WINDOW = timedelta(hours=24)
# Hits journaled just before a burst window closes may still be on their way to the database.
RELEASE_MARGIN = timedelta(seconds=1)
RELEASE_BATCH = 500


@lru_cache(maxsize=4)
def _rules_for(admin_file: str) -> Rules:
    """The built-in rules plus the admin's, loaded once per file."""
    return load_rules(admin_file if Path(admin_file).exists() else None)


def current_rules() -> Rules:
    """The rules in force: the admin's file in the instance folder first, then the built-ins."""
    return _rules_for(str(Path(current_app.instance_path) / "tracking-rules.json"))


def _message_for(
    entry: dict[str, Any], batch: Batch
) -> tuple[Message | None, TrackedAttachment | None]:
    """The message a hit is about, and the attachment for attachment views."""
    if entry["kind"] == "attachment":
        attachment = batch.load(TrackedAttachment, entry["target_id"])
        has_message = attachment is not None and attachment.message_id is not None
        return (batch.load(Message, attachment.message_id) if has_message else None), attachment
    return batch.load(Message, entry["target_id"]), None


def burst_window(rules: Rules) -> timedelta:
    """How long after a click a scanner's burst can still claim it."""
    return timedelta(seconds=rules.settings["burst_window_seconds"])


def prior_clicks_window(rules: Rules) -> timedelta:
    """How far back earlier clicks matter: the longer of the burst and honeypot windows."""
    settings = rules.settings
    return max(timedelta(minutes=settings["honeypot_memory_minutes"]), burst_window(rules))


def _context(
    message: Message | None, hit_kind: str, ip: str | None, at: datetime, rules: Rules
) -> Context:
    """What the classifier needs: send time, links, the sender's sightings and, for a click,
    the earlier clicks from the same address (bursts and honeypots are judged per address)."""
    if message is None:
        return Context(sent_at=None, link_count=0, sender_sightings=(), prior_hits=())
    sightings = db.session.scalars(
        select(SenderSighting).where(
            SenderSighting.user_id == message.user_id,
            SenderSighting.ip == (ip or ""),
            SenderSighting.seen_at >= at - SIGHTINGS_WINDOW,
        )
    )
    return Context(
        sent_at=message.sent_at,
        link_count=link_count(message),
        sender_sightings=tuple(Sighting(s.ip, s.user_agent, s.seen_at) for s in sightings),
        prior_hits=prior_clicks(message, hit_kind, ip, at, rules),
    )


def link_count(message: Message) -> int:
    """How many links of the message a person can follow (the honeypot is none)."""
    return sum(1 for link in message.links if not link.honeypot)


def prior_clicks(
    message: Message, hit_kind: str, ip: str | None, at: datetime, rules: Rules
) -> tuple[PriorHit, ...]:
    """For a click, the message's earlier clicks from the same address that a burst or the
    honeypot can still claim; nothing for other hits."""
    if hit_kind != "click" or not ip:
        return ()
    rows = db.session.execute(
        select(
            EngagementEvent.occurred_at,
            EngagementEvent.ip,
            EngagementEvent.user_agent,
            EngagementEvent.kind,
            TrackedLink.slot,
        )
        .join(TrackedLink, TrackedLink.id == EngagementEvent.link_id)
        .where(
            EngagementEvent.account_id == message.account_id,
            EngagementEvent.message_id == message.id,
            EngagementEvent.kind == "click",
            EngagementEvent.ip == ip,
            EngagementEvent.occurred_at >= at - prior_clicks_window(rules),
            EngagementEvent.occurred_at <= at,
        )
    ).all()
    return tuple(PriorHit(row[0], row[1], row[2] or "", row[3], row[4]) for row in rows)


def country_for(classification: str, ip: str | None) -> str | None:
    """The country of a hit's address; none through a proxy, whose address is the proxy's."""
    return country_of(ip) if classification != "proxy" else None


def _repeat_of(message: Message, event: EngagementEvent) -> EngagementEvent | None:
    """The open this one repeats: the same client's (and recipient's) last open within the window.

    The window slides: a client reloading every minute for an hour is one open, counted once.
    """
    window = timedelta(
        seconds=open_repeat_window_seconds(db.session.get(Account, message.account_id))
    )
    at = event.occurred_at
    query = (
        select(EngagementEvent)
        .where(
            EngagementEvent.account_id == message.account_id,
            EngagementEvent.message_id == message.id,
            EngagementEvent.occurred_at >= at - window,
            EngagementEvent.occurred_at <= at,
            EngagementEvent.kind == "open",
            EngagementEvent.classification.in_(PERSON_CLASSES),
            EngagementEvent.ip == event.ip,
            EngagementEvent.user_agent == event.user_agent,
        )
        .order_by(EngagementEvent.occurred_at.desc(), EngagementEvent.id.desc())
        .limit(1)
    )
    if event.recipient_id is not None:
        query = query.where(EngagementEvent.recipient_id == event.recipient_id)
    if event.id is not None:
        query = query.where(EngagementEvent.id < event.id)
    return db.session.scalar(query)


def _collapse_open(message: Message, event: EngagementEvent, first_open_known: bool) -> bool:
    """Count a person's open once per client within the window, and flag the message's first;
    whether a first open is known after this one."""
    repeat = _repeat_of(message, event)
    if repeat is not None:
        event.counted = False
        event.repeat_of_id = repeat.repeat_of_id or repeat.id
        return first_open_known
    if not first_open_known:
        event.first_human_open = True
    return True


def recount_opens(message: Message) -> None:
    """Collapse the message's opens by people again, oldest first, as the recorder does one by
    one: after a re-classification moved some between a person's class and a machine's."""
    opens = db.session.scalars(
        select(EngagementEvent)
        .where(
            EngagementEvent.account_id == message.account_id,
            EngagementEvent.message_id == message.id,
            EngagementEvent.kind == "open",
        )
        .order_by(EngagementEvent.occurred_at, EngagementEvent.id)
    ).all()
    for event in opens:
        event.counted, event.repeat_of_id, event.first_human_open = True, None, False
    db.session.flush()
    first_open_known = False
    for event in opens:
        if event.classification in PERSON_CLASSES:
            first_open_known = _collapse_open(message, event, first_open_known)
            db.session.flush()


@dataclass
class Batch:
    """What one batch of hits shares: the rules, the rows it loaded (held, so the session's weak
    identity map does not drop and reload them for every hit), and which messages have a first
    open already."""

    rules: Rules  # the files' rules; each account's own come first (rules_for)
    first_open: dict[int, bool] = field(default_factory=dict)
    loaded: dict[tuple[type, int], Any] = field(default_factory=dict)
    last_activity: dict[int, datetime] = field(default_factory=dict)

    def load(self, model: type, row_id: int) -> Any:
        """A row by id, loaded once per batch."""
        key = (model, row_id)
        if key not in self.loaded:
            self.loaded[key] = db.session.get(model, row_id)
        return self.loaded[key]

    def rules_for(self, account_id: int) -> Rules:
        """The rules an account's hits are classified by: its own first, then the files'."""
        return account_rules().rules_for(account_id, self.rules)

    def has_first_open(self, message: Message) -> bool:
        """Whether a person's first open of the message is recorded (asked once per batch)."""
        if message.id not in self.first_open:
            query = select(EngagementEvent.id).where(
                EngagementEvent.account_id == message.account_id,
                EngagementEvent.message_id == message.id,
                EngagementEvent.first_human_open.is_(True),
            )
            self.first_open[message.id] = db.session.scalar(query.limit(1)) is not None
        return self.first_open[message.id]


def _recipient(message: Message | None, slot: int) -> MessageRecipient | None:
    """The tracked recipient a token's slot names (None for anonymous tracking)."""
    if message is None or slot == 0:
        return None
    return next((r for r in message.recipients if r.slot == slot), None)


def _link(message: Message | None, slot: int | None) -> TrackedLink | None:
    """The link a click token's slot names."""
    if message is None or slot is None:
        return None
    return next((link for link in message.links if link.slot == slot), None)


def _burst_start(verdict: Verdict, at: datetime, rules: Rules) -> datetime | None:
    """Since when the same address's clicks belong to the scanner this verdict found, if any:
    the start of a burst of links, or the burst window before the hidden honeypot link."""
    since = verdict.evidence.get("burst_started_at")
    if since:
        return datetime.fromisoformat(since)
    if verdict.rule == "honeypot-link":
        return at - burst_window(rules)
    return None


def _reclassify_burst(
    message: Message, verdict: Verdict, entry: dict, at: datetime, rules: Rules
) -> None:
    """Earlier clicks of a scanner's burst are machine hits too, once the burst is seen."""
    if verdict.classification != "scanner" or entry["kind"] != "click":
        return
    since = _burst_start(verdict, at, rules)
    if since is None:
        return
    earlier = db.session.scalars(
        select(EngagementEvent).where(
            EngagementEvent.account_id == message.account_id,
            EngagementEvent.message_id == message.id,
            EngagementEvent.kind == "click",
            EngagementEvent.ip == entry.get("ip"),
            EngagementEvent.occurred_at >= since,
            EngagementEvent.classification == "human",
        )
    )
    for event in earlier:
        event.classification = "scanner"
        event.reason = verdict.reason
        event.evidence = {**verdict.evidence, "reclassified": True}


def record_entry(entry: dict[str, Any], batch: Batch) -> EngagementEvent | None:
    """One journaled hit as an engagement event (None when its message no longer exists)."""
    message, attachment = _message_for(entry, batch)
    if message is None and attachment is None:
        return None
    account_id = message.account_id if message else attachment.account_id
    at = datetime.fromisoformat(entry["at"])
    link = _link(message, entry.get("link_slot")) if entry["kind"] == "click" else None
    recipient = _recipient(message, entry.get("recipient_slot", 0))
    sender_id = message.user_id if message else attachment.user_id
    hit = Hit(
        kind=entry["kind"],
        at=at,
        method=entry.get("method", "GET"),
        ip=entry.get("ip"),
        user_agent=entry.get("ua", ""),
        headers=entry.get("headers", {}),
        sender_cookie=entry.get("sender_cookie_user") == sender_id,
        link_slot=link.slot if link else None,
        honeypot=bool(link and link.honeypot),
    )
    rules = batch.rules_for(account_id)
    verdict = classify_hit(hit, _context(message, hit.kind, hit.ip, at, rules), rules)
    client = describe_client(hit.user_agent)
    event = EngagementEvent(
        account_id=account_id,
        hit_id=entry["hit_id"],
        message_id=message.id if message else None,
        kind=entry["kind"],
        recipient_id=recipient.id if recipient else None,
        link_id=link.id if link else None,
        attachment_id=attachment.id if attachment else None,
        occurred_at=at,
        method=hit.method,
        ip=hit.ip,
        country=country_for(verdict.classification, hit.ip),
        device=client.device,
        client=client.client[:120],
        user_agent=hit.user_agent[:1000],
        headers=dict(hit.headers),
        classification=verdict.classification,
        reason=verdict.reason[:500],
        evidence=verdict.evidence | {"rule": verdict.rule},
    )
    if message is not None:
        if entry["kind"] == "open" and verdict.classification in PERSON_CLASSES:
            known = batch.has_first_open(message)
            batch.first_open[message.id] = _collapse_open(message, event, known)
        _reclassify_burst(message, verdict, entry, at, rules)
        batch.last_activity[message.id] = max(at, batch.last_activity.get(message.id, at))
    db.session.add(event)
    db.session.flush()
    return event


def _notify_or_hold(event: EngagementEvent, batch: Batch) -> Notification | None:
    """The event's notification now, or for a person's click none yet: the click is held until
    no scanner burst can claim it any more (release_held_notifications sends it then)."""
    if event.kind == "click" and event.classification in PERSON_CLASSES:
        event.notify_after = event.occurred_at + burst_window(batch.rules) + RELEASE_MARGIN
        return None
    return notify_event(event, batch.load)


def release_held_notifications(now: datetime | None = None) -> datetime | None:
    """Notify the held clicks whose burst window has passed and that are still a person's;
    commits, publishes, and answers when the next held click is due (None when none is held)."""
    due_ids = list(
        db.session.scalars(
            select(EngagementEvent.id)
            .where(EngagementEvent.notify_after <= (now or utcnow()))
            .order_by(EngagementEvent.notify_after, EngagementEvent.id)
            .limit(RELEASE_BATCH)
        )
    )
    notifications = [notify_event(event) for event in _claim(due_ids)]
    db.session.commit()
    publish([notification for notification in notifications if notification is not None])
    return db.session.scalar(select(func.min(EngagementEvent.notify_after)))


def _claim(event_ids: list[int]) -> list[EngagementEvent]:
    """The held events this process releases: a parallel recorder that claimed one first wins."""
    if not event_ids:
        return []
    claimed = db.session.scalars(
        update(EngagementEvent)
        .where(EngagementEvent.id.in_(event_ids), EngagementEvent.notify_after.is_not(None))
        .values(notify_after=None)
        .returning(EngagementEvent.id)
        .execution_options(synchronize_session=False)
    ).all()
    query = select(EngagementEvent).where(EngagementEvent.id.in_(claimed))
    return list(db.session.scalars(query.order_by(EngagementEvent.occurred_at)))


def record_hits(entries: list[dict[str, Any]]) -> list[EngagementEvent]:
    """Record a batch of journaled hits in one transaction; hits already recorded are skipped."""
    ids = [entry["hit_id"] for entry in entries]
    known = set(
        db.session.scalars(select(EngagementEvent.hit_id).where(EngagementEvent.hit_id.in_(ids)))
    )
    batch = Batch(current_rules())
    recorded, notifications = [], []
    for entry in sorted(entries, key=lambda item: item["at"]):
        if entry["hit_id"] in known:
            continue
        event = record_entry(entry, batch)
        known.add(entry["hit_id"])
        if event is not None:
            recorded.append(event)
            enqueue_event(event, batch.load)
            notifications.append(_notify_or_hold(event, batch))
    for message_id, at in batch.last_activity.items():
        message = batch.load(Message, message_id)
        message.last_activity_at = max(filter(None, [message.last_activity_at, at]))
    db.session.commit()
    publish([notification for notification in notifications if notification is not None])
    return recorded
