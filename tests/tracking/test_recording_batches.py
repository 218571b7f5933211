"""The recorder judges a batch of hits in memory: the outcome is the same as one hit at a time."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest

from tests.tracking.helpers import CHROME_WINDOWS, GMAIL_PROXY, OUTLOOK_DESKTOP, compose
from tracklog.extensions import db
from tracklog.models import (
    EngagementEvent,
    Message,
    Notification,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from tracklog.tracking.recording import record_hits, release_held_notifications
from tracklog.webhooks.outbox import forget_cached_webhooks

PERSON_IP, OTHER_IP, SCANNER_IP = "81.2.69.142", "81.2.69.160", "94.130.51.7"


def tracked_mail(api, item_id: str, sent_at: datetime | None = None) -> Message:
    """A tracked mail with three links to one customer, sent an hour ago."""
    links = "".join(f'<a href="https://initech.example/{n}">page {n}</a>' for n in range(3))
    body = f"<body>{links}</body>"
    sent = compose(api, ["peter@initech.example"], html=body, item_id=item_id)
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    message.sent_at = sent_at or utcnow() - timedelta(hours=1)
    db.session.commit()
    return message


@pytest.fixture
def message(api, world) -> Message:
    """One tracked mail."""
    return tracked_mail(api, "draft-1")


@pytest.fixture
def start() -> datetime:
    """When the first hit of a test arrives."""
    return utcnow().replace(microsecond=0)


def hit(message: Message, kind: str, at: datetime, **facts) -> dict:
    """A journal entry as the tracking endpoints write it."""
    return {
        "hit_id": str(uuid.uuid4()),
        "kind": kind,
        "target_id": message.id,
        "link_slot": facts.get("slot", 1) if kind == "click" else 0,
        "recipient_slot": 1,
        "at": at.isoformat(),
        "method": facts.get("method", "GET"),
        "ip": facts.get("ip", PERSON_IP),
        "ua": facts.get("ua", CHROME_WINDOWS if kind == "click" else OUTLOOK_DESKTOP),
        "headers": {},
        "sender_cookie_user": None,
    }


def events_of(message: Message) -> list[EngagementEvent]:
    """The message's events, oldest first."""
    db.session.expire_all()
    query = db.select(EngagementEvent).filter_by(message_id=message.id)
    return list(db.session.scalars(query.order_by(EngagementEvent.id)))


def test_two_opens_of_one_client_in_one_batch_collapse_into_the_first(message, start):
    record_hits([hit(message, "open", start + timedelta(minutes=m)) for m in (2, 0, 1)])
    first, second, third = events_of(message)
    assert first.occurred_at == start and first.counted and first.first_human_open
    assert not second.counted and second.repeat_of_id == first.id
    assert not third.counted and third.repeat_of_id == first.id
    assert not second.first_human_open and not third.first_human_open


def test_a_repeat_in_a_later_batch_points_at_the_first_open_of_an_earlier_one(message, start):
    record_hits([hit(message, "open", start)])
    record_hits([hit(message, "open", start + timedelta(minutes=m)) for m in (1, 2)])
    first, *repeats = events_of(message)
    assert [event.repeat_of_id for event in repeats] == [first.id, first.id]
    assert [event.counted for event in repeats] == [False, False]


def test_the_first_open_is_flagged_once_across_a_batch_and_the_next(message, start):
    clients = [
        (PERSON_IP, OUTLOOK_DESKTOP),
        (OTHER_IP, CHROME_WINDOWS),
        ("66.249.84.1", GMAIL_PROXY),
    ]
    entries = [
        hit(message, "open", start + timedelta(seconds=n), ip=ip, ua=ua)
        for n, (ip, ua) in enumerate(clients)
    ]
    record_hits(entries)
    record_hits([hit(message, "open", start + timedelta(minutes=5), ip="81.2.69.200")])
    assert [event.first_human_open for event in events_of(message)] == [True, False, False, False]
    assert [event.counted for event in events_of(message)] == [True, True, True, True]
    codes = db.session.scalars(db.select(Notification.code).order_by(Notification.id))
    assert list(codes) == ["first_open"]


