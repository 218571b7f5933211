"""Personal API tokens: shown once at creation, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy.orm import defaultload

from tracklog.audit.log import record_audit
from tracklog.errors import NotFound, Unauthorized
from tracklog.extensions import db
from tracklog.models import ApiToken, User, utcnow

TOKEN_PREFIX = "tlp_"
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "", scope: str = "full") -> tuple[ApiToken, str]:
    """A new token for the user; the plain text is returned here and never again."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=user.account_id,
        user_id=user.id,
        name=(name or "personal token").strip()[:100],
        token_hash=hash_token(plain),
        prefix=plain[:10],
        scope=scope,
    )
    db.session.add(token)
    db.session.flush()
    record_audit(user, user.account_id, "token_created", ("api_token", token.id))
    db.session.commit()
    return token, plain


def user_for_token(plain: str) -> User:
    """The active user a personal token belongs to, or Unauthorized saying why not."""
    return token_in_use(plain).user


def token_in_use(plain: str) -> ApiToken:
    """A known, unrevoked token of an active user (its last use noted), or Unauthorized."""
    # One round trip: the token joined to its user and account, the user's addresses left for later.
    query = (
        db.select(ApiToken)
        .filter_by(token_hash=hash_token(plain))
        .options(defaultload(ApiToken.user).lazyload(User.addresses))
    )
    token = db.session.scalar(query)
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
    return token


def visible_tokens(actor: User) -> Select:
    """The tokens the actor may see and revoke: every token of the account for an admin, else
    their own."""
    query = db.select(ApiToken).filter_by(account_id=actor.account_id)
    return query if actor.is_admin else query.filter_by(user_id=actor.id)


def list_tokens(actor: User) -> list[ApiToken]:
    """The tokens the actor may see, newest first, revoked ones included."""
    return list(db.session.scalars(visible_tokens(actor).order_by(ApiToken.id.desc())))


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token the actor may see (an admin: any of the account's)."""
    token = db.session.scalar(visible_tokens(actor).filter_by(id=token_id))
    if token is None:
        raise NotFound(_("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_audit(actor, actor.account_id, "token_revoked", ("api_token", token.id))
    db.session.commit()
    return token


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as the API shows it: never its secret."""
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "owner": {"id": token.user_id, "email": token.user.email},
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
