"""The thread under a note: comments and files. On a shared note each comment and file is copied
to the partner's copy of the note (and removed from it) while the partnership is active."""

from __future__ import annotations

import os
from typing import IO, Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import delete, select

from tracklog.crm.fields import to_json
from tracklog.errors import Forbidden, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import storable_text
from tracklog.models import Activity, NoteComment, NoteFile, User
from tracklog.partners.shared import author_name
from tracklog.partners.twins import (
    copy_side,
    new_twin_key,
    shared_note_of,
    twin_note,
    twin_row,
)
from tracklog.tracking.attachments import remove_unused_files, store_file

MAX_COMMENT_LENGTH = 5000


def require_note(user: User, activity_id: int) -> Activity:
    """A note of the user's account, or NotFound."""
    note = db.session.scalar(
        select(Activity).where(
            Activity.id == activity_id,
            Activity.account_id == user.account_id,
            Activity.type == "note",
        )
    )
    if note is None:
        raise NotFound(_("There is no note %(id)s.", id=activity_id))
    return note


def comment_text(body: Any) -> str:
    """A comment's trimmed text, or ValidationFailed."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(
            _("A comment needs some text."), details={"fields": {"body": _("required")}}
        )
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(
            _("A comment can be at most %(count)d characters.", count=MAX_COMMENT_LENGTH),
            details={"fields": {"body": _("too long")}},
        )
    return storable_text(body.strip())


def add_twin_copy(row: NoteComment | NoteFile, copy: Activity, columns: tuple[str, ...]) -> None:
    """Give a comment or file of a shared note a twin key, and add its copy (those columns) under
    the partner's copy of the note; the author's id stays on the author's side."""
    row.twin_key = new_twin_key()
    values = {column: getattr(row, column) for column in columns}
    db.session.add(
        type(row)(account_id=copy.account_id, activity_id=copy.id, twin_key=row.twin_key, **values)
    )


def add_comment(user: User, activity_id: int, body: Any) -> NoteComment:
    """The user's comment under a note, copied under the partner's copy of a shared note."""
    note = require_note(user, activity_id)
    text = comment_text(body)
    twin = twin_note(note)
    comment = NoteComment(
        account_id=user.account_id,
        activity_id=note.id,
        author_id=user.id,
        author_name=author_name(user),
        body=text,
    )
    if twin is not None:
        comment.author_side = copy_side(twin[0], note.id)
        add_twin_copy(comment, twin[1], ("author_name", "author_side", "body"))
    db.session.add(comment)
    db.session.commit()
    return comment


def comments_of(user: User, activity_id: int) -> list[NoteComment]:
    """The comments under a note of the user's account, oldest first."""
    note = require_note(user, activity_id)
    query = select(NoteComment).where(
        NoteComment.account_id == user.account_id, NoteComment.activity_id == note.id
    )
    return list(db.session.scalars(query.order_by(NoteComment.id)))


def delete_comment(user: User, comment_id: int) -> None:
    """Delete a comment (its author, or an admin of the side that wrote it), on both sides of a
    shared note while the partnership is active."""
    comment = db.session.scalar(
        select(NoteComment).where(
            NoteComment.id == comment_id, NoteComment.account_id == user.account_id
        )
    )
    if comment is None:
        raise NotFound(_("There is no comment %(id)s.", id=comment_id))
    note = db.session.get(Activity, comment.activity_id)
    shared_note = shared_note_of(note.id)
    here = copy_side(shared_note, note.id) if shared_note else None
    written_here = comment.author_side in (None, here)
    if comment.author_id != user.id and not (user.is_admin and written_here):
        raise Forbidden(_("Only its author or an admin of their account can delete a comment."))
    twin = twin_note(note)
    if twin is not None:
        copy = twin_row(NoteComment, comment, twin[1].account_id)
        if copy is not None:
            db.session.delete(copy)
    db.session.delete(comment)
    db.session.commit()


