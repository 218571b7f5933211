"""A record's timeline: newest first, the pinned activity on top, filtered per user and type."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import nh3
from flask_babel import gettext as _
from sqlalchemy import Select, and_, delete, null, or_, select

from tracklog.crm.associations import RECORD_MODELS, Planned, apply_associations
from tracklog.crm.explain import encode_why, render_why
from tracklog.crm.fields import to_json
from tracklog.crm.note_threads import threads_by_note
from tracklog.errors import Conflict, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.maillog.attachments import attachments_by_activity
from tracklog.maillog.why import warning_json
from tracklog.models import (
    ACTIVITY_TYPES,
    RECORD_TYPES,
    Activity,
    ActivityAssociation,
    AssociationExclusion,
    Message,
    Pin,
    SharedNote,
    Task,
    TimelineFilter,
    User,
)
from tracklog.paging import InvalidCursor, decode_cursor, encode_cursor
from tracklog.partners.twins import may_change, shared_notes_by_activity
from tracklog.tracking.untrack import untracked_html, untracked_text

# What a timeline item shows of an activity row (see activity_json).
ACTIVITY_ITEM_COLUMNS = (
    "id",
    "account_id",
    "type",
    "subject",
    "occurred_at",
    "body_html",
    "body_text",
    "direction",
    "sender",
    "recipients",
    "owner_id",
    "thread_key",
    "message_id",
    "warnings",
    "details",
)
NOTE_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote"}
MAX_NOTE_LENGTH = 65_536


def require_record(user: User, record_type: str, record_id: int) -> Any:
    """A record of the user's account, or NotFound."""
    model = RECORD_MODELS.get(record_type)
    record = None
    if model is not None:
        record = db.session.scalar(
            select(model).where(model.id == record_id, model.account_id == user.account_id)
        )
    if record is None:
        raise NotFound(_("There is no %(type)s with id %(id)s.", type=record_type, id=record_id))
    return record


def require_activity(user: User, activity_id: int) -> Activity:
    """An activity of the user's account, or NotFound."""
    activity = db.session.scalar(
        select(Activity).where(Activity.id == activity_id, Activity.account_id == user.account_id)
    )
    if activity is None:
        raise NotFound(_("There is no activity %(id)s.", id=activity_id))
    return activity


def require_record_type(object_type: str) -> None:
    """NotFound unless object_type is contact, company, deal or ticket."""
    if object_type not in RECORD_TYPES:
        raise NotFound(_("There is no record type %(type)s.", type=object_type))


def saved_types(user: User, object_type: str) -> list[str]:
    """The activity types this user shows on timelines of this record type (all by default)."""
    require_record_type(object_type)
    saved = db.session.scalar(
        select(TimelineFilter.activity_types).where(
            TimelineFilter.user_id == user.id, TimelineFilter.object_type == object_type
        )
    )
    return list(saved) if saved is not None else list(ACTIVITY_TYPES)


def save_types(user: User, object_type: str, types: list[str]) -> list[str]:
    """Remember which activity types the user shows on every timeline of this record type."""
    require_record_type(object_type)
    chosen = parse_types(types)
    row = db.session.scalar(
        select(TimelineFilter).where(
            TimelineFilter.user_id == user.id, TimelineFilter.object_type == object_type
        )
    )
    if row is None:
        row = TimelineFilter(account_id=user.account_id, user_id=user.id, object_type=object_type)
        db.session.add(row)
    row.activity_types = chosen
    db.session.commit()
    return chosen


def parse_types(types: Any) -> list[str]:
    """A validated list of activity types, in the canonical order."""
    if isinstance(types, str):
        types = [item for item in types.split(",") if item]
    if not isinstance(types, list) or any(item not in ACTIVITY_TYPES for item in types):
        raise ValidationFailed(
            _("types must be a list of: %(types)s", types=", ".join(ACTIVITY_TYPES)),
            details={"fields": {"types": list(ACTIVITY_TYPES)}},
        )
    return [item for item in ACTIVITY_TYPES if item in types]


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    """The (occurred_at, activity id) after which a page continues."""
    if not cursor:
        return None
    position = decode_cursor(cursor)
    activity_id = stored_integer(position.get("id"))
    try:
        at = datetime.fromisoformat(position.get("at"))
    except (TypeError, ValueError):
        at = None
    if at is None or activity_id is None:
        raise InvalidCursor(_("The cursor is not valid; start again without it."))
    return at, activity_id


