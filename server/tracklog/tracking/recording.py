"""Turning journaled hits into engagement events: classify, collapse repeats, flag first opens."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Table, bindparam, func, insert, select, update

from tracklog.extensions import db
from tracklog.models import (
    Account,
    Contact,
    EngagementEvent,
    Message,
    MessageRecipient,
    TrackedAttachment,
    TrackedLink,
    User,
    WebhookDelivery,
    utcnow,
)
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.notify.feed import announce, announcements, notify_event
from tracklog.settings.account import open_repeat_window_seconds
from tracklog.tracking.accountrules import account_rules
from tracklog.tracking.classify import (
    Context,
    Hit,
    PriorHit,
    RuleMatcher,
    Rules,
    Verdict,
    classify_hit,
)
from tracklog.tracking.geo import country_of
from tracklog.tracking.recent import RecentHits
from tracklog.tracking.rulesfile import load_rules
from tracklog.tracking.useragent import describe_client
from tracklog.webhooks.outbox import engagement_delivery_rows

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
    message: Message | None, hit_kind: str, ip: str | None, at: datetime, batch: HitBatch
) -> Context:
    """What the classifier needs: send time, links, the sender's sightings and, for a click,
    the earlier clicks from the same address (bursts and honeypots are judged per address)."""
    if message is None:
        return Context(sent_at=None, link_count=0, sender_sightings=(), prior_hits=())
    recent, slots = batch.recent, batch.slots_of(message)
    window = prior_clicks_window(batch.rules_for(message.account_id))
    return Context(
        sent_at=message.sent_at,
        link_count=slots.link_count,
        sender_sightings=recent.sender_sightings(message.user_id, ip, at),
        prior_hits=recent.prior_clicks(message.id, slots.link_slots, ip, at, window)
        if hit_kind == "click" and ip
        else (),
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


def repeat_window(account: Account) -> timedelta:
    """How long the same client's opens of a message count once (the window slides: a client
    reloading every minute for an hour is one open, counted once)."""
    return timedelta(seconds=open_repeat_window_seconds(account))


def _collapse_open(
    event: EngagementEvent | NewEvent, recent: RecentHits, window: timedelta, first_open_known: bool
) -> bool:
    """Count a person's open once per client within the window, and flag the message's first;
    whether a first open is known after this one."""
    repeat = recent.repeated_open(event, window)
    if repeat is not None:
        recent.mark_repeat(event, repeat)
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
    recent, window = RecentHits(), repeat_window(db.session.get(Account, message.account_id))
    first_open_known = False
    for event in opens:
        event.counted, event.repeat_of_id, event.first_human_open = True, None, False
        if event.classification in PERSON_CLASSES:
            first_open_known = _collapse_open(event, recent, window, first_open_known)
            recent.add(event)
    db.session.flush()


@dataclass(eq=False, slots=True)
class NewEvent:
    """An engagement event the recorder made, as a plain record until and after its INSERT
    (building thousands of ORM objects took a third of the recorder's time). Its fields are
    the columns of engagement_event; notifications and webhooks read it like a stored event."""

    account_id: int
    hit_id: str
    message_id: int | None
    kind: str
    recipient_id: int | None
    link_id: int | None
    attachment_id: int | None
    occurred_at: datetime
    method: str
    ip: str | None
    country: str | None
    device: str
    client: str
    user_agent: str
    headers: dict | None
    classification: str
    reason: str
    evidence: dict
    counted: bool = True
    first_human_open: bool = False
    repeat_of_id: int | None = None
    notify_after: datetime | None = None
    id: int | None = None


@dataclass
class Batch:
    """What one pass over hits shares: the rules and the rows it loaded (held, so the session's
    weak identity map does not drop and reload them for every hit)."""

    rules: Rules  # the files' rules; each account's own come first (rules_for)
    loaded: dict[tuple[type, int], Any] = field(default_factory=dict)
    matchers: dict[int, RuleMatcher] = field(default_factory=dict)

    def load(self, model: type, row_id: int) -> Any:
        """A row by id, loaded once per batch."""
        key = (model, row_id)
        if key not in self.loaded:
            self.loaded[key] = db.session.get(model, row_id)
        return self.loaded[key]

    def load_all(self, model: type, row_ids: set[int]) -> list[Any]:
        """Rows by id in one query, held like load's (a missing id is remembered as None)."""
        wanted = {row_id for row_id in row_ids if (model, row_id) not in self.loaded}
        if wanted:
            self.loaded.update(((model, row_id), None) for row_id in wanted)
            for row in db.session.scalars(select(model).where(model.id.in_(wanted))):
                self.loaded[(model, row.id)] = row
        return [row for row_id in row_ids if (row := self.loaded[(model, row_id)]) is not None]

    def rules_for(self, account_id: int) -> Rules:
        """The rules an account's hits are classified by: its own first, then the files'."""
        return self.matcher_for(account_id).rules

    def matcher_for(self, account_id: int) -> RuleMatcher:
        """The account's rules with what this batch learnt of them (read once per batch)."""
        matcher = self.matchers.get(account_id)
        if matcher is None:
            rules = account_rules().rules_for(account_id, self.rules)
            matcher = self.matchers[account_id] = RuleMatcher(rules)
        return matcher


@dataclass
class HitBatch(Batch):
    """One batch of journaled hits: what it loaded up front, what earlier hits it can see, which
    messages have a person's first open, and each message's latest activity."""

    recent: RecentHits = field(default_factory=RecentHits)
    slots: dict[int, MessageSlots] = field(default_factory=dict)
    first_open: set[int] = field(default_factory=set)
    windows: dict[int, timedelta] = field(default_factory=dict)
    last_activity: dict[int, datetime] = field(default_factory=dict)

    def prepare(self, entries: list[dict[str, Any]]) -> None:
        """Load, in a few queries, every row the entries (oldest first) will read."""
        kinds = {"attachment": set(), "message": set()}
        for entry in entries:
            kinds["attachment" if entry["kind"] == "attachment" else "message"].add(
                entry["target_id"]
            )
        attachments = self.load_all(TrackedAttachment, kinds["attachment"])
        shared = {attachment.message_id for attachment in attachments} - {None}
        messages = self.load_all(Message, kinds["message"] | shared)
        accounts = self.load_all(Account, {row.account_id for row in [*messages, *attachments]})
        for message in messages:
            self.loaded.update(((TrackedLink, link.id), link) for link in message.links)
        self.windows = {account.id: repeat_window(account) for account in accounts}
        self.first_open = self._first_opens(messages)
        clicks_window = max(
            (prior_clicks_window(self.rules_for(account.id)) for account in accounts),
            default=timedelta(0),
        )
        opens_window = max(self.windows.values(), default=timedelta(0))
        self.recent = RecentHits.around(entries, messages, clicks_window, opens_window)

    def slots_of(self, message: Message) -> MessageSlots:
        """The message's recipients and links by slot."""
        slots = self.slots.get(message.id)
        if slots is None:
            slots = self.slots[message.id] = MessageSlots.of(message)
        return slots

    def prepare_notifications(self, events: list[NewEvent]) -> None:
        """Load the senders and named recipients that the events' notifications mention."""
        messages = [self.loaded[(Message, e.message_id)] for e in events if e.message_id]
        self.load_all(User, {message.user_id for message in messages})
        recipients = {e.recipient_id for e in events if e.recipient_id is not None}
        contacts = {
            recipient.contact_id
            for message in messages
            for recipient in message.recipients
            if recipient.id in recipients and recipient.contact_id is not None
        }
        self.load_all(Contact, contacts)

    @staticmethod
    def _first_opens(messages: list[Message]) -> set[int]:
        """Which of the messages have a person's first open recorded."""
        if not messages:
            return set()
        query = select(EngagementEvent.message_id).where(
            EngagementEvent.account_id.in_({message.account_id for message in messages}),
            EngagementEvent.message_id.in_({message.id for message in messages}),
            EngagementEvent.first_human_open.is_(True),
        )
        return set(db.session.scalars(query.distinct()))


@dataclass(frozen=True, slots=True)
class MessageSlots:
    """A message's recipients and links by the slots tokens name, read once per batch."""

    recipients: dict[int, MessageRecipient]
    links: dict[int, TrackedLink]
    link_slots: dict[int, int]  # link id → slot
    link_count: int

    @classmethod
    def of(cls, message: Message) -> MessageSlots:
        """The message's slots (of two rows with one slot, the first)."""
        recipients: dict[int, MessageRecipient] = {}
        links: dict[int, TrackedLink] = {}
        for recipient in message.recipients:
            recipients.setdefault(recipient.slot, recipient)
        for link in message.links:
            links.setdefault(link.slot, link)
        return cls(
            recipients,
            links,
            {link.id: link.slot for link in message.links},
            link_count(message),
        )


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
    message: Message, verdict: Verdict, entry: dict, at: datetime, batch: HitBatch
) -> None:
    """Earlier clicks of a scanner's burst are machine hits too, once the burst is seen."""
    if verdict.classification != "scanner" or entry["kind"] != "click":
        return
    since = _burst_start(verdict, at, batch.rules_for(message.account_id))
    if since is None:
        return
    for event in batch.recent.human_clicks_since(message.id, entry.get("ip"), since):
        event.classification = "scanner"
        event.reason = verdict.reason
        event.evidence = {**verdict.evidence, "reclassified": True}


