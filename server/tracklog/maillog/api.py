"""The logging operations of /api/v1: upload a mail, read a mail's why, search the whys."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.api import api, requested_page
from tracklog.crm.associations import rerun_for_record
from tracklog.crm.timeline import require_record
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.i18n import known_zone
from tracklog.maillog.attachments import require_logged_attachment
from tracklog.maillog.ingest import ingest_now
from tracklog.maillog.store import (
    MailTooLarge,
    mail_size_limit,
    refuse_non_mail,
    refuse_too_large,
)
from tracklog.maillog.why import render_step
from tracklog.models import InboundMessage, InboundRecipient, User
from tracklog.tracking.attachments import send_stored_file
from tracklog.tracking.kpis import find_message

# A mail uploaded as a multipart field travels with a little framing around it.
MULTIPART_ALLOWANCE = 64 * 1024


def inbound_json(inbound: InboundMessage) -> dict:
    """A received mail, its outcome and its why in words."""
    return {
        "id": inbound.id,
        "channel": inbound.channel,
        "received_at": inbound.received_at.isoformat().replace("+00:00", "Z"),
        "subject": inbound.subject,
        "sender": inbound.sender,
        "status": inbound.status,
        "activity_id": inbound.activity_id,
        "why": [render_step(recorded) for recorded in inbound.steps],
    }


def uploaded_mail() -> bytes:
    """The raw MIME mail of an upload: a multipart field 'file' or the request body itself.

    It may be as large as a BCC copy (not only as large as other requests); one announced as
    larger is refused, with a why, before it is read."""
    limit = mail_size_limit()
    request.max_content_length = limit + MULTIPART_ALLOWANCE
    if (request.content_length or 0) > request.max_content_length:
        refuse_too_large(
            g.api_user.account_id,
            "upload",
            request.content_length,
            limit,
            uploader_id=g.api_user.id,
        )
        raise MailTooLarge(limit)
    upload = request.files.get("file")
    raw = upload.read() if upload else request.get_data()
    if not raw:
        raise ValidationFailed(
            _("Send the mail as message/rfc822 in the body or as multipart field 'file'."),
            details={"fields": {"file": "required"}},
        )
    refuse_non_mail(raw)
    return raw


@api.post("/log")
def log_mail() -> tuple[Response, int]:
    """Log a mail uploaded from Outlook (for when BCC is blocked); answers its why."""
    inbound = ingest_now(g.api_user.account_id, uploaded_mail(), "upload", g.api_user.id)
    status = 201 if inbound.status == "logged" else 200
    return jsonify(inbound_json(inbound)), status


def visible_inbound(user: User, mine_only: bool = False):
    """Received mail a user may see: mail they sent or uploaded, or all of it for admins."""
    query = select(InboundMessage).where(InboundMessage.account_id == user.account_id)
    if user.is_admin and not mine_only:
        return query
    mine = sorted(user.all_addresses())
    return query.where((InboundMessage.uploader_id == user.id) | (InboundMessage.sender.in_(mine)))


@api.get("/messages/<message_id>/why")
def message_why(message_id: str) -> Response:
    """Why this mail was or was not logged, tracked and associated, step by step."""
    message = find_message(g.api_user, message_id)
    received = db.session.scalars(
        select(InboundMessage)
        .where(InboundMessage.message_id == message.id)
        .order_by(InboundMessage.id)
    ).all()
    tracking = [
        {"email": r.email, "track": r.track, "log": r.log, "reason": r.reason}
        for r in message.recipients
    ]
    return jsonify(
        {
            "id": message.public_id,
            "subject": message.subject,
            "tracking": message.tracking,
            "recipients": tracking,
            "logged": message.activity_id is not None,
            "received": [inbound_json(inbound) for inbound in received],
        }
    )


def user_zone(user: User) -> ZoneInfo:
    """The user's time zone (UTC when it is not a known zone)."""
    return known_zone(user.time_zone)


def _day(name: str) -> date | None:
    """A YYYY-MM-DD query parameter."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    # The day and the next must exist in every time zone: not the first or the last date.
    if day is None or not date.min < day < date.max:
        raise ValidationFailed(
            _("%(name)s must be a date like 2026-05-31.", name=name),
            details={"fields": {name: "date"}},
        )
    return day


@api.get("/logging/why")
def search_why() -> Response:
    """Why was my mail to X not logged? Received mail by recipient and day, with its why."""
    rows, next_cursor = search_inbound(g.api_user)
    return jsonify({"items": [inbound_json(row) for row in rows], "next_cursor": next_cursor})


def search_inbound(user: User) -> tuple[list[InboundMessage], str | None]:
    """A page of the received mail a user may see, by ?recipient=, ?date= and ?status=."""
    query = visible_inbound(user)
    recipient = request.args.get("recipient", "").strip().lower()
    if recipient:
        matching = select(InboundRecipient.inbound_id).where(
            InboundRecipient.account_id == user.account_id,
            InboundRecipient.email.contains(recipient),
        )
        query = query.where(InboundMessage.id.in_(matching))
    day = _day("date")
    if day is not None:
        start = datetime.combine(day, time.min, tzinfo=user_zone(user))
        query = query.where(
            InboundMessage.received_at >= start,
            InboundMessage.received_at < start + timedelta(days=1),
        )
    if request.args.get("status"):
        query = query.where(InboundMessage.status == request.args["status"])
    return requested_page(query, InboundMessage.id)


@api.post("/records/<record_type>/<int:record_id>/reassociate")
def reassociate(record_type: str, record_id: int) -> Response:
    """Re-run the automatic association of every logged mail of a record; manual ones stay."""
    require_record(g.api_user, record_type, record_id)
    count = rerun_for_record(g.api_user.account, record_type, record_id)
    return jsonify({"activities": count})


@api.get("/activities/<int:activity_id>/attachments/<int:attachment_id>")
def logged_attachment(activity_id: int, attachment_id: int) -> Response:
    """A file of a logged mail, for users of the account; always a download, never rendered."""
    attachment = require_logged_attachment(g.api_user, activity_id, attachment_id)
    return send_stored_file(attachment.sha256, attachment.filename, attachment.content_type)