def test_a_burst_reclassifies_the_clicks_recorded_before_it_in_the_same_batch(message, start):
    burst = [
        hit(message, "click", start + timedelta(seconds=n), slot=n + 1, ip=SCANNER_IP)
        for n in range(3)
    ]
    person = hit(message, "click", start + timedelta(seconds=1), slot=2)
    record_hits([*burst, person])
    by_ip = {}
    for event in events_of(message):
        by_ip.setdefault(event.ip, []).append(event)
    assert {event.classification for event in by_ip[SCANNER_IP]} == {"scanner"}
    assert [event.evidence.get("reclassified", False) for event in by_ip[SCANNER_IP]] == [
        True,
        True,
        False,
    ]
    assert [event.classification for event in by_ip[PERSON_IP]] == ["human"]
    release_held_notifications(start + timedelta(minutes=1))
    codes = db.session.scalars(db.select(Notification.code))
    assert list(codes) == ["click"]


def test_a_hit_journaled_twice_in_one_batch_is_recorded_once(message, start):
    entry = hit(message, "open", start)
    assert len(record_hits([entry, dict(entry)])) == 1
    assert record_hits([dict(entry)]) == []
    assert len(events_of(message)) == 1


def outcome(message: Message, start: datetime) -> list[tuple]:
    """The message's events as comparable facts (repeats by position, times from start)."""
    events = events_of(message)
    position = {event.id: n for n, event in enumerate(events)}
    return [
        (
            event.kind,
            event.ip,
            event.classification,
            event.reason,
            event.evidence,
            event.counted,
            event.first_human_open,
            position.get(event.repeat_of_id),
            event.notify_after - start if event.notify_after else None,
        )
        for event in events
    ]


def deliveries_of(message: Message) -> list[dict]:
    """The data of the webhook deliveries about the message, in order."""
    rows = db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id))
    data = [json.loads(row.payload)["data"] for row in rows]
    return [
        {key: value for key, value in item.items() if key != "message_id"}
        for item in data
        if item["message_id"] == message.public_id
    ]


def test_a_batch_records_what_the_same_hits_one_at_a_time_record(api, world, start):
    db.session.add(
        Webhook(account_id=world.account.id, url="https://hooks.example/", events=["*"], secret="s")
    )
    db.session.commit()
    forget_cached_webhooks(world.account.id)
    sent_at = start - timedelta(hours=1)
    alone, together = tracked_mail(api, "draft-1", sent_at), tracked_mail(api, "draft-2", sent_at)

    def pattern(message: Message) -> list[dict]:
        """Opens and their repeats, a proxy, a person's clicks and a scanner's burst."""
        at = [start + timedelta(seconds=n) for n in range(0, 400, 20)]
        return [
            hit(message, "open", at[0]),
            hit(message, "open", at[1]),
            hit(message, "open", at[2], ip="66.249.84.1", ua=GMAIL_PROXY),
            hit(message, "click", at[3], slot=1),
            hit(message, "click", at[4], slot=1, ip=SCANNER_IP),
            hit(message, "click", at[4] + timedelta(seconds=1), slot=2, ip=SCANNER_IP),
            hit(message, "click", at[4] + timedelta(seconds=2), slot=0, ip=SCANNER_IP),
            hit(message, "click", at[5], slot=3, method="HEAD", ip=SCANNER_IP),
            hit(message, "open", at[6], ip=OTHER_IP),
            hit(message, "open", at[19]),
        ]

    for entry in pattern(alone):
        record_hits([entry])
    record_hits(pattern(together))
    assert outcome(together, start) == outcome(alone, start)
    assert deliveries_of(together) == deliveries_of(alone)
    assert len(deliveries_of(alone)) == 10
    db.session.expire_all()
    assert alone.last_activity_at == together.last_activity_at
    notified = db.session.scalars(db.select(Notification).order_by(Notification.id)).all()
    assert [n.code for n in notified if n.message_public_id == alone.public_id] == [
        n.code for n in notified if n.message_public_id == together.public_id
    ]
