"""Web pages that explain logging: a mail's why, and the search "why was my mail not logged?"."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from tracklog.crm.people import contacts_by_email
from tracklog.extensions import db
from tracklog.maillog.api import inbound_json, search_inbound
from tracklog.models import InboundMessage
from tracklog.tracking.kpis import find_message

maillog = Blueprint("maillog", __name__)


@maillog.get("/messages/<public_id>/why")
@login_required
def message_why(public_id: str) -> str:
    """Why one mail was or was not logged, tracked and associated."""
    message = find_message(current_user, public_id)
    received = db.session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == message.id)
    ).all()
    return render_template(
        "maillog/why.html",
        message=message,
        received=[inbound_json(i) for i in received],
        people=contacts_by_email(current_user.account_id, [r.email for r in message.recipients]),
    )


@maillog.get("/logging/why")
@login_required
def search() -> str:
    """Search received mail by recipient and day, each with its why."""
    searched = bool(request.args.get("recipient") or request.args.get("date"))
    rows, next_cursor = search_inbound(current_user) if searched else ([], None)
    return render_template(
        "maillog/search.html",
        results=[inbound_json(row) for row in rows],
        searched=searched,
        next_cursor=next_cursor,
    )


@maillog.app_context_processor
def logging_labels() -> dict[str, dict[str, str]]:
    """Translated names of logging outcomes for templates."""
    return {
        "status_labels": {
            "stored": _l("waiting to be processed"),
            "logged": _l("logged"),
            "not_logged": _l("not logged"),
            "duplicate": _l("already logged"),
            "failed": _l("failed"),
        },
        "outcome_labels": {
            "ok": _l("done"),
            "note": _l("note"),
            "removed": _l("left out"),
            "stop": _l("stopped here"),
        },
    }
