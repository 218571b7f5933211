"""The notification operations of /api/v1 and of the web UI's bell."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select, update

from tracklog.api import api, requested_page
from tracklog.auth.tickets import issue_ticket
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import json_object, stored_integer
from tracklog.models import Notification, User, utcnow
from tracklog.notify.feed import notification_json, preferences
from tracklog.notify.preferences import change_preferences
from tracklog.tracking.kpis import find_message

bell = Blueprint("bell", __name__, url_prefix="/notifications")


def notifications_page(user: User) -> dict[str, Any]:
    """The user's notifications newest first, with how many are unread."""
    query = select(Notification).where(Notification.user_id == user.id)
    rows, next_cursor = requested_page(query, Notification.id)
    unread = db.session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return {
        "items": [notification_json(row) for row in rows],
        "unread": unread,
        "next_cursor": next_cursor,
    }


def mark_read(user: User, up_to: Any) -> int:
    """Mark the user's notifications up to an id as read; how many changed."""
    if stored_integer(up_to) is None:
        raise ValidationFailed(
            _("up_to must be a notification id."), details={"fields": {"up_to": "integer"}}
        )
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.id <= up_to,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


@api.get("/notifications")
def list_notifications() -> Response:
    """Your notifications, newest first, and the unread count."""
    return jsonify(notifications_page(g.api_user))


@api.post("/notifications/read")
def read_notifications() -> Response:
    """Mark your notifications up to an id as read."""
    return jsonify({"marked": mark_read(g.api_user, json_object().get("up_to"))})


@api.get("/me/notification-preferences")
def get_preferences() -> Response:
    """Your notification preferences."""
    return jsonify(preferences(g.api_user))


@api.put("/me/notification-preferences")
def put_preferences() -> Response:
    """Change your preferences: opens (first/every/none), clicks, replies, quiet hours..."""
    return jsonify(change_preferences(g.api_user, json_object()))


@api.put("/messages/<message_id>/mute")
def mute_message(message_id: str) -> Response:
    """Mute (or unmute) the notifications of one message."""
    muted = json_object().get("muted", True)
    if not isinstance(muted, bool):
        raise ValidationFailed(_("muted must be true or false."))
    message = find_message(g.api_user, message_id)
    message.muted = muted
    db.session.commit()
    return jsonify({"id": message.public_id, "muted": message.muted})


@bell.get("")
@login_required
def bell_items() -> Response:
    """The bell's list for the signed-in page."""
    return jsonify(notifications_page(current_user))


@bell.post("/read")
@login_required
def bell_read() -> Response:
    """Mark the bell's notifications read (CSRF-protected like every form post)."""
    return jsonify({"marked": mark_read(current_user, json_object().get("up_to"))})


@bell.get("/ticket")
@login_required
def bell_ticket() -> Response:
    """A two-minute ticket for the page to open its notification socket."""
    return jsonify({"ticket": issue_ticket(current_user)})
