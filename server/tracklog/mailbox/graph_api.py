"""The Microsoft 365 mailbox through the API: connect it from the pane, reply from a card."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from flask_babel import gettext as _

from tracklog.api import api
from tracklog.auth.bearer import bearer_token
from tracklog.auth.tokens import TOKEN_PREFIX
from tracklog.errors import ValidationFailed
from tracklog.inputs import json_object
from tracklog.mailbox.connections import mailbox_json
from tracklog.mailbox.graph_auth import exchange_pane_token, require_entra_configuration
from tracklog.mailbox.graph_mail import connect_with, reply


@api.post("/me/mailbox/graph")
def connect_graph_mailbox() -> Response:
    """Connect your Microsoft 365 mailbox with the add-in's single sign-on token (the bearer
    token of this call), exchanged on your behalf for a lasting sign-in to Microsoft Graph."""
    assertion = "" if "Authorization" not in request.headers else bearer_token(request)
    if not assertion or assertion.startswith(TOKEN_PREFIX):
        raise ValidationFailed(
            _(
                "Connecting needs the add-in's single sign-on token as bearer; without it, "
                "connect your mailbox in tracklog under Settings → Mailbox."
            ),
            code="sso_token_required",
        )
    require_entra_configuration()
    connect_with(g.api_user, exchange_pane_token(g.api_user, assertion))
    return jsonify(mailbox_json(g.api_user))


@api.post("/activities/<int:activity_id>/reply")
def reply_to_activity(activity_id: int) -> tuple[Response, int]:
    """Answer a logged mail from your Microsoft 365 mailbox: {"body", "reply_all"}; the reply is
    logged on the mail's thread."""
    body = json_object(free_text=("body",))
    inbound = reply(g.api_user, activity_id, body.get("body"), body.get("reply_all") is True)
    logged = inbound.activity_id if inbound is not None else None
    return jsonify({"sent": True, "activity_id": logged}), 202
