"""Short-lived tickets that let a signed-in browser page open its notification socket."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tracklog.errors import Unauthorized
from tracklog.extensions import db
from tracklog.models import User

TICKET_PREFIX = "tlw_"
TICKET_SECONDS = 120


def _serializer() -> URLSafeTimedSerializer:
    """Signs tickets with the app's secret key, for this purpose only."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tracklog socket ticket")


def issue_ticket(user: User) -> str:
    """A ticket naming the user, valid for two minutes."""
    return TICKET_PREFIX + _serializer().dumps(user.id)


def user_for_ticket(ticket: str) -> User:
    """The active user a genuine, fresh ticket names, or Unauthorized."""
    try:
        user_id = _serializer().loads(ticket.removeprefix(TICKET_PREFIX), max_age=TICKET_SECONDS)
    except SignatureExpired:
        raise Unauthorized(
            _("The sign-in for live notifications has expired; reload the page."),
            code="ticket_expired",
        ) from None
    except BadSignature:
        raise Unauthorized(
            _("The sign-in for live notifications is not valid."), code="invalid_ticket"
        ) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise Unauthorized(
            _("The sign-in for live notifications is not valid."), code="invalid_ticket"
        )
    return user
