"""GET /ws: authentication, resume without loss or repeats, per-user isolation, preferences."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.conftest import app_environment
from tests.maillog.mail import outgoing, raw
from tests.services import REDIS_URL, redis_reason, unavailable
from tests.tracking.helpers import GMAIL_PROXY, OUTLOOK_DESKTOP, compose, pixel_path
from tracklog.extensions import db
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.models import Notification

APPLE_MPP = "Mozilla/5.0"


def open_mail(live: str, sent: dict, agent: str = OUTLOOK_DESKTOP):
    """The recipient's mail client loads the pixel over HTTP."""
    response = requests.get(
        f"http://{live}{pixel_path(sent['html'])}", headers={"User-Agent": agent}, timeout=5
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "first_frame",
    ['{"type": "auth", "token": "tlp_nope"}', "not json", '{"type": "hello"}', '{"type": "auth"}'],
)
def test_bad_credentials_close_with_4401(connect, world, first_frame):
    socket = connect()
    socket.client.send(first_frame)
    assert socket.close_code() == 4401


@pytest.mark.parametrize("after", [2**31, 2**63, -(2**31) - 1, [1], "7", 1.5, True], ids=repr)
def test_an_after_no_notification_can_have_closes_with_4401(connect, world, after):
    socket = connect()
    socket.client.send(json.dumps({"type": "auth", "token": world.user_token, "after": after}))
    assert socket.close_code() == 4401


def test_missing_auth_frame_closes_with_4401_within_5_seconds(connect, world):
    started = time.monotonic()
    assert connect().close_code(timeout=8) == 4401
    assert time.monotonic() - started < 6.5


def test_a_persons_open_notifies_and_a_machines_does_not(api, connect, live, world):
    sent = compose(api, ["peter@initech.example"])
    socket = connect()
    assert socket.auth(world.admin_token)["type"] == "ready"
    open_mail(live, sent, agent=APPLE_MPP)
    open_mail(live, sent, agent=GMAIL_PROXY)
    notification = socket.next()
    assert notification["type"] == "notification" and notification["kind"] == "open"
    assert notification["message_id"] == sent["message_id"]
    assert notification["recipient"] == "peter@initech.example"
    assert notification["classification"] == "proxy"
    assert "location is unknown" in notification["text"]
    assert socket.next(timeout=1) is None


def test_resume_sends_missed_notifications_in_order_once(api, connect, live, world):
    sent = compose(api, ["peter@initech.example", "milton@initech.example"])
    first = connect()
    first.auth(world.admin_token)
    open_mail(live, sent)
    seen = first.next()
    first.close()
    api.call("PUT", "/me/notification-preferences", json={"opens": "every"})
    for index in range(3):
        open_mail(live, sent, agent=f"Client {index}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and count_notifications() < 4:
        time.sleep(0.1)
    second = connect()
    second.auth(world.admin_token, after=seen["id"])
    resumed = [second.next() for _ in range(3)]
    ids = [item["id"] for item in resumed]
    assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > seen["id"]
    assert second.next(timeout=1) is None


def count_notifications() -> int:
    """How many notifications exist."""
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(Notification))


def test_each_user_only_receives_their_own(api, connect, live, world):
    alice = connect()
    alice.auth(world.admin_token)
    bob = connect()
    bob.auth(world.user_token)
    hank = connect()
    hank.auth(world.other_token)
    sent = compose(api.as_token(world.user_token), ["peter@initech.example"], item_id="bob")
    open_mail(live, sent)
    assert bob.next()["message_id"] == sent["message_id"]
    assert alice.next(timeout=1) is None and hank.next(timeout=0.2) is None


def test_muted_message_and_first_open_only(api, connect, live, world):
    socket = connect()
    socket.auth(world.admin_token)
    muted = compose(api, ["peter@initech.example"], item_id="muted")
    assert api.call("PUT", f"/messages/{muted['message_id']}/mute", json={"muted": True}).json[
        "muted"
    ]
    open_mail(live, muted)
    sent = compose(api, ["milton@initech.example"], item_id="loud")
    open_mail(live, sent)
    open_mail(live, sent, agent="Another client")
    assert socket.next()["message_id"] == sent["message_id"]
    assert socket.next(timeout=1) is None


def test_quiet_hours_keep_the_notification_but_silence_it(api, connect, live, world):
    api.call(
        "PUT",
        "/me/notification-preferences",
        json={"quiet_hours": {"start": "00:00", "end": "23:59"}},
    )
    socket = connect()
    socket.auth(world.admin_token)
    open_mail(live, compose(api, ["peter@initech.example"]))
    assert socket.next()["silent"] is True


def test_not_logged_mail_notifies_with_the_reason(connect, world):
    socket = connect()
    socket.auth(world.admin_token)
    inbound = store_inbound(world.account.id, "smtp", raw(outgoing(to=("bob@acme.example",))))
    process_inbound(inbound.id)
    notification = socket.next()
    assert notification["kind"] == "logged"
    assert "not logged" in notification["text"] and "internal" in notification["text"]


def test_web_page_ticket_opens_the_socket(client, connect, world):
    client.post(
        "/sign-in", data={"email": "alice@acme.example", "password": "correct horse battery"}
    )
    ticket = client.get("/notifications/ticket").json["ticket"]
    assert connect().auth(ticket)["type"] == "ready"
    forged = connect()
    forged.client.send('{"type": "auth", "token": "' + ticket[:-3] + 'xyz"}')
    assert forged.close_code() == 4401


def test_bad_preferences_are_refused(api, world):
    response = api.call("PUT", "/me/notification-preferences", json={"opens": "sometimes"})
    assert response.status_code == 422
    assert api.get("/me/notification-preferences").json["opens"] == "first"


@pytest.fixture
def redis_app_environment(database_url, tmp_path):
    """An environment whose processes share events through Redis."""
    if reason := redis_reason():
        unavailable("Redis", reason)
    return app_environment(database_url, tmp_path, TRACKLOG_REDIS_URL=REDIS_URL)


def test_deactivating_a_user_closes_their_open_sockets_with_4401(api, connect, world):
    bobs, alices = connect(), connect()
    assert bobs.auth(world.user_token)["type"] == "ready"
    assert alices.auth(world.admin_token)["type"] == "ready"
    assert api.patch(f"/users/{world.user.id}", {"active": False}).status_code == 200
    assert bobs.close_code() == 4401
    assert alices.next(timeout=1.5) is None
    again = connect()
    again.client.send(json.dumps({"type": "auth", "token": world.user_token, "after": None}))
    assert again.close_code() == 4401
