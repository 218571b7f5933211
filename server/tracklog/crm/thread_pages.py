"""The record page's forms for what hangs off notes and deals: a shared message, comments and files
under a note, a deal's product lines and quotes. They call the same functions as the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracklog.crm import note_threads, quotes
from tracklog.crm.activities import plain_text_html
from tracklog.crm.paths import RECORD_ROUTE, SINGULARS
from tracklog.crm.timeline import require_record
from tracklog.errors import DomainError, ValidationFailed
from tracklog.extensions import db
from tracklog.models import Deal
from tracklog.partners.notes import post_note
from tracklog.partners.shared import shared_deal_of

thread_pages = Blueprint("thread_pages", __name__)

RECORD = f"/{RECORD_ROUTE}/<int:record_id>"
QUOTE_STATE_LABELS = {
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
}


def change_and_return(plural: str, record_id: int, change: Callable[[], str], anchor: str):
    """Make the change on a record of the user's account, say how it went, and go back to the
    record page (to the Shared tab when the form was sent from it)."""
    require_record(current_user, SINGULARS[plural], record_id)
    try:
        done = change()
    except DomainError as error:
        problems = error.details.get("fields", {}) if isinstance(error.details, dict) else {}
        named = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
        flash(f"{error.message} {named}".strip(), "error")
    else:
        flash(done, "success")
    view = "shared" if request.form.get("view") == "shared" else None
    page = url_for("record_pages.record_page", plural=plural, record_id=record_id, mail=view)
    return redirect(page + anchor)


def filled_fields() -> dict[str, Any]:
    """The posted form's fields that were filled in (an empty field means: not given)."""
    return {name: value for name, value in request.form.items() if value.strip()}


@thread_pages.post(f"{RECORD}/shared-notes")
@login_required
def post_shared_note(plural: str, record_id: int) -> Response:
    """Post a note that the partner sees too (a "Shared message")."""
    text = request.form.get("body", "")

    def change() -> str:
        """Share the message, and say so."""
        body = plain_text_html(text) if text.strip() else ""
        post_note(current_user, SINGULARS[plural], record_id, body, True)
        return _("Shared message posted: the partner sees it too.")

    return change_and_return(plural, record_id, change, "#timeline")


@thread_pages.post(f"{RECORD}/notes/<int:activity_id>/comments")
@login_required
def add_comment(plural: str, record_id: int, activity_id: int) -> Response:
    """Comment on a note."""

    def change() -> str:
        """Comment, and say so."""
        note_threads.add_comment(current_user, activity_id, request.form.get("body", ""))
        return _("Comment added.")

    return change_and_return(plural, record_id, change, f"#activity-{activity_id}")


@thread_pages.post(f"{RECORD}/comments/<int:comment_id>/delete")
@login_required
def delete_comment(plural: str, record_id: int, comment_id: int) -> Response:
    """Delete a comment."""

    def change() -> str:
        """Delete, and say so."""
        note_threads.delete_comment(current_user, comment_id)
        return _("Comment deleted.")

    return change_and_return(plural, record_id, change, "#timeline")


@thread_pages.post(f"{RECORD}/notes/<int:activity_id>/files")
@login_required
def attach_file(plural: str, record_id: int, activity_id: int) -> Response:
    """Attach a file to a note."""
    upload = request.files.get("file")

    def change() -> str:
        """Store the file, and say so."""
        if upload is None or not upload.filename:
            raise ValidationFailed(_("Choose a file to attach."))
        note_threads.attach_file(
            current_user, activity_id, upload.stream, upload.filename, upload.mimetype
        )
        return _("File attached.")

    return change_and_return(plural, record_id, change, f"#activity-{activity_id}")


@thread_pages.post(f"{RECORD}/files/<int:file_id>/delete")
@login_required
def delete_file(plural: str, record_id: int, file_id: int) -> Response:
    """Delete a note's file."""

    def change() -> str:
        """Delete, and say so."""
        note_threads.delete_note_file(current_user, file_id)
        return _("File deleted.")

    return change_and_return(plural, record_id, change, "#timeline")


def add_to_deal(kind: quotes.Kind, plural: str, record_id: int, done: str) -> Response:
    """Create a product line or quote from the posted form; back to the deal's products."""

    def change() -> str:
        """Create, and say so."""
        quotes.create_row(kind, current_user, record_id, filled_fields())
        return done

    return change_and_return(plural, record_id, change, "#products")


def remove_from_deal(
    kind: quotes.Kind, plural: str, record_id: int, row_id: int, done: str
) -> Response:
    """Delete a product line or quote of the deal; back to the deal's products."""

    def change() -> str:
        """Delete, and say so."""
        quotes.delete_row(kind, current_user, row_id)
        return done

    return change_and_return(plural, record_id, change, "#products")


DEAL = "/<any(deals):plural>/<int:record_id>"


@thread_pages.post(f"{DEAL}/line-items")
@login_required
def add_line_item(plural: str, record_id: int) -> Response:
    """Add a product line to the deal."""
    return add_to_deal(quotes.LINE_ITEMS, plural, record_id, _("Product line added."))


@thread_pages.post(f"{DEAL}/line-items/<int:row_id>/delete")
@login_required
def delete_line_item(plural: str, record_id: int, row_id: int) -> Response:
    """Remove a product line from the deal."""
    return remove_from_deal(
        quotes.LINE_ITEMS, plural, record_id, row_id, _("Product line removed.")
    )


@thread_pages.post(f"{DEAL}/quotes")
@login_required
def add_quote(plural: str, record_id: int) -> Response:
    """Add a quote to the deal."""
    return add_to_deal(quotes.QUOTES, plural, record_id, _("Quote added."))


@thread_pages.post(f"{DEAL}/quotes/<int:row_id>/delete")
@login_required
def delete_quote(plural: str, record_id: int, row_id: int) -> Response:
    """Remove a quote from the deal."""
    return remove_from_deal(quotes.QUOTES, plural, record_id, row_id, _("Quote removed."))


@thread_pages.app_template_global()
def deal_sharing(deal_id: int) -> dict[str, bool]:
    """Whether a deal of the reader's account is shared, and still in step with the partner."""
    deal = db.session.get(Deal, deal_id)
    shared = shared_deal_of(deal) if deal and deal.account_id == current_user.account_id else None
    return {
        "shared": shared is not None,
        "syncing": bool(shared) and shared.partnership.status == "active",
    }


@thread_pages.app_template_global()
def deal_products(deal_id: int) -> dict[str, Any]:
    """A deal's product lines and quotes as its page lists them."""
    lines = quotes.rows_of(quotes.LINE_ITEMS, current_user, deal_id)
    return {
        "lines": [quotes.line_item_json(line) for line in lines],
        "quotes": [
            quotes.quote_json(quote)
            for quote in quotes.rows_of(quotes.QUOTES, current_user, deal_id)
        ],
        "quote_states": QUOTE_STATE_LABELS,
    }
