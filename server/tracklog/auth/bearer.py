"""Authentication of API calls: a personal token or a Microsoft Entra ID access token."""

from __future__ import annotations

from flask import Request
from flask_babel import gettext as _

from tracklog.auth.entra import user_for_entra_token
from tracklog.auth.tokens import TOKEN_PREFIX, token_in_use
from tracklog.errors import Forbidden, Unauthorized
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


FULL_SCOPE = "full"
COMPOSE_SCOPE = "compose"
# What a compose-scoped token may call: the defaults, preparing a mail and logging one.
# What Outlook's send handler does with it: read the defaults, compose, log, and set the reminder
# the pane chose for the mail it just composed.
COMPOSE_ENDPOINTS = frozenset(
    {"api.me", "api.compose", "api.compose_preview", "api.log_mail", "api.create_reminder"}
)


def authenticate(token: str) -> tuple[User, str]:
    """The user a bearer token stands for and its scope: personal tokens by prefix, anything
    else as an Entra ID access token (which may do all the user may)."""
    if token.startswith(TOKEN_PREFIX):
        personal = token_in_use(token)
        return personal.user, personal.scope
    return user_for_entra_token(token), FULL_SCOPE


def check_scope(scope: str, endpoint: str | None) -> None:
    """Forbidden when a compose-scoped token calls anything but compose, logging and reminders."""
    if scope == COMPOSE_SCOPE and endpoint not in COMPOSE_ENDPOINTS:
        raise Forbidden(
            _("This token may only prepare and log mail; use a personal token for this."),
            code="token_scope",
        )