def comment_json(comment: NoteComment) -> dict[str, Any]:
    """A comment as the API and the timeline show it."""
    return {
        "id": comment.id,
        "activity_id": comment.activity_id,
        "body": comment.body,
        "author": comment.author_name,
        "author_id": comment.author_id,
        "side": comment.author_side,
        "created_at": to_json(comment.created_at),
    }


def attach_file(
    user: User, activity_id: int, stream: IO[bytes], filename: str, content_type: str
) -> NoteFile:
    """Store a file on a note (within the account's attachment size limit); on a shared note the
    partner's copy names the same stored bytes."""
    note = require_note(user, activity_id)
    name = storable_text(os.path.basename(filename or ""))[:255]
    if not name:
        raise ValidationFailed(
            _("Send the file as multipart field 'file' with a file name."),
            details={"fields": {"file": _("required")}},
        )
    sha256, size = store_file(stream, user.account.attachment_size_limit)
    row = NoteFile(
        account_id=user.account_id,
        activity_id=note.id,
        uploaded_by_id=user.id,
        uploader_name=author_name(user),
        filename=name,
        content_type=content_type or "application/octet-stream",
        size=size,
        sha256=sha256,
    )
    twin = twin_note(note)
    if twin is not None:
        row.uploader_side = copy_side(twin[0], note.id)
        columns = ("uploader_name", "uploader_side", "filename", "content_type", "size", "sha256")
        add_twin_copy(row, twin[1], columns)
    db.session.add(row)
    db.session.commit()
    return row


def require_note_file(user: User, file_id: int) -> NoteFile:
    """A file on a note of the user's account, or NotFound."""
    row = db.session.scalar(
        select(NoteFile).where(NoteFile.id == file_id, NoteFile.account_id == user.account_id)
    )
    if row is None:
        raise NotFound(_("There is no file %(id)s.", id=file_id))
    return row


def delete_note_file(user: User, file_id: int) -> None:
    """Delete a note's file, from both sides of a shared note while the partnership is active;
    the stored bytes go once nothing names them."""
    row = require_note_file(user, file_id)
    twin = twin_note(db.session.get(Activity, row.activity_id))
    if twin is not None:
        db.session.execute(
            delete(NoteFile).where(
                NoteFile.account_id == twin[1].account_id, NoteFile.twin_key == row.twin_key
            )
        )
    sha256 = row.sha256
    db.session.delete(row)
    db.session.commit()
    remove_unused_files({sha256})


def file_hashes_of(activity_ids: list[int]) -> set[str]:
    """The stored contents the files on these notes name (to remove once the notes are gone)."""
    query = select(NoteFile.sha256).where(NoteFile.activity_id.in_(activity_ids))
    return set(db.session.scalars(query))


def file_json(row: NoteFile) -> dict[str, Any]:
    """A note's file as the API and the timeline show it, with its download link."""
    return {
        "id": row.id,
        "activity_id": row.activity_id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "uploaded_by": row.uploader_name,
        "side": row.uploader_side,
        "url": url_for("api.download_note_file", file_id=row.id),
        "created_at": to_json(row.created_at),
    }


def threads_by_note(activity_ids: list[int]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """The comments and files of several activities, oldest first, in two queries."""
    found: dict[int, dict[str, list[dict[str, Any]]]] = {
        activity_id: {"comments": [], "files": []} for activity_id in activity_ids
    }
    if not activity_ids:
        return found
    for comment in db.session.scalars(
        select(NoteComment)
        .where(NoteComment.activity_id.in_(activity_ids))
        .order_by(NoteComment.id)
    ):
        found[comment.activity_id]["comments"].append(comment_json(comment))
    for row in db.session.scalars(
        select(NoteFile).where(NoteFile.activity_id.in_(activity_ids)).order_by(NoteFile.id)
    ):
        found[row.activity_id]["files"].append(file_json(row))
    return found