def record_entry(entry: dict[str, Any], batch: HitBatch) -> NewEvent | None:
    """One journaled hit as an engagement event (None when its message no longer exists)."""
    message, attachment = _message_for(entry, batch)
    if message is None and attachment is None:
        return None
    account_id = message.account_id if message else attachment.account_id
    at = datetime.fromisoformat(entry["at"])
    slots = batch.slots_of(message) if message else None
    link = slots.links.get(entry.get("link_slot")) if slots and entry["kind"] == "click" else None
    recipient_slot = entry.get("recipient_slot", 0)
    # Slot 0 is anonymous tracking: no recipient.
    recipient = slots.recipients.get(recipient_slot) if slots and recipient_slot else None
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
    matcher = batch.matcher_for(account_id)
    context = _context(message, hit.kind, hit.ip, at, batch)
    verdict = classify_hit(hit, context, matcher.rules, matcher)
    client = describe_client(hit.user_agent)
    event = NewEvent(
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
            window, known = batch.windows[account_id], message.id in batch.first_open
            if _collapse_open(event, batch.recent, window, known):
                batch.first_open.add(message.id)
        _reclassify_burst(message, verdict, entry, at, batch)
        batch.last_activity[message.id] = max(at, batch.last_activity.get(message.id, at))
    batch.recent.add(event)
    return event


def _held(event: NewEvent, batch: Batch) -> bool:
    """Whether the event's notification waits: a person's click is held until no scanner burst
    can claim it any more (release_held_notifications sends it then)."""
    if event.kind == "click" and event.classification in PERSON_CLASSES:
        event.notify_after = event.occurred_at + burst_window(batch.rules) + RELEASE_MARGIN
        return True
    return False


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
    announced = announcements([item for item in notifications if item is not None])
    db.session.commit()
    announce(announced)
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


def _fresh(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries not recorded yet, each hit once, oldest first."""
    ids = [entry["hit_id"] for entry in entries]
    known = set(
        db.session.scalars(select(EngagementEvent.hit_id).where(EngagementEvent.hit_id.in_(ids)))
    )
    fresh = []
    for entry in sorted(entries, key=lambda item: item["at"]):
        if entry["hit_id"] not in known:
            known.add(entry["hit_id"])
            fresh.append(entry)
    return fresh


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows with the same keys in one statement: COPY on PostgreSQL (the fastest way in;
    a measured hot path, so the statement is written here), an executemany elsewhere."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    # COPY knows no Python-side defaults: the columns left out get theirs here.
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.default is not None and column.name not in rows[0]
    }
    if defaults:
        names += list(defaults)
        rows = [
            row | {name: d.arg(None) if d.is_callable else d.arg for name, d in defaults.items()}
            for row in rows
        ]
    # The values as an INSERT would bind them: timestamps in UTC, JSON as text.
    processors = [_copy_processor(table.c[name].type, connection.dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = (row[name] for name in names)
            copy.write_row([p(v) if p else v for p, v in zip(processors, values, strict=True)])


def _copy_processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """How COPY takes a column's value (psycopg adapts JSON only as a bound parameter)."""
    if isinstance(column_type, JSON):
        return json.dumps
    return column_type.bind_processor(dialect)


def _insert_events(events: list[NewEvent], recent: RecentHits) -> None:
    """Insert the batch's events with one statement, give each its id, and point repeats at
    first opens of the same batch."""
    if not events:
        return
    table = EngagementEvent.__table__
    columns = [column.key for column in table.columns if not column.primary_key]
    insert_rows(table, [{key: getattr(event, key) for key in columns} for event in events])
    ids = dict(
        db.session.execute(
            select(EngagementEvent.hit_id, EngagementEvent.id).where(
                EngagementEvent.hit_id.in_([event.hit_id for event in events])
            )
        ).all()
    )
    for event in events:
        event.id = ids[event.hit_id]
    links = []
    for event, root in recent.roots.items():
        event.repeat_of_id = root.id
        links.append({"event_id": event.id, "root_id": root.id})
    if links:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("event_id"))
            .values(repeat_of_id=bindparam("root_id")),
            links,
        )


