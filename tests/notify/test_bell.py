"""The web UI's bell: its list, unread count, marking read (with CSRF) and its socket ticket."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD
from tracklog.extensions import db
from tracklog.models import Notification, utcnow


@pytest.fixture
def app_config(app_config):
    """CSRF on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def notify(user, count: int) -> None:
    """Put notifications in a user's feed."""
    for index in range(count):
        db.session.add(
            Notification(
                account_id=user.account_id,
                user_id=user.id,
                kind="open",
                code="first_open",
                params={"who": "peter@initech.example", "subject": f"Mail {index}"},
                message_public_id=f"tl_{index}",
                subject=f"Mail {index}",
                occurred_at=utcnow(),
            )
        )
    db.session.commit()


def signed_in(client) -> str:
    """Sign in as alice; the CSRF token of the pages."""
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/sign-in", data={"email": "alice@acme.example", "password": PASSWORD, "csrf_token": token}
    )
    home = client.get("/").get_data(as_text=True)
    assert 'class="bell"' in home and "js/bell.js" in home
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', home).group(1)


def test_bell_lists_newest_first_with_unread_count(client, world):
    notify(world.admin, 3)
    notify(world.user, 2)
    signed_in(client)
    page = client.get("/notifications").json
    assert page["unread"] == 3
    assert [item["subject"] for item in page["items"]] == ["Mail 2", "Mail 1", "Mail 0"]
    assert page["items"][0]["text"] == "peter@initech.example opened “Mail 2”."
    assert page["items"][0]["url"].endswith("/messages/tl_2")


def test_marking_read_needs_the_csrf_token(client, world):
    notify(world.admin, 2)
    csrf = signed_in(client)
    newest = client.get("/notifications").json["items"][0]["id"]
    assert client.post("/notifications/read", json={"up_to": newest}).status_code == 400
    marked = client.post(
        "/notifications/read", json={"up_to": newest}, headers={"X-CSRFToken": csrf}
    )
    assert marked.json == {"marked": 2}
    assert client.get("/notifications").json["unread"] == 0


def test_bell_needs_sign_in(client, world):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/ticket").status_code == 302


def test_api_notifications_are_per_user(api, world):
    notify(world.user, 1)
    assert api.get("/notifications").json["items"] == []
    assert len(api.as_token(world.user_token).get("/notifications").json["items"]) == 1


def test_a_stuck_client_never_delays_the_others():
    from tracklog.notify.hub import QUEUE_SIZE, NotificationHub

    hub = NotificationHub()
    stuck, healthy = hub.add(1), hub.add(1)
    received = []
    for number in range(QUEUE_SIZE * 2):
        hub._deliver({"user_id": 1, "notification": {"id": number}})
        received.append(healthy.pending.get_nowait()["id"])
    assert received == list(range(QUEUE_SIZE * 2))
    assert stuck.overflowed and not healthy.overflowed
    assert stuck.pending.qsize() == QUEUE_SIZE
