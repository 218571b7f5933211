"""Web pages of tracked mail: followed mail with KPIs, its CSV export and each message's history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracklog.crm.people import contacts_by_email
from tracklog.crm.records import record_choices
from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.models import Company, Deal, Message
from tracklog.tracking.followed import (
    SORT_LABELS,
    FollowedFilters,
    export_followed,
    followed_page,
    read_filters,
)
from tracklog.tracking.kpis import (
    find_message,
    message_detail,
)
from tracklog.tracking.reminders import (
    MAX_DAYS,
    cancel_reminder,
    message_reminders,
    set_reminder,
)
from tracklog.tracking.sightings import note_sighting
from tracklog.tracking.views import SENDER_COOKIE, sender_cookie_serializer

messages = Blueprint("messages", __name__, url_prefix="/messages")
SENDER_COOKIE_SECONDS = 365 * 24 * 3600


@messages.get("")
@login_required
def message_list() -> str | tuple[str, int]:
    """Followed mail: every tracked and logged message with its counts, filtered and sorted."""
    try:
        filters = read_filters(request.args)
    except DomainError as error:
        return _list_page(FollowedFilters(), [], None, error.details.get("fields", {})), 400
    summaries, next_cursor = followed_page(current_user, filters, request.args.get("cursor"))
    return _list_page(filters, summaries, next_cursor, {})


def _list_page(
    filters: FollowedFilters, summaries: list[dict], next_cursor: str | None, problems: dict
) -> str:
    """The followed-mail page for these filters and rows."""
    emails = [r["email"] for summary in summaries for r in summary["recipients"]]
    return render_template(
        "tracking/messages.html",
        messages=summaries,
        people=contacts_by_email(current_user.account_id, emails),
        companies=record_choices(Company, current_user.account_id),
        deals=record_choices(Deal, current_user.account_id),
        filters=filters,
        problems=problems,
        sort_labels=SORT_LABELS,
        next_cursor=next_cursor,
    )


@messages.get("/export.csv")
@login_required
def export_messages() -> Response:
    """Followed mail as CSV, with the same filters and sort as the page."""
    filters = read_filters(request.args)
    return Response(
        stream_with_context(export_followed(current_user, filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=followed-mail.csv"},
    )


@messages.get("/<public_id>")
@login_required
def message_page(public_id: str) -> str:
    """One message: its counts and every hit with when, where, which device and why."""
    message = find_message(current_user, public_id)
    detail = message_detail(message)
    people = contacts_by_email(current_user.account_id, [r["email"] for r in detail["recipients"]])
    return render_template(
        "tracking/message.html",
        message=detail,
        people=people,
        reminders=message_reminders(message),
        max_days=MAX_DAYS,
    )


def changed_reminders(public_id: str, change: Callable[[Message], Any], done: str) -> Response:
    """Change the message's reminders, say what happened (or why not), back to its page."""
    try:
        change(find_message(current_user, public_id))
        flash(done, "info")
    except DomainError as refused:
        db.session.rollback()
        problems = refused.details.get("fields", {})
        flash(" ".join([refused.message, *problems.values()]), "error")
    return redirect(url_for("messages.message_page", public_id=public_id) + "#reminders")


@messages.post("/<public_id>/reminders")
@login_required
def add_reminder(public_id: str) -> Response:
    """Remind the sender in N days unless the recipients reply, open or click."""
    form = request.form.to_dict(flat=True)
    return changed_reminders(
        public_id,
        lambda message: set_reminder(current_user, message, form),
        _("The reminder is set."),
    )


@messages.post("/<public_id>/reminders/<int:reminder_id>/cancel")
@login_required
def cancel_reminder_page(public_id: str, reminder_id: int) -> Response:
    """Cancel a pending reminder of the message."""
    return changed_reminders(
        public_id,
        lambda message: cancel_reminder(message, reminder_id),
        _("The reminder was cancelled."),
    )


@messages.after_app_request
def mark_senders_browser(response: Response) -> Response:
    """Mark a signed-in user's browser on the tracking path, so their own opens are known."""
    if current_user.is_authenticated and not request.path.startswith("/api/"):
        note_sighting(current_user, request)
    if current_user.is_authenticated and SENDER_COOKIE not in request.cookies:
        response.set_cookie(
            SENDER_COOKIE,
            sender_cookie_serializer().dumps(current_user.id),
            max_age=SENDER_COOKIE_SECONDS,
            path="/t/",
            secure=True,
            httponly=True,
            samesite="None",
        )
    return response


@messages.app_context_processor
def tracking_labels() -> dict[str, dict[str, str]]:
    """Translated names of tracking modes, hit kinds, classifications and reminder states for
    templates."""
    return {
        "tracking_labels": {
            "individual": _l("per recipient"),
            "anonymous": _l("anonymous (several recipients)"),
            "off": _l("not tracked"),
        },
        "kind_labels": {
            "open": _l("opened"),
            "click": _l("clicked"),
            "attachment": _l("viewed the attachment"),
            "reply": _l("replied"),
        },
        "classification_labels": {
            "human": _l("a person"),
            "sender": _l("your own client"),
            "proxy": _l("a person, through an image proxy"),
            "prefetch": _l("a privacy prefetch (not an open)"),
            "scanner": _l("a link scanner"),
            "bot": _l("a bot"),
        },
        "reminder_labels": {
            "reply": _l("reply"),
            "open": _l("open it"),
            "click": _l("click a link"),
            "pending": _l("pending"),
            "firing": _l("pending"),
            "fired": _l("a follow-up task was created"),
            "closed": _l("not needed"),
            "cancelled": _l("cancelled"),
            "replied": _l("they replied"),
            "opened": _l("they opened it"),
            "clicked": _l("they clicked a link"),
        },
    }
