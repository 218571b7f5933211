"""GET /api/v1/me: who the token stands for, and the defaults the add-in starts from."""

from __future__ import annotations

from flask import Response, g, jsonify

from tracklog.api import api
from tracklog.auth.accounts import bcc_address


@api.get("/me")
def me() -> Response:
    """The signed-in user and the account's defaults for tracking, logging and contacts."""
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
            "track_by_default": account.track_by_default,
            "log_by_default": account.log_by_default,
            "create_contacts": account.create_contacts,
            "privacy_mode": account.privacy_mode,
            "bcc": bcc_address(account),
        }
    )
