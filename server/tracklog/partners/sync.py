"""Keeping shared deals in step: every flush that changes one side of a shared deal changes the
other, whatever changed it (the API, a record page, the board)."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from tracklog.models import Deal, User
from tracklog.partners.shared import sync_deal


def acting_user() -> User | None:
    """Who is making the change: the signed-in user or the API caller, else nobody (a command)."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def sync_shared_deals(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush, copy shared fields of changed deals to their twins."""
    changed = [item for item in session.dirty if isinstance(item, Deal)]
    if not changed:
        return
    with session.no_autoflush:
        for deal in changed:
            if session.is_modified(deal):
                sync_deal(deal, acting_user())


def init_partner_sync() -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "before_flush", sync_shared_deals):
        event.listen(Session, "before_flush", sync_shared_deals)
