"""GET /ws: authenticate in the first frame, send what was missed after `after`, then live ones."""

from __future__ import annotations

import json
import queue
import time
from typing import Any

from flask import Blueprint, Flask, current_app
from simple_websocket import ConnectionClosed

from tracklog.auth.bearer import authenticate, check_scope
from tracklog.auth.tickets import TICKET_PREFIX, user_for_ticket
from tracklog.errors import DomainError
from tracklog.extensions import db, sock
from tracklog.inputs import stored_integer
from tracklog.models import User
from tracklog.notify.feed import feed_after, latest_notification_id, rendered_for
from tracklog.notify.hub import WAKE, NotificationHub, SocketQueue

realtime = Blueprint("realtime", __name__)
AUTH_TIMEOUT_SECONDS = 5
HEARTBEAT_SECONDS = 25
# An idle socket's sender wakes this often to see whether its client left (a close, a new
# notification or an overflow wakes it at once): 1,000 idle sockets, 200 wake-ups a second.
LIVENESS_SECONDS = 5
UNAUTHORIZED = 4401
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013


def init_hub(app: Flask) -> None:
    """Give the app its notification hub and the websocket settings."""
    app.extensions["tracklog.hub"] = NotificationHub()
    app.config.setdefault("SOCK_SERVER_OPTIONS", {"ping_interval": HEARTBEAT_SECONDS})


def hub() -> NotificationHub:
    """The current app's hub."""
    return current_app.extensions["tracklog.hub"]


class AuthFailed(Exception):
    """The first frame did not authenticate the socket."""


def read_auth(ws: Any) -> tuple[User, int | None]:
    """The user and the resume point of the first frame, or AuthFailed with the reason."""
    frame = ws.receive(timeout=AUTH_TIMEOUT_SECONDS)
    if frame is None:
        raise AuthFailed("authentication frame missing")
    try:
        message = json.loads(frame)
    except (TypeError, ValueError):
        raise AuthFailed("the first frame is not JSON") from None
    if not isinstance(message, dict) or message.get("type") != "auth":
        raise AuthFailed('the first frame must be {"type": "auth", ...}')
    token, after = message.get("token"), message.get("after")
    if not isinstance(token, str) or not token:
        raise AuthFailed("token missing")
    if after is not None and stored_integer(after) is None:
        raise AuthFailed("after must be a notification id or null")
    try:
        if token.startswith(TICKET_PREFIX):
            return user_for_ticket(token), after
        user, scope = authenticate(token)
        check_scope(scope, "ws")
    except DomainError as error:
        raise AuthFailed(error.code) from None
    return user, after


def send_backlog(ws: Any, user: User, after: int | None) -> int | None:
    """Send every notification after `after`, in order; the id of the last one sent."""
    last = after
    while True:
        batch = feed_after(user, last)
        if not batch:
            return last
        for notification in batch:
            ws.send(json.dumps(rendered_for(user, notification)))
            last = notification.id


def send_live(ws: Any, socket_queue: SocketQueue, last: int | None) -> None:
    """Send queued notifications newer than the last one sent; heartbeat when idle."""
    idle_since = time.monotonic()
    while ws.connected:
        if socket_queue.closing:
            code = UNAUTHORIZED if socket_queue.signed_out else GOING_AWAY
            ws.close(reason=code, message=socket_queue.closing)
            return
        if socket_queue.overflowed:
            ws.close(reason=TRY_AGAIN_LATER, message="too slow: reconnect and resume")
            return
        heartbeat_in = max(0.0, idle_since + HEARTBEAT_SECONDS - time.monotonic())
        try:
            notification = socket_queue.pending.get(timeout=min(LIVENESS_SECONDS, heartbeat_in))
        except queue.Empty:
            if heartbeat_in <= LIVENESS_SECONDS:
                ws.send(json.dumps({"type": "heartbeat"}))
                idle_since = time.monotonic()
            continue
        if notification is WAKE or (last is not None and notification["id"] <= last):
            continue
        ws.send(json.dumps(notification))
        last = notification["id"]
        idle_since = time.monotonic()


@sock.route("/ws", bp=realtime)
def notifications_socket(ws: Any) -> None:
    """A user's live notifications; 4401 for missing, bad or expired credentials."""
    try:
        user, after = read_auth(ws)
    except AuthFailed as error:
        db.session.rollback()
        ws.close(reason=UNAUTHORIZED, message=str(error)[:120])
        return
    hub().start(current_app._get_current_object())
    socket_queue = hub().add(user.id)
    try:
        if after is None:
            after = latest_notification_id(user)
        ws.send(json.dumps({"type": "ready", "after": after}))
        last = send_backlog(ws, user, after)
        db.session.remove()
        send_live(ws, socket_queue, last)
    except ConnectionClosed:
        pass
    finally:
        hub().remove(socket_queue)
        db.session.remove()
