"""The forms on a deal's mail cards: associate a mail with the deal, remove it, move it to another
deal or to a new one. They call the same functions as the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracklog.crm import deal_mail
from tracklog.crm.timeline import require_activity, require_record
from tracklog.errors import DomainError

deal_mail_pages = Blueprint("deal_mail_pages", __name__)

MAIL_ROUTE = "/deals/<int:deal_id>/mail/<int:activity_id>"


def change_and_return(deal_id: int, activity_id: int, change: Callable[[], Any]) -> Response:
    """Make the change (a missing deal or mail is a 404), say how it went, and go back to the
    card in the view the form was sent from."""
    require_record(current_user, "deal", deal_id)
    require_activity(current_user, activity_id)
    try:
        done = change()
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    view = request.form.get("mail")
    page = url_for(
        "record_pages.record_page",
        plural="deals",
        record_id=deal_id,
        mail=view if view in deal_mail.MAIL_VIEWS else None,
    )
    return redirect(f"{page}#activity-{activity_id}")


@deal_mail_pages.post(f"{MAIL_ROUTE}/associate")
@login_required
def associate(deal_id: int, activity_id: int) -> Response:
    """Put the mail on this deal."""

    def change() -> str:
        """Associate, and say so."""
        deal_mail.associate_with_deal(current_user, activity_id, deal_id)
        return _("The mail is on this deal now.")

    return change_and_return(deal_id, activity_id, change)


@deal_mail_pages.post(f"{MAIL_ROUTE}/remove")
@login_required
def remove(deal_id: int, activity_id: int) -> Response:
    """Take the mail off this deal."""

    def change() -> str:
        """Remove, and say so."""
        deal_mail.remove_from_deal(current_user, activity_id, deal_id)
        return _("The mail was removed from this deal.")

    return change_and_return(deal_id, activity_id, change)


@deal_mail_pages.post(f"{MAIL_ROUTE}/move")
@login_required
def move(deal_id: int, activity_id: int) -> Response:
    """Move the mail from this deal to the chosen one, or to a new deal ("new")."""
    chosen = request.form.get("to_deal", "")

    def change() -> str:
        """Move, and say where to."""
        to_deal = None if chosen == "new" else chosen
        target = deal_mail.move_to_deal(current_user, activity_id, deal_id, to_deal)
        return _("The mail was moved to %(deal)s.", deal=target.name)

    return change_and_return(deal_id, activity_id, change)
