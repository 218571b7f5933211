"""A person's click notifies once its burst window has passed; no hit of a scanner burst does."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from tests.tracking.helpers import CHROME_WINDOWS, OUTLOOK_DESKTOP, compose
from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, Notification, utcnow
from tracklog.notify.feed import feed_after
from tracklog.tracking.recording import current_rules, record_hits, release_held_notifications

PERSON_IP, SCANNER_IP = "81.2.69.142", "94.130.51.7"


@pytest.fixture
def message(api, world) -> Message:
    """A tracked mail with four links to one customer, sent an hour ago."""
    links = "".join(f'<a href="https://initech.example/{n}">page {n}</a>' for n in range(4))
    sent = compose(api, ["peter@initech.example"], html=f"<body>{links}</body>")
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    message.sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return message


@pytest.fixture
def start() -> datetime:
    """When the first hit of a test arrives."""
    return utcnow().replace(microsecond=0)


def hit(message: Message, kind: str, at: datetime, slot: int = 1, ip: str = PERSON_IP) -> dict:
    """A journal entry as the tracking endpoints write it."""
    return {
        "hit_id": str(uuid.uuid4()),
        "kind": kind,
        "target_id": message.id,
        "link_slot": slot if kind == "click" else 0,
        "recipient_slot": 1,
        "at": at.isoformat(),
        "method": "GET",
        "ip": ip,
        "ua": CHROME_WINDOWS if kind == "click" else OUTLOOK_DESKTOP,
        "headers": {"accept-language": "en-GB,en;q=0.9"},
        "sender_cookie_user": None,
    }


def window() -> timedelta:
    """The burst window of the rules in force."""
    return timedelta(seconds=current_rules().settings["burst_window_seconds"])


def notifications() -> list[Notification]:
    """Every notification in the feeds, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(db.select(Notification).order_by(Notification.id)))


def test_a_persons_click_notifies_once_after_the_burst_window(api, world, message, start):
    [click] = record_hits([hit(message, "click", start)])
    assert click.classification == "human" and notifications() == []
    due = release_held_notifications(start + window() / 2)
    assert due is not None and start + window() <= due <= start + 2 * window()
    assert notifications() == []
    assert api.get("/notifications").json["items"] == []
    assert feed_after(world.admin, 0) == []

    assert release_held_notifications(due) is None
    [notification] = notifications()
    assert notification.kind == "click" and notification.event_id == click.id
    assert notification.params["url"] == "https://initech.example/0"  # slot 1: the first link
    assert [item["kind"] for item in api.get("/notifications").json["items"]] == ["click"]
    assert release_held_notifications(due + timedelta(minutes=5)) is None
    assert len(notifications()) == 1


def test_no_hit_of_a_scanner_burst_notifies_even_the_first_ones(message, start):
    first = record_hits([hit(message, "click", start, slot=1, ip=SCANNER_IP)])
    assert first[0].classification == "human"  # alone, the first click looks like a person's
    record_hits([hit(message, "click", start + timedelta(seconds=1), 2, SCANNER_IP)])
    record_hits([hit(message, "click", start + timedelta(seconds=2), 3, SCANNER_IP)])
    release_held_notifications(start + timedelta(minutes=1))
    db.session.expire_all()
    assert {e.classification for e in db.session.scalars(db.select(EngagementEvent))} == {"scanner"}
    assert notifications() == []


def test_clicks_just_before_the_hidden_link_is_followed_never_notify(message, start):
    record_hits([hit(message, "click", start, slot=1, ip=SCANNER_IP)])
    record_hits([hit(message, "click", start + timedelta(seconds=1), 0, SCANNER_IP)])
    assert release_held_notifications(start + timedelta(minutes=1)) is None
    assert notifications() == []


def test_a_held_click_still_notifies_after_the_recorder_restarts(message, start):
    record_hits([hit(message, "click", start)])
    db.session.remove()  # what a crash leaves: the committed event and nothing in memory
    release_held_notifications(start + timedelta(minutes=1))
    assert [n.kind for n in notifications()] == ["click"]


def test_each_genuine_click_notifies_and_opens_are_not_held(message, start):
    record_hits([hit(message, "open", start - timedelta(minutes=1))])
    assert [n.kind for n in notifications()] == ["open"]
    record_hits([hit(message, "click", start, slot=1)])
    record_hits([hit(message, "click", start + timedelta(minutes=2), slot=2)])
    release_held_notifications(start + timedelta(minutes=3))
    clicks = [n.params["url"] for n in notifications() if n.kind == "click"]
    assert clicks == ["https://initech.example/0", "https://initech.example/1"]


def test_a_person_clicking_around_while_a_scanner_bursts_is_still_told(message, start):
    scanner = [hit(message, "click", start + timedelta(seconds=n), n, SCANNER_IP) for n in (1, 2)]
    last = hit(message, "click", start + timedelta(seconds=3), 3, SCANNER_IP)
    record_hits([hit(message, "click", start, slot=4), *scanner, last])
    release_held_notifications(start + timedelta(minutes=1))
    [notification] = notifications()
    assert notification.params["url"] == "https://initech.example/3"
