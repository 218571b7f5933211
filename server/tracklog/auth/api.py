"""/api/v1/me (who the token stands for, the add-in's defaults, the user's own addresses), API
tokens and invitations."""

from __future__ import annotations

from flask import Response, g, jsonify
from flask_babel import gettext as _

from tracklog.api import api
from tracklog.auth.accounts import bcc_address
from tracklog.auth.addresses import add_own_address, address_json, own_addresses, remove_own_address
from tracklog.auth.bearer import COMPOSE_SCOPE
from tracklog.auth.invitations import (
    invitation_json,
    invite_user,
    pending_invitations,
    revoke_invitation,
)
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


@api.get("/me/addresses")
def get_own_addresses() -> Response:
    """The caller's extra addresses (aliases), each verified or not yet."""
    return jsonify({"items": [address_json(alias) for alias in own_addresses(g.api_user)]})


@api.post("/me/addresses")
def post_own_address() -> tuple[Response, int]:
    """Add an alias; it counts once the link mailed to it is followed (the link is answered once
    when there is no outgoing relay)."""
    alias, link = add_own_address(g.api_user, json_object().get("email"))
    return jsonify({**address_json(alias), **one_time_link_fields(link)}), 201


@api.delete("/me/addresses/<int:address_id>")
def delete_own_address(address_id: int) -> tuple[str, int]:
    """Remove one of the caller's aliases."""
    remove_own_address(g.api_user, address_id)
    return "", 204


@api.get("/invitations")
def get_invitations() -> Response:
    """The account's pending invitations, newest first (admins only)."""
    return jsonify({"items": [invitation_json(i) for i in pending_invitations(g.api_user)]})


@api.post("/invitations")
def post_invitation() -> tuple[Response, int]:
    """Invite an address as a user or admin; the link is mailed, else answered once."""
    sent = json_object()
    invitation, link = invite_user(
        g.api_user, sent.get("email"), sent.get("role"), sent.get("display_name")
    )
    return jsonify({**invitation_json(invitation), **one_time_link_fields(link)}), 201


@api.delete("/invitations/<int:invitation_id>")
def delete_invitation(invitation_id: int) -> tuple[str, int]:
    """Withdraw a pending invitation: its link stops working (admins only)."""
    revoke_invitation(g.api_user, invitation_id)
    return "", 204


def one_time_link_fields(link: str | None) -> dict[str, object]:
    """Whether a one-time link was mailed, and the link itself when it was not."""
    return {"sent": True} if link is None else {"sent": False, "link": link}
