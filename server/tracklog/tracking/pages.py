"""Web pages of tracked mail: followed mail with KPIs, its CSV export and each message's history."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracklog.crm.people import contacts_by_email
from tracklog.crm.records import record_choices
from tracklog.errors import DomainError
from tracklog.models import Company, Deal
from tracklog.tracking.followed import (
    SORT_LABELS,
    FollowedFilters,
    export_followed,
    followed_page,
    read_filters,
)
from tracklog.tracking.kpis import find_message, message_detail
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
    detail = message_detail(find_message(current_user, public_id))
    people = contacts_by_email(current_user.account_id, [r["email"] for r in detail["recipients"]])
    return render_template("tracking/message.html", message=detail, people=people)


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
    """Translated names of tracking modes, hit kinds and classifications for templates."""
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
    }
