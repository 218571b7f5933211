"""Signed-in browsers: each one a row that can be listed and revoked, some remembered.

A browser's signed session cookie names its row by a random selector; deleting the row signs the
browser out. "Keep me signed in" adds a device cookie `<selector>.<validator>`: the selector finds
the row, the validator is compared by its SHA-256 in constant time, and it is replaced by a new
one each time it brings a sign-in back (and once a day while in use). The previous validator
stays valid for a few seconds so that requests a restarted browser sends in parallel all pass;
an older one is a copied cookie, and the sign-in it names is ended.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from tracklog.errors import NotFound
from tracklog.extensions import db
from tracklog.models import User, WebSession
from tracklog.tracking.useragent import describe_client

REMEMBERED_FOR = timedelta(days=30)
# Without "keep me signed in" the cookie lasts until the browser closes; the row, unused, a day.
SIGNED_IN_FOR = timedelta(hours=24)
ROTATION_GRACE = timedelta(seconds=10)
RENEW_EVERY = timedelta(days=1)
# Last use is written at most every few minutes: a write per page view would cost more than it says.
LAST_USED_PRECISION = timedelta(minutes=5)


def _hash(validator: str) -> str:
    """The stored form of a validator."""
    return hashlib.sha256(validator.encode()).hexdigest()


def _same_hash(stored: str | None, validator: str) -> bool:
    """Whether the validator hashes to the stored hash, compared in constant time."""
    return stored is not None and hmac.compare_digest(stored, _hash(validator))


def device_label(user_agent: str) -> str:
    """A readable name for the browser, such as "Firefox 128 on Windows"."""
    return describe_client(user_agent or "").client[:200]


def start_web_session(
    user: User, *, remember: bool, device: str, ip: str | None, now: datetime
) -> tuple[WebSession, str | None]:
    """A new signed-in browser, and its device cookie's value when it is to be remembered."""
    db.session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now)
    )
    web_session = WebSession(
        account_id=user.account_id,
        user_id=user.id,
        selector=secrets.token_urlsafe(18),
        device=device,
        last_ip=ip,
        created_at=now,
        last_used_at=now,
        expires_at=now + (REMEMBERED_FOR if remember else SIGNED_IN_FOR),
    )
    cookie = None
    if remember:
        validator = secrets.token_urlsafe(32)
        web_session.validator_hash, web_session.rotated_at = _hash(validator), now
        cookie = f"{web_session.selector}.{validator}"
    db.session.add(web_session)
    db.session.commit()
    return web_session, cookie


def live_web_session(
    user_id: int, selector: str, *, ip: str | None, now: datetime
) -> tuple[WebSession | None, str | None]:
    """The sign-in a session cookie names if it still holds, and a renewed device cookie if due."""
    web_session = db.session.scalar(db.select(WebSession).filter_by(selector=selector))
    if web_session is None or web_session.user_id != user_id or not _holds(web_session, now):
        return None, None
    cookie = None
    if web_session.remembered and now - (web_session.rotated_at or now) >= RENEW_EVERY:
        cookie = _rotate(web_session, now)
    _touch(web_session, ip, now)
    return web_session, cookie


def resume_remembered(
    cookie: str, *, ip: str | None, now: datetime
) -> tuple[WebSession | None, str | None]:
    """The sign-in a device cookie brings back, with the cookie that replaces it (None: keep it)."""
    web_session, validator = _named_by(cookie)
    if web_session is None or not validator or not _holds(web_session, now):
        return None, None
    if _same_hash(web_session.validator_hash, validator):
        renewed = _rotate(web_session, now)
    elif _same_hash(web_session.previous_validator_hash, validator) and (
        now - web_session.rotated_at <= ROTATION_GRACE
    ):
        renewed = None
    else:
        db.session.delete(web_session)
        db.session.commit()
        return None, None
    _touch(web_session, ip, now)
    return web_session, renewed


def _named_by(cookie: str) -> tuple[WebSession | None, str]:
    """The sign-in a device cookie's selector names, and the cookie's validator."""
    selector, _dot, validator = cookie.partition(".")
    return db.session.scalar(db.select(WebSession).filter_by(selector=selector)), validator


def _holds(web_session: WebSession, now: datetime) -> bool:
    """Whether a sign-in is unexpired and its user still active."""
    return web_session.expires_at > now and web_session.user.active


def _rotate(web_session: WebSession, now: datetime) -> str | None:
    """Replace the validator; None when a parallel request rotated it first (its cookie wins)."""
    validator = secrets.token_urlsafe(32)
    swapped = db.session.execute(
        update(WebSession)
        .where(
            WebSession.id == web_session.id,
            WebSession.validator_hash == web_session.validator_hash,
        )
        .values(
            previous_validator_hash=web_session.validator_hash,
            validator_hash=_hash(validator),
            rotated_at=now,
            expires_at=now + REMEMBERED_FOR,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return f"{web_session.selector}.{validator}" if swapped else None


def _touch(web_session: WebSession, ip: str | None, now: datetime) -> None:
    """Record the last use and slide the expiry, at most every few minutes or on a new address."""
    if now - web_session.last_used_at < LAST_USED_PRECISION and web_session.last_ip == ip:
        return
    web_session.last_used_at, web_session.last_ip = now, ip
    web_session.expires_at = now + (REMEMBERED_FOR if web_session.remembered else SIGNED_IN_FOR)
    db.session.commit()


def web_sessions_of(user: User, now: datetime) -> list[WebSession]:
    """The user's signed-in browsers, most recently used first."""
    query = (
        db.select(WebSession)
        .where(WebSession.user_id == user.id, WebSession.expires_at > now)
        .order_by(WebSession.last_used_at.desc(), WebSession.id.desc())
    )
    return list(db.session.scalars(query))


def end_web_session(selector: str) -> None:
    """Sign one browser out (its own sign-out)."""
    db.session.execute(delete(WebSession).where(WebSession.selector == selector))
    db.session.commit()


def forget_device(cookie: str) -> None:
    """End the sign-in a device cookie names, if the cookie is genuine (signing in anew)."""
    web_session, validator = _named_by(cookie)
    if web_session is not None and (
        _same_hash(web_session.validator_hash, validator)
        or _same_hash(web_session.previous_validator_hash, validator)
    ):
        db.session.delete(web_session)
        db.session.commit()


def sign_out_device(user: User, web_session_id: int) -> WebSession:
    """Sign out one of the user's own browsers; NotFound for anyone else's."""
    web_session = db.session.scalar(
        db.select(WebSession).filter_by(id=web_session_id, user_id=user.id)
    )
    if web_session is None:
        raise NotFound(_("There is no such signed-in device."))
    db.session.delete(web_session)
    db.session.commit()
    return web_session


def end_web_sessions(user: User, *, keep: str | None = None) -> None:
    """Sign the user out of every browser but the one whose selector is `keep` (pending commit)."""
    if user.id is None:
        return
    query = delete(WebSession).where(WebSession.user_id == user.id)
    if keep is not None:
        query = query.where(WebSession.selector != keep)
    db.session.execute(query)


def last_sign_ins(account_id: int) -> dict[int, datetime]:
    """When each user of the account last used a browser sign-in that still exists, by user id."""
    query = (
        select(WebSession.user_id, func.max(WebSession.last_used_at))
        .where(WebSession.account_id == account_id)
        .group_by(WebSession.user_id)
    )
    return {user_id: at for user_id, at in db.session.execute(query)}
