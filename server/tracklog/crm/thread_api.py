"""Note edits, comments and files on notes, and deals' product lines and quotes under /api/v1."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from flask_babel import gettext as _

from tracklog.api import api
from tracklog.crm import note_threads, quotes
from tracklog.crm.timeline import activities_json
from tracklog.errors import ValidationFailed
from tracklog.inputs import json_object
from tracklog.partners.notes import edit_note
from tracklog.tracking.attachments import send_stored_file


@api.patch("/activities/<int:activity_id>")
def patch_note(activity_id: int) -> Response:
    """Change a note's text: {"body"}; a shared note changes on both sides."""
    note = edit_note(g.api_user, activity_id, json_object().get("body"))
    return jsonify(activities_json([note.id], None)[0])


@api.get("/activities/<int:activity_id>/comments")
def list_comments(activity_id: int) -> Response:
    """The comments under a note, oldest first."""
    comments = note_threads.comments_of(g.api_user, activity_id)
    return jsonify({"items": [note_threads.comment_json(c) for c in comments]})


@api.post("/activities/<int:activity_id>/comments")
def add_comment(activity_id: int) -> tuple[Response, int]:
    """Comment on a note: {"body"}; on a shared note the partner sees it too."""
    comment = note_threads.add_comment(g.api_user, activity_id, json_object().get("body"))
    return jsonify(note_threads.comment_json(comment)), 201


@api.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int) -> tuple[str, int]:
    """Delete a comment (its author or an admin), on both sides of a shared note."""
    note_threads.delete_comment(g.api_user, comment_id)
    return "", 204


@api.post("/activities/<int:activity_id>/files")
def attach_note_file(activity_id: int) -> tuple[Response, int]:
    """Attach a file to a note (multipart field "file"); on a shared note both sides see it."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(
            _("Send the file as multipart field 'file' with a file name."),
            details={"fields": {"file": _("required")}},
        )
    row = note_threads.attach_file(
        g.api_user, activity_id, upload.stream, upload.filename or "", upload.mimetype
    )
    return jsonify(note_threads.file_json(row)), 201


@api.get("/files/<int:file_id>")
def download_note_file(file_id: int) -> Response:
    """A note's file, always as a download, never rendered."""
    row = note_threads.require_note_file(g.api_user, file_id)
    return send_stored_file(row.sha256, row.filename, row.content_type)


@api.delete("/files/<int:file_id>")
def delete_note_file(file_id: int) -> tuple[str, int]:
    """Delete a note's file, on both sides of a shared note."""
    note_threads.delete_note_file(g.api_user, file_id)
    return "", 204


@api.get("/deals/<int:deal_id>/line-items")
def list_line_items(deal_id: int) -> Response:
    """The deal's product lines, each with its total."""
    rows = quotes.rows_of(quotes.LINE_ITEMS, g.api_user, deal_id)
    return jsonify({"items": [quotes.line_item_json(row) for row in rows]})


@api.post("/deals/<int:deal_id>/line-items")
def create_line_item(deal_id: int) -> tuple[Response, int]:
    """Add a product line to the deal (copied to the partner's deal when shared)."""
    row = quotes.create_row(quotes.LINE_ITEMS, g.api_user, deal_id, json_object())
    return jsonify(quotes.line_item_json(row)), 201


@api.patch("/line-items/<int:item_id>")
def update_line_item(item_id: int) -> Response:
    """Change a product line (and the partner's copy when the deal is shared)."""
    row = quotes.update_row(quotes.LINE_ITEMS, g.api_user, item_id, json_object())
    return jsonify(quotes.line_item_json(row))


@api.delete("/line-items/<int:item_id>")
def delete_line_item(item_id: int) -> tuple[str, int]:
    """Delete a product line (and the partner's copy when the deal is shared)."""
    quotes.delete_row(quotes.LINE_ITEMS, g.api_user, item_id)
    return "", 204


@api.get("/deals/<int:deal_id>/quotes")
def list_quotes(deal_id: int) -> Response:
    """The deal's quotes."""
    rows = quotes.rows_of(quotes.QUOTES, g.api_user, deal_id)
    return jsonify({"items": [quotes.quote_json(row) for row in rows]})


@api.post("/deals/<int:deal_id>/quotes")
def create_quote(deal_id: int) -> tuple[Response, int]:
    """Add a quote to the deal (copied to the partner's deal when shared)."""
    row = quotes.create_row(quotes.QUOTES, g.api_user, deal_id, json_object())
    return jsonify(quotes.quote_json(row)), 201


@api.patch("/quotes/<int:quote_id>")
def update_quote(quote_id: int) -> Response:
    """Change a quote (and the partner's copy when the deal is shared)."""
    row = quotes.update_row(quotes.QUOTES, g.api_user, quote_id, json_object())
    return jsonify(quotes.quote_json(row))


@api.delete("/quotes/<int:quote_id>")
def delete_quote(quote_id: int) -> tuple[str, int]:
    """Delete a quote (and the partner's copy when the deal is shared)."""
    quotes.delete_row(quotes.QUOTES, g.api_user, quote_id)
    return "", 204
