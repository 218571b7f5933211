"""The /settings/webhooks pages (admins): the list, the add form, each webhook's deliveries."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.models import WEBHOOK_EVENTS, WebhookDelivery, utcnow
from tracklog.settings.pages import settings_pages
from tracklog.webhooks.outbox import ALL_EVENTS
from tracklog.webhooks.registry import (
    account_webhooks,
    create_webhook,
    delete_webhook,
    deliveries_query,
    find_webhook,
    require_webhook_admin,
)

DELIVERIES_SHOWN = 50
EVENT_LABELS = {
    ALL_EVENTS: _l("All events"),
    "open": _l("Opens"),
    "click": _l("Clicks"),
    "attachment": _l("Attachment views"),
    "reply": _l("Replies"),
    "logged": _l("Mail logged"),
    "not_logged": _l("Mail not logged"),
}
STATE_LABELS = {
    "pending": _l("Waiting"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
}


def render_webhooks(secret: str | None = None, problem: str | None = None, status: int = 200):
    """The webhooks page, with a new webhook's secret or a refusal when there is one."""
    page = render_template(
        "settings/webhooks.html",
        webhooks=account_webhooks(current_user),
        event_labels=EVENT_LABELS,
        events=(ALL_EVENTS, *WEBHOOK_EVENTS),
        secret=secret,
        problem=problem,
        sent=request.form,
    )
    return page, status


@settings_pages.get("/webhooks")
@login_required
def webhooks() -> tuple[str, int]:
    """The account's webhooks and a form to add one."""
    return render_webhooks()


@settings_pages.post("/webhooks")
@login_required
def add_webhook() -> tuple[str, int]:
    """Add a webhook and show its secret, this once (never through the session's flash)."""
    require_webhook_admin(current_user)
    try:
        webhook = create_webhook(
            current_user, request.form.get("url", ""), request.form.getlist("events")
        )
    except ValidationFailed as refused:
        db.session.rollback()
        return render_webhooks(problem=refused.message, status=422)
    return render_webhooks(secret=webhook.secret, status=201)


@settings_pages.post("/webhooks/<int:webhook_id>/delete")
@login_required
def remove_webhook(webhook_id: int) -> Response:
    """Delete a webhook."""
    delete_webhook(current_user, webhook_id)
    flash(_("The webhook was deleted."), "info")
    return redirect(url_for("settings_pages.webhooks"))


@settings_pages.get("/webhooks/<int:webhook_id>")
@login_required
def webhook_deliveries(webhook_id: int) -> str:
    """A webhook's latest deliveries, each with its attempts."""
    webhook = find_webhook(current_user, webhook_id)
    query = deliveries_query(webhook).order_by(WebhookDelivery.id.desc())
    return render_template(
        "settings/webhook_deliveries.html",
        webhook=webhook,
        deliveries=db.session.scalars(query.limit(DELIVERIES_SHOWN)),
        event_labels=EVENT_LABELS,
        state_labels=STATE_LABELS,
        now=utcnow(),
    )
