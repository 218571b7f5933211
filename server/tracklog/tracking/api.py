"""The tracking operations of /api/v1: compose, messages with KPIs, tracked attachments."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from flask_babel import gettext as _

from tracklog.api import api, requested_limit
from tracklog.errors import ValidationFailed
from tracklog.inputs import json_object
from tracklog.privacy.subject import data_subject
from tracklog.tracking.attachments import attachment_json, revoke_attachment, share_file
from tracklog.tracking.compose import (
    ComposeRequest,
    parse_compose_request,
    prepare_message,
    preview_message,
)
from tracklog.tracking.followed import followed_page, read_filters
from tracklog.tracking.insights import insights, read_scope
from tracklog.tracking.kpis import (
    find_message,
    message_detail,
)
from tracklog.tracking.reminders import (
    cancel_reminder,
    message_reminders,
    reminder_json,
    set_reminder,
)
from tracklog.tracking.sendtime import suggest_send_time


def composed_draft() -> ComposeRequest:
    """The draft as Outlook hands it over; NUL bytes in its subject and HTML are dropped, since
    refusing them would block the mail."""
    return parse_compose_request(json_object(free_text=("subject", "html")), g.api_user)


@api.post("/compose")
def compose() -> Response:
    """Prepare a mail for sending: who is tracked and logged, the rewritten HTML, the BCC."""
    return jsonify(prepare_message(g.api_user, composed_draft()))


@api.post("/compose/preview")
def compose_preview() -> Response:
    """What compose would decide for a draft: each recipient, the records; saves nothing."""
    return jsonify(preview_message(g.api_user, composed_draft()))


@api.get("/messages")
def list_messages() -> Response:
    """Followed mail (tracked and logged), newest first unless sorted, each with its KPIs;
    narrowed by the filters of the followed-mail page."""
    filters = read_filters(request.args)
    items, next_cursor = followed_page(
        g.api_user, filters, request.args.get("cursor"), requested_limit()
    )
    return jsonify({"items": items, "next_cursor": next_cursor})


@api.get("/messages/<message_id>")
def get_message(message_id: str) -> Response:
    """One message: KPIs and every event newest first, with its classification and reason."""
    return jsonify(message_detail(find_message(g.api_user, message_id)))


@api.get("/insights")
def get_insights() -> Response:
    """The numbers of the insights page over a period: opens by weekday and hour in the
    recipients' local time, the funnel beside the machine hits, each user's rates (admins)."""
    return jsonify(insights(g.api_user, read_scope(g.api_user, request.args)))


@api.get("/contacts/<int:contact_id>/send-time")
def contact_send_time(contact_id: int) -> Response:
    """When to send the contact mail: from the hours they opened mail before, else the start of
    their (or your) working day; the reason says which."""
    contact = data_subject(g.api_user, contact_id)
    return jsonify(suggest_send_time(g.api_user, contact))


@api.get("/messages/<message_id>/reminders")
def list_reminders(message_id: str) -> Response:
    """The message's follow-up reminders, soonest due first, with their state and reason."""
    message = find_message(g.api_user, message_id)
    return jsonify({"items": [reminder_json(r, message) for r in message_reminders(message)]})


@api.post("/messages/<message_id>/reminders")
def create_reminder(message_id: str) -> tuple[Response, int]:
    """Remind the sender in N days or at a moment, unless the recipients reply, open or click."""
    message = find_message(g.api_user, message_id)
    reminder = set_reminder(g.api_user, message, json_object())
    return jsonify(reminder_json(reminder, message)), 201


@api.delete("/messages/<message_id>/reminders/<int:reminder_id>")
def delete_reminder(message_id: str, reminder_id: int) -> Response:
    """Cancel a pending reminder; answers it, cancelled."""
    message = find_message(g.api_user, message_id)
    return jsonify(reminder_json(cancel_reminder(message, reminder_id), message))


@api.post("/attachments")
def create_attachment() -> tuple[Response, int]:
    """Store a file (multipart field 'file') and return its tracked, expiring download link."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(
            _("Send the file as multipart field 'file'."), details={"fields": {"file": "required"}}
        )
    shared = share_file(
        g.api_user,
        upload.stream,
        upload.filename or "",
        upload.mimetype,
        request.form.get("message_id"),
    )
    return jsonify(attachment_json(shared)), 201


@api.delete("/attachments/<int:attachment_id>")
def delete_attachment(attachment_id: int) -> Response:
    """Revoke a tracked attachment's download link."""
    return jsonify(attachment_json(revoke_attachment(g.api_user, attachment_id)))
