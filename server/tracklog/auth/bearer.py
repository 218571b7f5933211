"""Authentication of API calls: a personal token or a Microsoft Entra ID access token."""

from __future__ import annotations

from flask import Request
from flask_babel import gettext as _

from tracklog.auth.entra import user_for_entra_token
from tracklog.auth.tokens import TOKEN_PREFIX, user_for_token
from tracklog.errors import Unauthorized
from tracklog.models import User


def bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer ...` header, or Unauthorized."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            _("Send an API token as 'Authorization: Bearer <token>'."),
            code="authentication_required",
        )
    return token.strip()


def authenticate(token: str) -> User:
    """The user a bearer token stands for: personal tokens by prefix, anything else as a JWT."""
    if token.startswith(TOKEN_PREFIX):
        return user_for_token(token)
    return user_for_entra_token(token)
