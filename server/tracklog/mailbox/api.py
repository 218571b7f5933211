"""The user's connected mailbox through the API: its status, and disconnecting it."""

from __future__ import annotations

from flask import Response, g, jsonify

from tracklog.api import api
from tracklog.extensions import db
from tracklog.mailbox.connections import disconnect, mailbox_json


@api.get("/me/mailbox")
def get_my_mailbox() -> Response:
    """Whether your mailbox is connected, which, when it last synced and what went wrong."""
    return jsonify(mailbox_json(g.api_user))


@api.delete("/me/mailbox")
def disconnect_my_mailbox() -> Response:
    """Disconnect your mailbox: its saved sign-in is deleted, and the mail its sync logged
    leaves the records it was put on automatically (what you placed by hand stays)."""
    removed = disconnect(g.api_user)
    db.session.commit()
    return jsonify({**mailbox_json(g.api_user), "associations_removed": removed})
