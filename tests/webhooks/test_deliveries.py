"""Webhook deliveries: signed events reach a real receiver, failures are retried, filters hold."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from tests import factories
from tests.maillog.mail import outgoing, raw
from tests.tracking.helpers import OUTLOOK_DESKTOP, compose, pixel_path
from tracklog.extensions import db
from tracklog.models import WebhookDelivery, utcnow
from tracklog.privacy.retention import run_retention_everywhere
from tracklog.webhooks.dispatch import claim_due, deliver_due


def register(api, url: str, events: list[str]) -> dict:
    """POST /webhooks, asserting it was created."""
    created = api.post("/webhooks", {"url": url, "events": events})
    assert created.status_code == 201, created.json
    return created.json


def open_mail(api, recipient, record) -> dict:
    """Compose a tracked mail and open it as its recipient would; the compose answer."""
    sent = compose(api, ["peter@initech.example"])
    opened = recipient.get(
        pixel_path(sent["html"]),
        headers={"User-Agent": OUTLOOK_DESKTOP},
        environ_base={"REMOTE_ADDR": "81.2.69.142"},
    )
    assert opened.status_code == 200
    assert record() == 1
    return sent


def test_an_open_and_a_logged_mail_reach_the_receiver_signed(
    api, world, receiver, recipient, record, deliver
):
    webhook = register(api, receiver.url, ["*"])
    assert webhook["secret"].startswith("whsec_") and webhook["events"] == ["*"]
    sent = open_mail(api, recipient, record)
    assert deliver(raw(outgoing(subject="Pricing for Initech"))).status == "logged"
    assert deliver_due() == 2
    assert len(receiver.received) == 2
    payloads = {}
    for headers, body in receiver.received:
        expected = hmac.new(webhook["secret"].encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Tracklog-Signature"] == f"sha256={expected}"
        payload = json.loads(body)
        assert headers["X-Tracklog-Event"] == payload["event"]
        assert headers["X-Tracklog-Delivery"] == payload["id"]
        assert headers["Content-Type"] == "application/json"
        assert payload["account"] == world.account.id
        payloads[payload["event"]] = payload
    opened = payloads["open"]["data"]
    assert opened["message_id"] == sent["message_id"] and opened["subject"] == "Pricing"
    assert opened["recipient"] == "peter@initech.example"
    assert opened["classification"] == "human" and opened["person"] is True
    assert opened["reason"]
    logged = payloads["logged"]["data"]
    assert logged["logged"] is True and logged["subject"] == "Pricing for Initech"
    assert logged["reason_code"] == "logged" and "Logged on" in logged["reason"]
    listed = api.get(f"/webhooks/{webhook['id']}/deliveries").json["items"]
    assert [item["state"] for item in listed] == ["delivered", "delivered"]
    assert [item["event"] for item in listed] == ["logged", "open"]  # newest first
    assert listed[0]["attempts"][0]["status"] == 200 and listed[0]["attempts"][0]["error"] == ""


def test_a_mail_that_is_not_logged_says_why(api, world, receiver, deliver):
    register(api, receiver.url, ["not_logged"])
    assert deliver(raw(outgoing(sender="mallory@elsewhere.example"))).status == "not_logged"
    assert deliver_due() == 1
    payload = json.loads(receiver.received[0][1])
    assert payload["event"] == "not_logged" and payload["data"]["logged"] is False
    assert payload["data"]["reason"] and payload["data"]["reason_code"]


def test_a_receiver_error_is_retried_and_each_attempt_is_shown(api, receiver, recipient, record):
    receiver.statuses.append(500)
    webhook = register(api, receiver.url, ["open"])
    open_mail(api, recipient, record)
    assert deliver_due() == 1
    [delivery] = api.get(f"/webhooks/{webhook['id']}/deliveries").json["items"]
    assert delivery["state"] == "pending" and delivery["last_status"] == 500
    assert "500" in delivery["attempts"][0]["error"]
    assert deliver_due() == 0  # not due again for a minute
    assert deliver_due(utcnow() + timedelta(minutes=2)) == 1
    [delivery] = api.get(f"/webhooks/{webhook['id']}/deliveries").json["items"]
    assert delivery["state"] == "delivered"
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 200]
    assert all(attempt["duration_ms"] >= 0 for attempt in delivery["attempts"])
    assert len(receiver.received) == 2
    assert receiver.received[0][0]["X-Tracklog-Delivery"] == delivery["id"]
    assert receiver.received[1][0]["X-Tracklog-Delivery"] == delivery["id"]


def test_a_delivery_still_failing_a_day_later_fails(api, receiver, recipient, record):
    receiver.statuses.extend([503, 503])
    webhook = register(api, receiver.url, ["open"])
    open_mail(api, recipient, record)
    delivery = db.session.scalar(db.select(WebhookDelivery))
    delivery.created_at = utcnow() - timedelta(hours=23, minutes=59)
    db.session.commit()
    assert deliver_due() == 1
    [listed] = api.get(f"/webhooks/{webhook['id']}/deliveries").json["items"]
    assert listed["state"] == "failed" and listed["next_attempt_at"] is None


def test_a_webhook_gets_only_the_events_it_asked_for(api, receiver, recipient, record):
    webhook = register(api, receiver.url, ["click"])
    open_mail(api, recipient, record)
    assert deliver_due() == 0 and receiver.received == []
    assert api.get(f"/webhooks/{webhook['id']}/deliveries").json["items"] == []


def test_each_due_delivery_is_claimed_by_one_dispatcher(api, receiver, recipient, record):
    register(api, receiver.url, ["open"])
    register(api, receiver.url, ["*"])
    open_mail(api, recipient, record)
    now = utcnow()
    first = claim_due(now)
    assert len(first) == 2
    assert claim_due(now) == []  # a second dispatcher finds them taken
    assert claim_due(now + timedelta(minutes=6)) == sorted(first)  # a lease that ran out


def test_the_address_is_checked_again_at_delivery(app, api, receiver, recipient, record):
    webhook = register(api, receiver.url, ["open"])
    open_mail(api, recipient, record)
    app.config["WEBHOOK_ALLOW_HTTP"] = False
    assert deliver_due() == 1
    assert receiver.received == []
    [delivery] = api.get(f"/webhooks/{webhook['id']}/deliveries").json["items"]
    assert delivery["state"] == "pending" and delivery["attempts"][0]["status"] is None
    assert "https" in delivery["attempts"][0]["error"]


def test_a_deleted_webhook_gets_nothing_more(api, receiver, recipient, record):
    webhook = register(api, receiver.url, ["open"])
    open_mail(api, recipient, record)
    assert api.delete(f"/webhooks/{webhook['id']}").status_code == 204
    assert deliver_due() == 0 and receiver.received == []
    assert db.session.scalar(db.select(WebhookDelivery.state)) == "failed"
    assert api.get("/webhooks").json["items"] == []
    assert api.get(f"/webhooks/{webhook['id']}/deliveries").status_code == 404


def test_erasing_a_contact_removes_the_deliveries_that_name_them(
    api, world, receiver, recipient, record
):
    contact = factories.make_contact(world.account, "peter@initech.example")
    register(api, receiver.url, ["open"])
    open_mail(api, recipient, record)
    erased = api.post(f"/contacts/{contact.id}/erase")
    assert erased.status_code == 200, erased.json
    assert erased.json["removed"]["webhook_deliveries"] == 1
    assert db.session.scalars(db.select(WebhookDelivery)).all() == []


def test_settled_deliveries_are_purged_after_thirty_days_and_waiting_ones_kept(
    api, receiver, recipient, record
):
    register(api, receiver.url, ["open"])
    open_mail(api, recipient, record)
    assert deliver_due() == 1
    receiver.statuses.extend([503])
    open_mail(api, recipient, record)
    deliver_due()
    delivered, waiting = db.session.scalars(
        db.select(WebhookDelivery).order_by(WebhookDelivery.id)
    ).all()
    assert (delivered.state, waiting.state) == ("delivered", "pending")
    for delivery in (delivered, waiting):
        delivery.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    run_retention_everywhere()
    left = db.session.scalars(db.select(WebhookDelivery.state)).all()
    assert left == ["pending"]
