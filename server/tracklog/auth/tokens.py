"""Personal API tokens: shown once at creation, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _

from tracklog.errors import NotFound, Unauthorized
from tracklog.extensions import db
from tracklog.models import ApiToken, User, utcnow

TOKEN_PREFIX = "tlp_"
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for the user; the plain text is returned here and never again."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=user.account_id,
        user_id=user.id,
        name=(name or "personal token").strip()[:100],
        token_hash=hash_token(plain),
        prefix=plain[:10],
    )
    db.session.add(token)
    db.session.commit()
    return token, plain


def user_for_token(plain: str) -> User:
    """The active user a personal token belongs to, or Unauthorized saying why not."""
    token = db.session.scalar(db.select(ApiToken).filter_by(token_hash=hash_token(plain)))
    if token is None:
        raise Unauthorized(_("The API token is not known."), code="invalid_token")
    if token.revoked_at is not None:
        raise Unauthorized(_("The API token was revoked."), code="token_revoked")
    if not token.user.active:
        raise Unauthorized(_("The user of this token is deactivated."), code="user_inactive")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        # Written at most once a minute: a write on every API call would cost more than the call.
        token.last_used_at = now
        db.session.commit()
    return token.user


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    query = db.select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(query))


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens."""
    token = db.session.scalar(db.select(ApiToken).filter_by(id=token_id, user_id=user.id))
    if token is None:
        raise NotFound(_("There is no such token."))
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    return token
