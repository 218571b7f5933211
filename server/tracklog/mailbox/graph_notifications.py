"""Graph's change notifications: POST /hooks/graph/notifications.

Graph calls this without any of our credentials, so it lives outside the `api` blueprint (whose
every call is authenticated). A notification proves itself only by its subscription's
clientState, a secret per mailbox of which we keep a digest; one that does not match is answered
202 like any other and ignored. A matching one makes the mailbox due now: the sync, not the
notification, says what arrived, so a forged or replayed one costs one delta round at most.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.errors import ValidationFailed
from tracklog.extensions import csrf, db
from tracklog.mailbox.graph import NOTIFICATIONS_PATH, client_state_matches
from tracklog.models import utcnow
from tracklog.models.mailbox import MailboxConnection

graph_notifications = Blueprint("graph_notifications", __name__)
csrf.exempt(graph_notifications)

MAX_VALIDATION_TOKEN = 1024


@graph_notifications.post(NOTIFICATIONS_PATH)
def receive_notifications() -> Response:
    """Echo Graph's validation token, or make each mailbox a right notification names due."""
    token = request.args.get("validationToken")
    if token is not None:
        return Response(token[:MAX_VALIDATION_TOKEN], 200, mimetype="text/plain")
    body = request.get_json(silent=True)
    notifications = body.get("value") if isinstance(body, dict) else None
    if not isinstance(notifications, list):
        raise ValidationFailed(_("Send Graph's change notifications."), code="invalid_json")
    for notification in notifications:
        if isinstance(notification, dict):
            _mark_due(notification)
    db.session.commit()
    return Response(status=202)


def _mark_due(notification: dict[str, Any]) -> None:
    """Make the mailbox of a notification with the right clientState due now."""
    subscription_id = notification.get("subscriptionId")
    if not isinstance(subscription_id, str) or not subscription_id:
        return
    connection = db.session.scalar(
        select(MailboxConnection).where(
            MailboxConnection.provider == "graph",
            MailboxConnection.state[("subscription", "id")].as_string() == subscription_id,
        )
    )
    if connection is None or not client_state_matches(
        connection.state, notification.get("clientState")
    ):
        return
    connection.next_sync_at = utcnow()
    event = notification.get("lifecycleEvent")
    if event in ("subscriptionRemoved", "reauthorizationRequired"):
        # The sync renews a subscription about to end, and makes one that Graph dropped anew.
        subscription = dict(connection.state["subscription"])
        subscription["expires"] = utcnow().isoformat()
        if event == "subscriptionRemoved":
            subscription["id"] = ""
        connection.state = {**connection.state, "subscription": subscription}
