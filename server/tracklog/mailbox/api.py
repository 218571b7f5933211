"""The user's connected mailbox through the API: its status, and disconnecting it."""

from __future__ import annotations

from flask import Response, g, jsonify

from tracklog.api import api
from tracklog.extensions import db
from tracklog.inputs import json_object
from tracklog.mailbox.connections import disconnect, mailbox_json
from tracklog.mailbox.imap import connect_imap


@api.get("/me/mailbox")
def get_my_mailbox() -> Response:
    """Whether your mailbox is connected, which, when it last synced and what went wrong."""
    return jsonify(mailbox_json(g.api_user))


@api.post("/me/mailbox/imap")
def connect_my_imap_mailbox() -> tuple[Response, int]:
    """Connect your IMAP mailbox (replacing any other), once a login with these settings
    worked."""
    connect_imap(g.api_user, json_object())
    db.session.commit()
    return jsonify(mailbox_json(g.api_user)), 201


@api.delete("/me/mailbox")
def disconnect_my_mailbox() -> Response:
    """Disconnect your mailbox: its saved sign-in is deleted, and the mail its sync logged
    leaves the records it was put on automatically (what you placed by hand stays)."""
    removed = disconnect(g.api_user)
    db.session.commit()
    return jsonify({**mailbox_json(g.api_user), "associations_removed": removed})
