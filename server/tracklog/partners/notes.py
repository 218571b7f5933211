"""Shared notes: a note on a shared deal that both sides see, each in its own account.

The author's side writes the note; a copy goes on the other side's deal, linked by a SharedNote
row. Editing or deleting it (from the author's side) changes both copies while the partnership is
active. Every other note, mail and activity stays in its own account.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.crm.associations import Planned, apply_associations
from tracklog.crm.explain import encode_why
from tracklog.crm.note_threads import file_hashes_of
from tracklog.crm.timeline import (
    activities_json,
    remove_activity,
    require_activity,
    require_record,
    rewrite_note,
    write_note,
)
from tracklog.errors import DomainError, Forbidden, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.models import Activity, Deal, SharedNote, User
from tracklog.notify.feed import publish
from tracklog.partners.partnerships import side_of
from tracklog.partners.shared import author_name, shared_deal_json, shared_deal_of, tell_side
from tracklog.partners.twins import Twin, may_change, shared_note_of, twin_deal, twin_note
from tracklog.tracking.attachments import remove_unused_files


class NotShared(DomainError):
    """A note was marked shared on a record that shares nothing with a partner now."""

    status = 400
    code = "not_shared"


def post_note(user: User, record_type: str, record_id: int, body: Any, shared: Any) -> Activity:
    """A note on a record's timeline; with shared true, also on the partner's copy of the deal."""
    if not isinstance(shared, bool):
        raise ValidationFailed(
            _("shared must be true or false."), details={"fields": {"shared": _("boolean")}}
        )
    record = require_record(user, record_type, record_id)
    twin = twin_deal(record) if shared and record_type == "deal" else None
    if shared and twin is None:
        raise NotShared(
            _(
                "Only a note on a deal shared with an active partner can be shared; "
                "send it without shared to keep it private."
            )
        )
    note = write_note(user, record_type, record_id, body)
    notifications = [] if twin is None else share_note(user, note, twin)
    db.session.commit()
    publish(notifications)
    return note


def share_note(user: User, note: Activity, twin: Twin) -> list[Any]:
    """Copy a new note onto the other side's deal, link the copies and tell the other side's
    partner-lead recipients (not committed); the notifications to publish once committed."""
    name = author_name(user)
    copy = Activity(
        account_id=twin.account_id,
        type="note",
        subject=note.subject,
        body_html=note.body_html,
        body_text=note.body_text,
        occurred_at=note.occurred_at,
    )
    db.session.add(copy)
    db.session.flush()
    why = encode_why("shared_by_partner", user=name)
    apply_associations(copy, [Planned("deal", twin.deal.id, "partner", why)])
    other_side = "partner" if twin.side == "selling" else "selling"
    ids = {twin.side: note.id, other_side: copy.id}
    db.session.add(
        SharedNote(
            shared_deal_id=twin.shared.id,
            selling_activity_id=ids["selling"],
            partner_activity_id=ids["partner"],
            author_name=name,
            author_side=twin.side,
        )
    )
    return tell_side(twin.shared.partnership, other_side, twin.deal, user, "partner_note_shared")


def check_may_change(note: Activity) -> None:
    """Forbidden when the note is the copy of a shared note written by the other side, while the
    partnership is active (after it ends, each side's copy is its own)."""
    shared_note = shared_note_of(note.id)
    if shared_note is not None and not may_change(shared_note, note.id):
        raise Forbidden(
            _("The partner wrote this shared note: only they can change or delete it."),
            code="partner_note",
        )


def edit_note(user: User, activity_id: int, body: Any) -> Activity:
    """Change a note's text, on both copies of a shared note while the partnership is active."""
    note = require_activity(user, activity_id)
    if note.type != "note":
        raise ValidationFailed(
            _("Only notes can be edited."), details={"fields": {"body": _("not a note")}}
        )
    check_may_change(note)
    rewrite_note(note, body)
    twin = twin_note(note)
    if twin is not None:
        copy = twin[1]
        copy.subject, copy.body_html, copy.body_text = note.subject, note.body_html, note.body_text
    db.session.commit()
    return note


def delete_everywhere(user: User, activity_id: int) -> None:
    """Delete an activity from every timeline; a shared note goes on both sides while the
    partnership is active."""
    activity = require_activity(user, activity_id)
    check_may_change(activity)
    twin = twin_note(activity)
    removed = [activity] if twin is None else [activity, twin[1]]
    hashes = file_hashes_of([item.id for item in removed])
    for item in removed:
        remove_activity(item)
    db.session.commit()
    remove_unused_files(hashes)


def shared_note_ids(deal: Deal) -> list[int]:
    """The ids of this deal's copies of shared notes, newest first."""
    shared = shared_deal_of(deal)
    if shared is None:
        return []
    side = side_of(shared.partnership, deal.account_id)
    column = SharedNote.selling_activity_id if side == "selling" else SharedNote.partner_activity_id
    query = (
        select(Activity.id)
        .join(SharedNote, column == Activity.id)
        .where(SharedNote.shared_deal_id == shared.id, Activity.account_id == deal.account_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
    )
    return list(db.session.scalars(query))


def shared_timeline(user: User, deal_id: int) -> dict[str, Any]:
    """What a shared deal shares, newest first: its shared notes (with their comments and files)
    and the entries of its change log."""
    deal = require_record(user, "deal", deal_id)
    shared = shared_deal_of(deal)
    if shared is None:
        raise NotFound(_("The deal %(id)s is not shared.", id=deal_id))
    notes = [
        {"kind": "note", "at": note["occurred_at"], "note": note}
        for note in activities_json(shared_note_ids(deal), None)
    ]
    changes = [
        {"kind": "change", "at": change["at"], "change": change}
        for change in shared_deal_json(shared, user.account_id)["changes"]
    ]
    return {
        "deal_id": deal.id,
        "shared_deal_id": shared.id,
        "syncing": shared.partnership.status == "active",
        "items": sorted(notes + changes, key=lambda item: item["at"], reverse=True),
    }
