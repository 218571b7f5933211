"""Everything held about one contact: a ZIP of JSON and CSV files, with the files of their mail."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, inspect, or_, select
from werkzeug.utils import secure_filename

from tracklog.audit.log import record_audit
from tracklog.extensions import db
from tracklog.models import (
    Activity,
    Contact,
    EngagementEvent,
    MailAttachment,
    Message,
    NoteComment,
    NoteFile,
    RecordAssociation,
    Task,
    User,
)
from tracklog.privacy.subject import data_subject, timeline_activity_ids, tracked_recipients
from tracklog.tracking.attachments import attachment_path


def row_json(row: Any) -> dict[str, Any]:
    """Every column of a row, as JSON can carry it."""
    return {
        column.key: _plain(getattr(row, column.key)) for column in inspect(row).mapper.column_attrs
    }


def _plain(value: Any) -> Any:
    """A value JSON and CSV can hold (times as ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime | date) else value


def csv_text(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV, one column per key; lists and objects written as JSON."""
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value, ensure_ascii=False)
                if isinstance(value, dict | list)
                else value
                for key, value in row.items()
            }
        )
    return out.getvalue()


def associations_of(contact: Contact) -> list[dict[str, Any]]:
    """The contact's links to companies, deals, tickets and other contacts."""
    query = select(RecordAssociation).where(
        RecordAssociation.account_id == contact.account_id,
        or_(
            and_(RecordAssociation.from_type == "contact", RecordAssociation.from_id == contact.id),
            and_(RecordAssociation.to_type == "contact", RecordAssociation.to_id == contact.id),
        ),
    )
    return [row_json(row) for row in db.session.scalars(query.order_by(RecordAssociation.id))]


def timeline_of(contact: Contact) -> list[Activity]:
    """The activities on the contact's timeline (logged mail with its bodies), oldest first."""
    ids = timeline_activity_ids(contact)
    found = {a.id: a for a in db.session.scalars(select(Activity).where(Activity.id.in_(ids)))}
    return [found[activity_id] for activity_id in ids]


def tasks_of(contact: Contact) -> list[dict[str, Any]]:
    """The tasks about the contact."""
    query = select(Task).where(
        Task.account_id == contact.account_id,
        Task.record_type == "contact",
        Task.record_id == contact.id,
    )
    return [row_json(task) for task in db.session.scalars(query.order_by(Task.id))]


def attachments_of(activities: list[Activity]) -> list[MailAttachment]:
    """The files of the mail on the timeline."""
    query = select(MailAttachment).where(
        MailAttachment.activity_id.in_([activity.id for activity in activities])
    )
    return list(db.session.scalars(query.order_by(MailAttachment.id)))


def note_threads_of(activities: list[Activity]) -> tuple[list[NoteComment], list[NoteFile]]:
    """The comments and the files on the notes of the timeline."""
    notes = [activity.id for activity in activities if activity.type == "note"]
    comments = select(NoteComment).where(NoteComment.activity_id.in_(notes))
    files = select(NoteFile).where(NoteFile.activity_id.in_(notes))
    return (
        list(db.session.scalars(comments.order_by(NoteComment.id))),
        list(db.session.scalars(files.order_by(NoteFile.id))),
    )


def archive_name(stored: MailAttachment | NoteFile) -> str:
    """Where a file goes in the ZIP: its folder and id keep names unique and safe."""
    folder = "note_files" if isinstance(stored, NoteFile) else "attachments"
    return f"{folder}/{stored.id}-{secure_filename(stored.filename) or 'file'}"


def tracked_mail_of(contact: Contact) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Tracked mail sent to the contact's address, and the engagement events of that address."""
    recipients = tracked_recipients(contact)
    messages = {
        m.id: m
        for m in db.session.scalars(
            select(Message).where(Message.id.in_([r.message_id for r in recipients]))
        )
    }
    mail = [
        {
            **row_json(recipient),
            "subject": messages[recipient.message_id].subject,
            "sent_at": _plain(messages[recipient.message_id].sent_at),
        }
        for recipient in recipients
    ]
    events = select(EngagementEvent).where(
        EngagementEvent.recipient_id.in_([recipient.id for recipient in recipients])
    )
    return mail, [row_json(e) for e in db.session.scalars(events.order_by(EngagementEvent.id))]


def readme_text() -> str:
    """What each file of the export holds, in the reader's language."""
    lines = [
        _("Everything tracklog holds about one contact."),
        "",
        _("contact.json, contact.csv: the contact record."),
        _(
            "associations.json, associations.csv: the companies, deals, tickets and contacts it is "
            "associated with."
        ),
        _(
            "timeline.json, timeline.csv: the activities on its timeline, logged mail with its "
            "bodies."
        ),
        _("notes.json, notes.csv: the notes among those activities."),
        _("note_comments.json, note_comments.csv: the comments in the threads under those notes."),
        _(
            "note_files.json, note_files.csv and the folder note_files/: the files attached to "
            "those notes."
        ),
        _("tasks.json, tasks.csv: the tasks about the contact."),
        _(
            "attachments.json, attachments.csv and the folder attachments/: the files of the "
            "logged mail on its timeline (a file left out when the mail was logged has no copy)."
        ),
        _(
            "tracked_mail.json, tracked_mail.csv: tracked mail sent to its address, and whether it "
            "was tracked and logged for it."
        ),
        _(
            "engagement_events.json, engagement_events.csv: every open, click, attachment view and "
            "reply recorded for its address."
        ),
    ]
    return "\n".join(lines) + "\n"


def _write_table(archive: zipfile.ZipFile, name: str, rows: list[dict[str, Any]]) -> None:
    """One table of the export as name.json and name.csv."""
    archive.writestr(f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2))
    archive.writestr(f"{name}.csv", csv_text(rows))


def _write_files(
    archive: zipfile.ZipFile, name: str, stored: Iterable[MailAttachment | NoteFile]
) -> None:
    """A table of files as name.json and name.csv, and the kept files themselves, from the
    attachment store."""
    rows = [{**row_json(s), "file": archive_name(s) if s.sha256 else None} for s in stored]
    _write_table(archive, name, rows)
    for each in stored:
        path = attachment_path(each.sha256) if each.sha256 else None
        if path is not None and path.exists():
            archive.write(path, archive_name(each))


def export_contact(actor: User, contact_id: int) -> tuple[Contact, bytes]:
    """The contact and the ZIP of everything held about them; the export is audited."""
    contact = data_subject(actor, contact_id)
    activities = timeline_of(contact)
    attachments = attachments_of(activities)
    comments, note_files = note_threads_of(activities)
    mail, events = tracked_mail_of(contact)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme_text())
        _write_table(archive, "contact", [row_json(contact)])
        _write_table(archive, "associations", associations_of(contact))
        _write_table(archive, "timeline", [row_json(a) for a in activities])
        _write_table(archive, "notes", [row_json(a) for a in activities if a.type == "note"])
        _write_table(archive, "note_comments", [row_json(c) for c in comments])
        _write_files(archive, "note_files", note_files)
        _write_table(archive, "tasks", tasks_of(contact))
        _write_files(archive, "attachments", attachments)
        _write_table(archive, "tracked_mail", mail)
        _write_table(archive, "engagement_events", events)
    record_audit(actor, actor.account_id, "contact_exported", ("contact", contact.id))
    db.session.commit()
    return contact, out.getvalue()