def page_of_links(query: Select, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of rows of activity links (the query selects their activity_id and their
    occurred_at as position_at), newest first, and the next page's cursor."""
    link = ActivityAssociation
    position = _position(cursor)
    if position is not None:
        at, last_id = position
        query = query.where(
            or_(link.occurred_at < at, and_(link.occurred_at == at, link.activity_id < last_id))
        )
    query = query.order_by(link.occurred_at.desc(), link.activity_id.desc()).limit(limit + 1)
    rows = db.session.execute(query).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"at": last.position_at.isoformat(), "id": last.activity_id})
    return rows, next_cursor


def timeline_page(
    user: User,
    record_type: str,
    record_id: int,
    types: list[str] | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """One page of a record's timeline with the types it shows (types=None: the user's saved
    filter); the first page starts with the pinned activity. The record's check, its pin and the
    saved filter are one query, the page with its activities another."""
    if types is None:
        require_record_type(record_type)
    found = _record_pin_and_filter(user, record_type, record_id, types is None)
    if found is None:
        raise NotFound(_("There is no %(type)s with id %(id)s.", type=record_type, id=record_id))
    pinned, saved = found.pinned, found.saved
    if types is None:
        types = list(saved) if saved is not None else list(ACTIVITY_TYPES)
    link = ActivityAssociation
    query = (
        activity_rows()
        .add_columns(link.activity_id, link.occurred_at.label("position_at"))
        .join(link, link.activity_id == Activity.id)
        .where(
            link.account_id == user.account_id,
            link.record_type == record_type,
            link.record_id == record_id,
            link.activity_type.in_(types),
        )
    )
    if pinned is not None:
        query = query.where(link.activity_id != pinned)
    rows, next_cursor = page_of_links(query, cursor, limit)
    if not cursor and pinned is not None:
        # The pin is for everyone who opens the record: a reader's type filter does not hide it.
        rows = [*db.session.execute(activity_rows().where(Activity.id == pinned)), *rows]
    return {"items": items_json(rows, pinned), "next_cursor": next_cursor, "types": types}


def _record_pin_and_filter(user: User, record_type: str, record_id: int, with_filter: bool) -> Any:
    """The record's pinned activity and (with_filter) the user's saved types, in one row; None
    when the record is not one of the user's account."""
    model = RECORD_MODELS.get(record_type)
    if model is None:
        return None
    pinned = select(Pin.activity_id).where(
        Pin.account_id == user.account_id,
        Pin.record_type == record_type,
        Pin.record_id == record_id,
    )
    saved = select(TimelineFilter.activity_types).where(
        TimelineFilter.user_id == user.id, TimelineFilter.object_type == record_type
    )
    query = select(
        model.id,
        pinned.scalar_subquery().label("pinned"),
        (saved if with_filter else select(null())).scalar_subquery().label("saved"),
    ).where(model.id == record_id, model.account_id == user.account_id)
    return db.session.execute(query).first()


def activity_rows() -> Select:
    """The columns of activities that their timeline items show, with the public id of their
    tracked message and their task's state: plain rows, no ORM objects (a hot path)."""
    message = (
        select(Message.public_id)
        .where(Message.activity_id == Activity.id)
        .order_by(Message.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        *(Activity.__table__.c[name] for name in ACTIVITY_ITEM_COLUMNS),
        message.label("public_id"),
        Task.id.label("task_key"),
        Task.due_at.label("task_due_at"),
        Task.done.label("task_done"),
    ).outerjoin(Task, Task.id == Activity.task_id)


def activities_json(ids: list[int], pinned: int | None) -> list[dict[str, Any]]:
    """Activities in the given order with their associations."""
    if not ids:
        return []
    rows = {row.id: row for row in db.session.execute(activity_rows().where(Activity.id.in_(ids)))}
    return items_json([rows[i] for i in ids if i in rows], pinned)


def items_json(rows: list[Any], pinned: int | None) -> list[dict[str, Any]]:
    """Timeline items of activity rows, in their order: what belongs to several items (their
    associations, files, shared notes, comments) in one query each, and only for the activity
    types that have them."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    links: dict[int, list[dict[str, Any]]] = {activity_id: [] for activity_id in ids}
    link = ActivityAssociation
    for row in db.session.execute(
        select(link.activity_id, link.record_type, link.record_id, link.source, link.why)
        .where(link.activity_id.in_(ids))
        .order_by(link.id)
    ):
        links[row.activity_id].append(
            {
                "type": row.record_type,
                "id": row.record_id,
                "source": row.source,
                "why": render_why(row.why),
            }
        )
    mails = [row.id for row in rows if row.type == "email"]
    notes = [row.id for row in rows if row.type == "note"]
    files = attachments_by_activity(mails) if mails else {}
    shared = shared_notes_by_activity(notes)
    threads = threads_by_note(notes)
    return [
        activity_json(row, links[row.id], row.id == pinned, row.public_id)
        | {"attachments": files.get(row.id, []), "task": task_state(row)}
        | shared_note_json(shared.get(row.id), row.id)
        | threads.get(row.id, {})
        for row in rows
    ]


def shared_note_json(shared: SharedNote | None, activity_id: int) -> dict[str, Any]:
    """Whether an activity is a copy of a shared note, who wrote it from which side, and whether
    this copy's account may change it."""
    if shared is None:
        return {"shared": False, "shared_by": None}
    return {
        "shared": True,
        "shared_by": {
            "name": shared.author_name,
            "side": shared.author_side,
            "editable": may_change(shared, activity_id),
        },
    }


def task_state(row: Any) -> dict[str, Any] | None:
    """What a task's timeline card shows of it: when it is due and whether it is done."""
    if row.task_key is None:
        return None
    return {"id": row.task_key, "due_at": to_json(row.task_due_at), "done": row.task_done}


def activity_json(
    activity: Any, associations: list[dict[str, Any]], pinned: bool, message_id: str | None
) -> dict[str, Any]:
    """One timeline item as the contract shows it, with what a card needs."""
    return {
        "id": activity.id,
        "type": activity.type,
        "subject": activity.subject,
        "occurred_at": to_json(activity.occurred_at),
        "pinned": pinned,
        "associations": associations,
        # Rows logged before copies were stored clean still hold tracking: never shown with it.
        "body_html": untracked_html(activity.body_html, activity.account_id),
        "body_text": untracked_text(activity.body_text, activity.account_id)[:2000],
        "direction": activity.direction,
        "sender": activity.sender,
        "recipients": activity.recipients,
        "owner_id": activity.owner_id,
        "thread_key": activity.thread_key,
        "rfc_message_id": activity.message_id,
        "message_id": message_id,
        "warnings": [warning_json(warning) for warning in activity.warnings],
        "details": activity.details,
    }


def sanitise_note(body: Any) -> tuple[str, str]:
    """A note's safe HTML and its plain text."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(
            _("A note needs some text."), details={"fields": {"body": "required"}}
        )
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            _("A note can be at most %(count)d characters.", count=MAX_NOTE_LENGTH),
            details={"fields": {"body": "too_long"}},
        )
    html = nh3.clean(
        body, tags=NOTE_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"}
    )
    text = re.sub(r"<[^>]+>", " ", html)
    return html, " ".join(text.split())


def add_note(user: User, record_type: str, record_id: int, body: Any) -> Activity:
    """A note on a record's timeline, written by the user."""
    note = write_note(user, record_type, record_id, body)
    db.session.commit()
    return note


def write_note(user: User, record_type: str, record_id: int, body: Any) -> Activity:
    """A note of the user on a record's timeline (not committed)."""
    require_record(user, record_type, record_id)
    note = Activity(account_id=user.account_id, type="note", owner_id=user.id)
    rewrite_note(note, body)
    db.session.add(note)
    db.session.flush()
    why = encode_why("added_by_user", user=user.display_name)
    apply_associations(note, [Planned(record_type, record_id, "manual", why)])
    return note


def rewrite_note(note: Activity, body: Any) -> None:
    """Give a note a new text (sanitised), its subject the text's beginning."""
    html, text = sanitise_note(body)
    note.subject, note.body_html, note.body_text = text[:120], html, text


def pin(user: User, record_type: str, record_id: int, activity_id: Any) -> Pin:
    """Pin an activity of the record's timeline; a second pin waits until the first is undone."""
    require_record(user, record_type, record_id)
    if stored_integer(activity_id) is None:
        raise ValidationFailed(
            _("activity_id must be an id."), details={"fields": {"activity_id": "integer"}}
        )
    on_timeline = db.session.scalar(
        select(ActivityAssociation.id).where(
            ActivityAssociation.account_id == user.account_id,
            ActivityAssociation.activity_id == activity_id,
            ActivityAssociation.record_type == record_type,
            ActivityAssociation.record_id == record_id,
        )
    )
    if on_timeline is None:
        raise NotFound(_("That activity is not on this record's timeline."))
    current = db.session.scalar(
        select(Pin).where(
            Pin.account_id == user.account_id,
            Pin.record_type == record_type,
            Pin.record_id == record_id,
        )
    )
    if current is not None and current.activity_id != activity_id:
        raise Conflict(
            _("Another activity is already pinned here. Unpin it first."),
            code="already_pinned",
            details={"pinned_activity_id": current.activity_id},
        )
    if current is None:
        current = Pin(
            account_id=user.account_id,
            record_type=record_type,
            record_id=record_id,
            activity_id=activity_id,
            pinned_by_id=user.id,
        )
        db.session.add(current)
    db.session.commit()
    return current


def unpin(user: User, record_type: str, record_id: int) -> None:
    """Remove the record's pin, if any."""
    require_record(user, record_type, record_id)
    db.session.execute(
        delete(Pin).where(
            Pin.account_id == user.account_id,
            Pin.record_type == record_type,
            Pin.record_id == record_id,
        )
    )
    db.session.commit()


def set_activity_associations(user: User, activity_id: int, wanted: Any) -> Activity:
    """Make an activity appear on exactly these records; removals are remembered as the user's."""
    activity = require_activity(user, activity_id)
    if not isinstance(wanted, list) or not all(isinstance(item, dict) for item in wanted):
        raise ValidationFailed(
            _("Send a list of {type, id} objects."), details={"fields": {"associations": "list"}}
        )
    targets = []
    for item in wanted:
        record_id = item.get("id")
        if stored_integer(record_id) is None:
            raise ValidationFailed(_("Each record needs a type and a numeric id."))
        require_record(user, item.get("type"), record_id)
        targets.append((item["type"], record_id))
    current = {
        (row.record_type, row.record_id)
        for row in db.session.scalars(
            select(ActivityAssociation).where(ActivityAssociation.activity_id == activity.id)
        )
    }
    for record_type, record_id in current - set(targets):
        dissociate(user, activity, record_type, record_id)
    associate(user, activity, targets)
    db.session.commit()
    return activity


def dissociate(user: User, activity: Activity, record_type: str, record_id: int) -> None:
    """Take the activity off a record's timeline, remembered as the user's removal (and unpinned);
    not committed."""
    db.session.execute(
        delete(ActivityAssociation).where(
            ActivityAssociation.activity_id == activity.id,
            ActivityAssociation.record_type == record_type,
            ActivityAssociation.record_id == record_id,
        )
    )
    forget_removal(activity, record_type, record_id)
    db.session.add(
        AssociationExclusion(
            account_id=user.account_id,
            activity_id=activity.id,
            record_type=record_type,
            record_id=record_id,
            removed_by_id=user.id,
        )
    )
    db.session.execute(
        delete(Pin).where(
            Pin.activity_id == activity.id,
            Pin.record_type == record_type,
            Pin.record_id == record_id,
        )
    )


def associate(user: User, activity: Activity, targets: list[tuple[str, int]]) -> None:
    """Put the activity on these records' timelines by the user's hand, lifting any earlier
    removal from them; not committed."""
    for record_type, record_id in targets:
        forget_removal(activity, record_type, record_id)
    why = encode_why("added_by_user", user=user.display_name)
    apply_associations(activity, [Planned(t, i, "manual", why) for t, i in targets])


def forget_removal(activity: Activity, record_type: str, record_id: int) -> None:
    """Drop the record of a user having removed the activity from this record."""
    db.session.execute(
        delete(AssociationExclusion).where(
            AssociationExclusion.activity_id == activity.id,
            AssociationExclusion.record_type == record_type,
            AssociationExclusion.record_id == record_id,
        )
    )


def remove_activity(activity: Activity) -> None:
    """Take an activity off every timeline and delete it (not committed)."""
    db.session.execute(delete(Pin).where(Pin.activity_id == activity.id))
    db.session.execute(
        delete(ActivityAssociation).where(ActivityAssociation.activity_id == activity.id)
    )
    db.session.delete(activity)