def record_hits(entries: list[dict[str, Any]]) -> list[NewEvent]:
    """Record a batch of journaled hits in one transaction; hits already recorded are skipped.

    The hits are judged one by one, oldest first, against what the batch loaded up front and
    the events it made before (see recent.py); the events and their webhook deliveries are
    then inserted with one statement each.
    """
    fresh = _fresh(entries)
    batch = HitBatch(current_rules())
    batch.prepare(fresh)
    recorded, to_notify, deliveries = [], [], []
    with db.session.no_autoflush:
        for entry in fresh:
            event = record_entry(entry, batch)
            if event is not None:
                recorded.append(event)
                deliveries += engagement_delivery_rows(event, batch.load)
                if not _held(event, batch):
                    to_notify.append(event)
    db.session.flush()  # the earlier clicks a burst reclassified
    _insert_events(recorded, batch.recent)
    insert_rows(WebhookDelivery.__table__, deliveries)
    # Only a person's clicks change later in a batch (a burst), and those are held: every
    # event notified here reads as it did when it was recorded.
    batch.prepare_notifications(to_notify)
    with db.session.no_autoflush:
        notifications = [notify_event(event, batch.load) for event in to_notify]
    for message_id, at in batch.last_activity.items():
        message = batch.load(Message, message_id)
        message.last_activity_at = max(filter(None, [message.last_activity_at, at]))
    announced = announcements([item for item in notifications if item is not None])
    db.session.commit()
    announce(announced)
    return recorded
