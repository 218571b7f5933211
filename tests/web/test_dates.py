"""Times on the pages are written in the reader's language and time zone, never as raw ISO text;
people are named, and pages link to each other."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.crm.test_board_pages import sign_in
from tests.tracking.helpers import OUTLOOK_DESKTOP, compose
from tests.web.test_home import hits, internal_mail
from tracklog.extensions import db
from tracklog.maillog.ingest import ingest_now
from tracklog.models import InboundMessage

SENT = datetime(2026, 1, 15, 8, 5, tzinfo=UTC)
READERS = {
    # locale, time zone, how the sending time reads, how the open 85 minutes later reads
    "ja": ("Asia/Tokyo", "2026/01/15 17:05", "2026/01/15 18:30"),
    "sv": ("Europe/Stockholm", "15 jan. 2026 09:05", "15 jan. 2026 10:30"),
}


def visible_text(html: str) -> str:
    """The page without its tags (attributes such as datetime= may keep ISO text)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def tracked(api, world) -> str:
    """A mail to Peter Gibbons sent at SENT and opened 85 minutes later; its public id."""
    factories.make_contact(
        world.account, "peter@initech.example", first_name="Peter", last_name="Gibbons"
    )
    sent = compose(api, ["peter@initech.example"])
    opened = ("open", OUTLOOK_DESKTOP, "81.229.10.20", None, timedelta(minutes=85))
    hits(sent["message_id"], opened, sent_at=SENT)
    return sent["message_id"]


@pytest.mark.parametrize("locale", sorted(READERS))
def test_message_pages_write_times_in_the_readers_language_and_zone(client, world, tracked, locale):
    zone, sent_text, open_text = READERS[locale]
    world.admin.locale, world.admin.time_zone = locale, zone
    db.session.commit()
    sign_in(client, world.admin)
    listing = client.get("/messages").get_data(as_text=True)
    page = client.get(f"/messages/{tracked}").get_data(as_text=True)
    why = client.get(f"/messages/{tracked}/why").get_data(as_text=True)
    assert sent_text in visible_text(listing)
    assert sent_text in visible_text(page) and open_text in visible_text(page)
    assert sent_text in visible_text(why)
    for html in (listing, page, why):
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", visible_text(html))


def test_the_why_search_writes_received_times_the_readers_way(client, world):
    world.user.locale, world.user.time_zone = "sv", "Europe/Stockholm"
    db.session.commit()
    raw = internal_mail("bob@acme.example", "alice@acme.example", "Review notes")
    inbound = ingest_now(world.account.id, raw, "smtp")
    db.session.get(InboundMessage, inbound.id).received_at = SENT
    db.session.commit()
    sign_in(client, world.user)
    html = client.get("/logging/why?recipient=alice").get_data(as_text=True)
    assert "Review notes" in html and "15 jan. 2026 09:05" in visible_text(html)


def test_the_message_page_names_its_contacts_and_links_them_and_its_why(client, world, tracked):
    peter = db.session.scalar(db.select(factories.Contact).filter_by(email="peter@initech.example"))
    sign_in(client, world.admin)
    page = client.get(f"/messages/{tracked}").get_data(as_text=True)
    history = re.search(r'<table class="open-history".*?</table>', page, re.S).group(0)
    assert "Peter Gibbons" in history and f'href="/contacts/{peter.id}"' in history
    recipients = re.search(r'<ul class="recipients">.*?</ul>', page, re.S).group(0)
    assert "Peter Gibbons" in recipients and "peter@initech.example" in recipients
    assert f'href="/messages/{tracked}/why"' in page
    listing = client.get("/messages").get_data(as_text=True)
    assert "Peter Gibbons" in listing
    why = client.get(f"/messages/{tracked}/why").get_data(as_text=True)
    assert "Peter Gibbons" in why and f'href="/contacts/{peter.id}"' in why


def test_the_why_search_is_in_the_navigation(client, world):
    sign_in(client, world.user)
    nav = re.search(r"<nav[^>]*>.*?</nav>", client.get("/tasks").get_data(as_text=True), re.S)
    assert 'href="/logging/why"' in nav.group(0)


def test_notifications_and_timeline_cards_name_the_contact(client, api, world, tracked):
    feed = api.get("/notifications").json["items"]
    opened = next(item for item in feed if item["kind"] == "open")
    assert opened["text"].startswith("Peter Gibbons opened")
    assert opened["recipient"] == "peter@initech.example"
    [event] = api.get(f"/messages/{tracked}").json["events"]
    assert event["recipient_name"] == "Peter Gibbons"
    peter = db.session.scalar(db.select(factories.Contact).filter_by(email="peter@initech.example"))
    email = factories.make_activity(world.account, [("contact", peter.id)], "email", "Pricing")
    email.direction, email.recipients = "outgoing", ["peter@initech.example"]
    db.session.commit()
    sign_in(client, world.admin)
    card = client.get(f"/contacts/{peter.id}").get_data(as_text=True)
    people = re.search(r'<p class="activity-people muted">.*?</p>', card, re.S).group(0)
    assert "Peter Gibbons" in people and f'href="/contacts/{peter.id}"' in people
