"""Password sign-in, slowed and then refused after repeated failures per address and per client.

The counts live in the database so that every worker process and every host sees the same ones.
Every refusal reads the same whether or not the address belongs to anyone.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, delete, or_, tuple_, update
from sqlalchemy.exc import IntegrityError

from tracklog.auth.accounts import user_with_password
from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.models import SignInThrottle, User, utcnow
from tracklog.tracking.geo import parse_ip

WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
LIMITS = {"address": 10, "client": 50}
SLOW_AFTER = 3
FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 2.0
# One IPv6 subscriber usually holds a whole /64: count it as one client.
IPV6_CLIENT_PREFIX = 64


class Clock:
    """The real time and real waiting; tests give the app a clock they move by hand."""

    def now(self) -> datetime:
        """The current time."""
        return utcnow()

    def sleep(self, seconds: float) -> None:
        """Wait (under gevent, other requests run meanwhile)."""
        time.sleep(seconds)


class SignInRefused(DomainError):
    """The address and password do not match an active user (which of them is not said)."""

    status = 401
    code = "sign_in_refused"

    def __init__(self) -> None:
        super().__init__(_("The address or the password is wrong."))


class TooManyAttempts(DomainError):
    """Sign-in is locked for this address or client until `retry_after` seconds have passed."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            ngettext(
                "Too many attempts. Try again in %(num)d minute.",
                "Too many attempts. Try again in %(num)d minutes.",
                minutes,
            )
        )
        self.retry_after = retry_after


def authenticate(address: str, password: str, *, client: str | None, clock: Clock) -> User:
    """The active user with this address and password, or SignInRefused / TooManyAttempts."""
    address = (address or "").strip().lower()
    keys = {"address": _key(address), "client": _key(_client_network(client))}
    now = clock.now()
    delay = _check_throttle(keys, now)
    if delay:
        clock.sleep(delay)
    user = user_with_password(address, password)
    if user is not None:
        _clear(keys["address"])
        return user
    _record_failure(keys, now)
    raise SignInRefused()


def _key(text: str) -> str:
    """The stored form of an address or client network: nobody's address is kept in clear."""
    return hashlib.sha256(text.encode()).hexdigest()


def _client_network(ip: str | None) -> str:
    """The client an attempt counts against: its IPv4 address or its IPv6 /64."""
    address = parse_ip(ip)
    if address is None:
        return ip or ""
    if address.version == 6:
        return f"{address.exploded[:19]}::/{IPV6_CLIENT_PREFIX}"
    return str(address)


def _rows(keys: dict[str, str]) -> list[SignInThrottle]:
    """The throttle rows of an attempt's address and client, where they exist."""
    pairs = [(kind, key) for kind, key in keys.items()]
    query = db.select(SignInThrottle).where(
        tuple_(SignInThrottle.kind, SignInThrottle.key).in_(pairs)
    )
    return list(db.session.scalars(query))


def _check_throttle(keys: dict[str, str], now: datetime) -> float:
    """The pause before this attempt is checked; TooManyAttempts while either key is locked."""
    rows = _rows(keys)
    locks = [row.locked_until for row in rows if row.locked_until and row.locked_until > now]
    if locks:
        raise TooManyAttempts(math.ceil((max(locks) - now).total_seconds()))
    failures = max(
        (
            row.failures
            for row in rows
            if row.kind == "address" and row.window_started_at > now - WINDOW
        ),
        default=0,
    )
    if failures < SLOW_AFTER:
        return 0.0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - SLOW_AFTER))


def _record_failure(keys: dict[str, str], now: datetime) -> None:
    """Count a failure for each key, lock a key that reached its limit, forget stale rows."""
    for kind, key in keys.items():
        _count(kind, key, now)
    db.session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.window_started_at <= now - WINDOW,
            or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now),
        )
    )
    db.session.commit()
    locked = [row for row in _rows(keys) if row.locked_until and row.locked_until > now]
    if locked:
        raise TooManyAttempts(math.ceil(LOCKOUT.total_seconds()))


def _count(kind: str, key: str, now: datetime) -> None:
    """Add one failure in one statement (parallel attempts all count); start a window if stale."""
    stale = SignInThrottle.window_started_at <= now - WINDOW
    counted = db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.kind == kind, SignInThrottle.key == key)
        .values(
            failures=case((stale, 1), else_=SignInThrottle.failures + 1),
            window_started_at=case((stale, now), else_=SignInThrottle.window_started_at),
            locked_until=case(
                (~stale & (SignInThrottle.failures + 1 >= LIMITS[kind]), now + LOCKOUT),
                else_=None,
            ),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not counted:
        db.session.add(SignInThrottle(kind=kind, key=key, failures=1, window_started_at=now))
    try:
        db.session.commit()
    except IntegrityError:
        # A parallel attempt inserted the row first: count on it instead.
        db.session.rollback()
        _count(kind, key, now)


def _clear(address_key: str) -> None:
    """A successful sign-in forgets its address's failures (not its client's)."""
    db.session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.kind == "address", SignInThrottle.key == address_key
        )
    )
    db.session.commit()
