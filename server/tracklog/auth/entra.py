"""Microsoft Entra ID access tokens for the add-in (being written: see issue 3)."""

from __future__ import annotations

from flask_babel import gettext as _

from tracklog.errors import Unauthorized
from tracklog.models import User


def user_for_entra_token(token: str) -> User:
    """The user an Entra ID access token stands for."""
    raise Unauthorized(
        _("Microsoft Entra ID sign-in is not configured."), code="entra_not_configured"
    )
