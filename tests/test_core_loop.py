"""The core loop through `tracklog serve` as users start it: a tracked mail's open and reply
reach the websocket and `tracklog listen` live, with and without Redis, on both databases."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import app_environment
from tests.served import (
    Served,
    clean_environment,
    start_listening,
    start_served,
    wait_for_port,
)
from tests.services import REDIS_URL, free_port, redis_reason, unavailable
from tests.tracking.helpers import CHROME_WINDOWS, OUTLOOK_DESKTOP, click_paths, pixel_path

pytestmark = pytest.mark.slow
# How long a notification may take to arrive while it is still "live" (pushed, not fetched on a
# reconnect). The promise is a second (bench/ measures it); the bound is wider so that a loaded
# machine does not turn a measurement into a failure.
LIVE_SECONDS = 5.0
# A person's click is told once a scanner's burst would have shown itself (rules.json), and a
# second more for hits still in the journal.
BURST_SECONDS = 5
HELD_SECONDS = BURST_SECONDS + 1
# A click this soon after sending is a scanner's at delivery (rules.json), not Peter's.
FAST_CLICK_SECONDS = 10.5


def served_environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a `tracklog serve` on the test database, nothing else inherited."""
    return clean_environment(instance, **app_environment(database_url, instance), **extra)


@pytest.fixture
def make_run(app, database_url: str, tmp_path: Path) -> Iterator[tuple[Served, dict[str, str]]]:
    """`tracklog serve` as `make run` starts it: HTTPS, its own children, no Redis."""
    smtp_port = str(free_port())
    env = served_environment(database_url, tmp_path / "instance", TRACKLOG_SMTP_PORT=smtp_port)
    served = start_served(env, free_port())
    wait_for_port(int(smtp_port), served)
    yield served, env
    assert served.stop() == 0, served.output()


def authenticated_socket(served: Served, token: str) -> Any:
    """A websocket that has been told who it is and answered 'ready'."""
    socket = served.socket()
    socket.send(json.dumps({"type": "auth", "token": token, "after": None}))
    assert json.loads(socket.receive(timeout=5))["type"] == "ready"
    return socket


def next_notification(socket: Any, timeout: float) -> dict[str, Any] | None:
    """The next notification frame within the timeout (heartbeats skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        frame = socket.receive(timeout=left)
        if frame is None:
            return None
        message = json.loads(frame)
        if message["type"] == "notification":
            return message
    return None


def compose(served: Served, token: str) -> dict[str, Any]:
    """A tracked and logged mail to Peter, composed through the API."""
    response = served.request(
        "POST",
        "/api/v1/compose",
        token,
        json={
            "subject": "Pricing for Initech",
            "from": "alice@acme.example",
            "to": ["peter@initech.example"],
            "html": '<p>Hi Peter, <a href="https://acme.example/pricing">the pricing</a>.</p>',
            "client": {"host": "outlook-desktop", "item_id": "core-loop-draft"},
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def open_pixel(served: Served, composed: dict[str, Any]) -> None:
    """Peter's Outlook fetches the open pixel."""
    path = pixel_path(composed["html"])
    response = served.get(path, headers={"User-Agent": OUTLOOK_DESKTOP})
    assert response.status_code == 200 and len(response.content) == 43


def click_link(served: Served, composed: dict[str, Any]) -> None:
    """Peter clicks the pricing link in his browser."""
    [path] = click_paths(composed["html"])
    response = served.get(path, headers={"User-Agent": CHROME_WINDOWS}, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://acme.example/pricing"


def assert_heard_live(
    socket: Any, listening: Any, kind: str, message_id: str | None, within: float = LIVE_SECONDS
) -> None:
    """The socket and `tracklog listen` hear the same notification within the time."""
    started = time.monotonic()
    frame = next_notification(socket, within)
    assert frame is not None, f"no live {kind} frame within {within:.1f} s"
    line = listening.next(max(0.05, within - (time.monotonic() - started)))
    assert line is not None, f"`tracklog listen` printed no {kind} within {within:.1f} s"
    assert frame == line
    assert frame["kind"] == kind
    if message_id is not None:
        assert frame["message_id"] == message_id


def mail(sender: str, to: str, subject: str, **headers: str) -> EmailMessage:
    """A short mail."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Thanks, let us talk on Friday.")
    return message


def test_make_run_delivers_opens_clicks_and_logging_news_live_to_socket_and_listen(make_run, world):
    served, env = make_run
    socket = authenticated_socket(served, world.admin_token)
    listening = start_listening(served, world.admin_token, env)
    try:
        composed = compose(served, world.admin_token)
        sent = time.monotonic()
        open_pixel(served, composed)  # recorded by the `record-hits` child
        assert_heard_live(socket, listening, "open", composed["message_id"])

        internal = mail("alice@acme.example", "bob@acme.example", "Lunch?")
        with smtplib.SMTP("127.0.0.1", int(env["TRACKLOG_SMTP_PORT"]), timeout=10) as smtp:
            smtp.send_message(internal, to_addrs=[account_address(composed["bcc"])])
        # the `smtpd` child tells why it was not logged
        assert_heard_live(socket, listening, "logged", message_id=None)

        time.sleep(max(0.0, FAST_CLICK_SECONDS - (time.monotonic() - sent)))
        clicked = time.monotonic()
        click_link(served, composed)
        # held until a scanner's burst would have shown itself, then told live
        assert next_notification(socket, BURST_SECONDS) is None
        left = HELD_SECONDS - (time.monotonic() - clicked)
        assert_heard_live(socket, listening, "click", composed["message_id"], left + LIVE_SECONDS)
    finally:
        listening.stop()
        socket.close()


def account_address(draft_address: str) -> str:
    """The account's logging address, from a draft's log+<key>.<draft>@<domain>."""
    local, domain = draft_address.split("@")
    return f"{local.split('.')[0]}@{domain}"


@pytest.fixture
def two_hosts(app, database_url: str, tmp_path: Path) -> Iterator[list[tuple[Served, dict]]]:
    """Two `tracklog serve` processes on the same database with Redis, as two hosts would be:
    separate instance folders, nothing shared but PostgreSQL (or the SQLite file) and Redis."""
    if reason := redis_reason():
        unavailable("Redis", reason)
    started = []
    for name in ("a", "b"):
        env = served_environment(
            database_url,
            tmp_path / name,
            TRACKLOG_REDIS_URL=REDIS_URL,
            TRACKLOG_SMTP_PORT=str(free_port()),
        )
        started.append((start_served(env, free_port(), "--workers", "2"), env))
    yield started
    for served, _env in started:
        assert served.stop() == 0, served.output()


def test_two_hosts_with_redis_deliver_an_open_on_one_to_listeners_on_the_other(two_hosts, world):
    (first, _first_env), (second, second_env) = two_hosts
    socket = authenticated_socket(second, world.admin_token)
    listening = start_listening(second, world.admin_token, second_env)
    try:
        composed = compose(first, world.admin_token)
        open_pixel(first, composed)
        assert_heard_live(socket, listening, "open", composed["message_id"])
    finally:
        listening.stop()
        socket.close()
