"""Where each user was last seen signed in, so their own client's hits are not counted as opens."""

from __future__ import annotations

import threading
import time

from flask import Request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from tracklog.extensions import db
from tracklog.models import SenderSighting, User, utcnow

REFRESH_SECONDS = 600
_recent: dict[tuple[str, int, str, str], float] = {}
_recent_lock = threading.Lock()


def _due(key: tuple[str, int, str, str]) -> bool:
    """Whether this sighting was not written by this process in the last ten minutes."""
    now = time.monotonic()
    with _recent_lock:
        if now - _recent.get(key, -REFRESH_SECONDS) < REFRESH_SECONDS:
            return False
        if len(_recent) > 50_000:
            _recent.clear()
        _recent[key] = now
        return True


def note_sighting(user: User, request: Request) -> None:
    """Remember the address and agent a signed-in user's request came from."""
    ip = request.remote_addr or ""
    agent = request.headers.get("User-Agent", "")[:1000]
    if not ip or not _due((str(db.engine.url), user.id, ip, agent)):
        return
    try:
        sighting = db.session.scalar(
            select(SenderSighting).filter_by(user_id=user.id, ip=ip, user_agent=agent)
        )
        if sighting is None:
            sighting = SenderSighting(
                account_id=user.account_id, user_id=user.id, ip=ip, user_agent=agent
            )
            db.session.add(sighting)
        sighting.seen_at = utcnow()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
