"""The files of logged mail: which a timeline card lists, and who may download one."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.errors import NotFound
from tracklog.extensions import db
from tracklog.models import ActivityAssociation, MailAttachment, User


def listed(attachment: MailAttachment) -> bool:
    """Whether a card lists the file: kept, and not a picture the mail's body already shows."""
    picture = (
        attachment.inline and attachment.content_id and attachment.content_type[:6] == "image/"
    )
    return attachment.sha256 is not None and not picture


def attachment_json(attachment: MailAttachment) -> dict[str, Any]:
    """A logged file as a timeline card shows it, with its download link."""
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url_for(
            "api.logged_attachment",
            activity_id=attachment.activity_id,
            attachment_id=attachment.id,
        ),
    }


def attachments_by_activity(activity_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The listed files of several logged mails, in the order the mails carried them."""
    found: dict[int, list[dict[str, Any]]] = {activity_id: [] for activity_id in activity_ids}
    query = (
        select(MailAttachment)
        .where(MailAttachment.activity_id.in_(activity_ids))
        .order_by(MailAttachment.id)
    )
    for attachment in db.session.scalars(query):
        if listed(attachment):
            found[attachment.activity_id].append(attachment_json(attachment))
    return found


def require_logged_attachment(user: User, activity_id: int, attachment_id: int) -> MailAttachment:
    """A kept file of a mail on a record of the user's account, or NotFound."""
    on_a_record = select(ActivityAssociation.id).where(
        ActivityAssociation.account_id == user.account_id,
        ActivityAssociation.activity_id == activity_id,
    )
    attachment = db.session.scalar(
        select(MailAttachment).where(
            MailAttachment.id == attachment_id,
            MailAttachment.activity_id == activity_id,
            MailAttachment.account_id == user.account_id,
            MailAttachment.sha256.is_not(None),
            on_a_record.exists(),
        )
    )
    if attachment is None:
        raise NotFound(_("There is no such attachment."))
    return attachment
