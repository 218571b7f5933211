"""The send-time suggestion: from past opens in the contact's local time, else their working day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.factories import make_contact
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, User
from tracklog.tracking.sendtime import next_at


def seed_opens(api, contact, hours_utc, country=None, classification="human") -> None:
    """Opens of tracked mail by the contact at these UTC hours on past days, from a country."""
    sent = compose(api, [contact.email], item_id=str(uuid.uuid4()))
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    for day, hour in enumerate(hours_utc, start=1):
        db.session.add(
            EngagementEvent(
                account_id=message.account_id,
                hit_id=str(uuid.uuid4()),
                message_id=message.id,
                kind="open",
                recipient_id=message.recipients[0].id,
                occurred_at=datetime(2026, 11, day, hour, 20, tzinfo=UTC),
                country=country,
                classification=classification,
                reason="seeded",
            )
        )
    db.session.commit()


def suggestion(api, contact) -> dict:
    """GET /contacts/<id>/send-time, asserting success."""
    response = api.get(f"/contacts/{contact.id}/send-time")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def local(answer: dict) -> datetime:
    """The suggested moment in the answer's time zone."""
    at = datetime.fromisoformat(answer["suggested_at"].replace("Z", "+00:00"))
    assert at > datetime.now(UTC)
    return at.astimezone(ZoneInfo(answer["time_zone"]))


def test_the_hour_they_open_in_the_country_their_opens_came_from(api, world):
    peter = make_contact(world.account, "peter@initech.example")
    seed_opens(api, peter, [7, 7, 7, 13], country="SE")  # 08:20 in Stockholm in November
    answer = suggestion(api, peter)
    assert answer["basis"] == "opens" and answer["time_zone"] == "Europe/Stockholm"
    at = local(answer)
    assert (at.hour, at.minute) == (8, 0) and at.weekday() < 5
    assert "3 of 4" in answer["reason"] and "08:00 and 09:00" in answer["reason"]


def test_the_contacts_own_time_zone_wins_over_where_opens_came_from(api, world):
    kenji = make_contact(world.account, "kenji@example.jp", time_zone="Asia/Tokyo")
    seed_opens(api, kenji, [0, 0, 0], country="US")
    answer = suggestion(api, kenji)
    assert answer["time_zone"] == "Asia/Tokyo" and local(answer).hour == 9


def test_machine_opens_do_not_count(api, world):
    peter = make_contact(world.account, "peter@initech.example", time_zone="America/New_York")
    seed_opens(api, peter, [3, 3, 3], country="SE", classification="prefetch")
    answer = suggestion(api, peter)
    assert answer["basis"] == "contact_time_zone" and answer["time_zone"] == "America/New_York"
    assert local(answer).hour == 9 and "Too few opens" in answer["reason"]


def test_without_opens_or_a_zone_the_senders_working_day(api, world):
    alice = db.session.get(User, world.admin.id)
    alice.time_zone = "Europe/London"
    db.session.commit()
    milton = make_contact(world.account, "milton@initech.example")
    answer = suggestion(api, milton)
    assert answer["basis"] == "sender_time_zone" and answer["time_zone"] == "Europe/London"
    assert local(answer).hour == 9


def test_another_accounts_contact_is_not_found(api, world):
    theirs = make_contact(world.other_account, "someone@globex.example")
    assert api.get(f"/contacts/{theirs.id}/send-time").status_code == 404


def test_a_friday_evening_moves_to_monday():
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    monday = next_at(9, ZoneInfo("UTC"), friday_evening)
    assert monday == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    friday_morning = friday_evening - timedelta(hours=10)
    assert next_at(9, ZoneInfo("UTC"), friday_morning) == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
