"""Copies kept in step across a shared deal: which deal or note is the twin of which, and whether
anything may still be copied (only while the partnership is active).

Every other module reads and writes its own account's rows; this one is where a change is allowed
to reach the other account's copy, and only through a shared deal or a shared note.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from tracklog.extensions import db
from tracklog.models import Activity, Deal, SharedDeal, SharedNote, User
from tracklog.partners.partnerships import side_of
from tracklog.partners.shared import log_change, shared_deal_of, twin_of


@dataclass(frozen=True)
class Twin:
    """The other side of something shared: its shared deal, the side the change comes from, and
    the other account's deal."""

    shared: SharedDeal
    side: str
    deal: Deal

    @property
    def account_id(self) -> int:
        """The other account."""
        return self.deal.account_id


def new_twin_key() -> str:
    """The key both copies of one shared comment, file, product line or quote carry."""
    return secrets.token_hex(16)


def syncing(shared: SharedDeal) -> bool:
    """Whether the shared deal still copies changes: its partnership is active."""
    return shared.partnership.status == "active"


def twin_deal(deal: Deal) -> Twin | None:
    """The other side of a deal that is shared by an active partnership, else None."""
    shared = shared_deal_of(deal)
    if shared is None or not syncing(shared):
        return None
    other = twin_of(shared, deal)
    if other is None:
        return None
    return Twin(shared, side_of(shared.partnership, deal.account_id), other)


def shared_note_of(activity_id: int) -> SharedNote | None:
    """The shared note an activity is one copy of, if any."""
    query = select(SharedNote).where(
        or_(
            SharedNote.selling_activity_id == activity_id,
            SharedNote.partner_activity_id == activity_id,
        )
    )
    return db.session.scalar(query)


def shared_notes_by_activity(activity_ids: list[int]) -> dict[int, SharedNote]:
    """The shared notes that these activities are copies of, by activity id."""
    if not activity_ids:
        return {}
    query = select(SharedNote).where(
        or_(
            SharedNote.selling_activity_id.in_(activity_ids),
            SharedNote.partner_activity_id.in_(activity_ids),
        )
    )
    found = {}
    for note in db.session.scalars(query):
        for activity_id in (note.selling_activity_id, note.partner_activity_id):
            if activity_id in activity_ids:
                found[activity_id] = note
    return found


def twin_note(activity: Activity) -> tuple[SharedNote, Activity] | None:
    """The shared note and the other side's copy of a note, while its partnership is active."""
    note = shared_note_of(activity.id)
    if note is None:
        return None
    shared = db.session.get(SharedDeal, note.shared_deal_id)
    if shared is None or not syncing(shared):
        return None
    other_id = (
        note.partner_activity_id
        if note.selling_activity_id == activity.id
        else note.selling_activity_id
    )
    other = db.session.get(Activity, other_id) if other_id else None
    return (note, other) if other is not None else None


def copy_side(shared_note: SharedNote, activity_id: int) -> str:
    """Which side holds this copy of a shared note."""
    return "selling" if shared_note.selling_activity_id == activity_id else "partner"


def may_change(shared_note: SharedNote, activity_id: int) -> bool:
    """Whether the account holding this copy may edit or delete it: the author's side may; the
    other side only once the partnership has ended (its copy is then its own)."""
    shared = db.session.get(SharedDeal, shared_note.shared_deal_id)
    return copy_side(shared_note, activity_id) == shared_note.author_side or not (
        shared and syncing(shared)
    )


def twin_row(model: Any, row: Any, account_id: int) -> Any:
    """The other account's copy of a row that carries a twin_key (None when there is none)."""
    if row.twin_key is None:
        return None
    return db.session.scalar(
        select(model).where(model.account_id == account_id, model.twin_key == row.twin_key)
    )


def log_shared(shared: SharedDeal, user: User, field: str, old: Any, new: Any) -> None:
    """One entry in the shared deal's change log, from the user's side (not committed)."""
    log_change(shared, user.account_id, user, field, old, new)
