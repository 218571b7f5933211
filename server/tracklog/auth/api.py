"""GET /api/v1/me: who the token stands for, and the defaults the add-in starts from."""

from __future__ import annotations

from flask import Response, g, jsonify
from flask_babel import gettext as _

from tracklog.api import api
from tracklog.auth.accounts import bcc_address
from tracklog.auth.bearer import COMPOSE_SCOPE
from tracklog.auth.tokens import create_token, list_tokens, revoke_token, token_json
from tracklog.inputs import json_object


@api.get("/me")
def me() -> Response:
    """The signed-in user and their defaults for tracking, logging and contacts."""
    user = g.api_user
    account = user.account
    return jsonify(
        {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "locale": user.locale,
            "time_zone": user.time_zone,
            "account": account.name,
            "track_by_default": user.tracks_by_default,
            "log_by_default": user.logs_by_default,
            "create_contacts": account.create_contacts,
            "privacy_mode": account.privacy_mode,
            "bcc": bcc_address(account),
        }
    )


@api.post("/me/addin-token")
def addin_token() -> tuple[Response, int]:
    """A personal token for the add-in's send handler, which cannot sign in by itself.

    After single sign-on the pane asks for one; Windows classic Outlook runs the on-send handler
    where no sign-in library can run, so it uses this token from the roaming settings. The token
    may only prepare and log mail (scope "compose"); it is listed and revocable like any other.
    """
    name = json_object().get("name") or _("Outlook add-in")
    _token, plain = create_token(g.api_user, str(name)[:100], scope=COMPOSE_SCOPE)
    return jsonify({"token": plain, "scope": COMPOSE_SCOPE}), 201


@api.get("/tokens")
def get_tokens() -> Response:
    """API tokens, newest first: every token of the account for admins, else your own."""
    return jsonify({"items": [token_json(token) for token in list_tokens(g.api_user)]})


@api.delete("/tokens/<int:token_id>")
def delete_token(token_id: int) -> Response:
    """Revoke a token (an admin may revoke any of the account's); it stops working at once."""
    return jsonify(token_json(revoke_token(g.api_user, token_id)))
