"""The account's webhooks: registered, listed and deleted by admins, each act audited."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select, update

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import require_admin
from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.models import WEBHOOK_EVENTS, User, Webhook, WebhookDelivery, utcnow
from tracklog.webhooks.address import check_url
from tracklog.webhooks.outbox import ALL_EVENTS, forget_cached_webhooks

SECRET_PREFIX = "whsec_"


def read_events(value: Any) -> list[str]:
    """The event kinds asked for: a non-empty list of known kinds, or ["*"] for all."""
    known = (*WEBHOOK_EVENTS, ALL_EVENTS)
    if not isinstance(value, list) or not value or not all(kind in known for kind in value):
        message = _("events must be a list of: %(kinds)s.", kinds=", ".join(known))
        raise ValidationFailed(message, details={"fields": {"events": ", ".join(known)}})
    return [ALL_EVENTS] if ALL_EVENTS in value else list(dict.fromkeys(value))


def require_webhook_admin(actor: User) -> None:
    """Forbidden unless the actor is an admin: webhooks send the whole account's events out."""
    require_admin(actor, _("Only an admin can manage the account's webhooks."))


def create_webhook(actor: User, url: Any, events: Any) -> Webhook:
    """Register a URL for some events (admins); its secret is readable this once."""
    require_webhook_admin(actor)
    kinds = read_events(events)
    check_url(url, current_app.config["WEBHOOK_ALLOW_HTTP"])
    webhook = Webhook(
        account_id=actor.account_id,
        url=url.strip(),
        events=kinds,
        secret=SECRET_PREFIX + secrets.token_urlsafe(32),
        created_by_id=actor.id,
    )
    db.session.add(webhook)
    db.session.flush()
    changes = {"url": [None, webhook.url], "events": [None, kinds]}
    record_audit(actor, actor.account_id, "webhook_created", ("webhook", webhook.id), changes)
    db.session.commit()
    forget_cached_webhooks(actor.account_id)
    return webhook


def account_webhooks(actor: User) -> list[Webhook]:
    """The account's active webhooks, oldest first (admins)."""
    require_webhook_admin(actor)
    query = select(Webhook).where(Webhook.account_id == actor.account_id, Webhook.active)
    return list(db.session.scalars(query.order_by(Webhook.id)))


def find_webhook(actor: User, webhook_id: int) -> Webhook:
    """One active webhook of the actor's account (admins); another account's is not found."""
    require_webhook_admin(actor)
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None or webhook.account_id != actor.account_id or not webhook.active:
        raise NotFound(_("No such webhook."))
    return webhook


def delete_webhook(actor: User, webhook_id: int) -> None:
    """Stop sending to a webhook (admins): it is kept inactive with its deliveries, and what
    was still waiting is given up."""
    webhook = find_webhook(actor, webhook_id)
    webhook.active = False
    webhook.deleted_at = utcnow()
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.state == "pending")
        .values(state="failed", next_attempt_at=None, last_error="The webhook was deleted.")
    )
    changes = {"url": [webhook.url, None], "events": [webhook.events, None]}
    record_audit(actor, actor.account_id, "webhook_deleted", ("webhook", webhook.id), changes)
    db.session.commit()
    forget_cached_webhooks(actor.account_id)


def deliveries_query(webhook: Webhook) -> Select:
    """The webhook's deliveries, for paging newest first."""
    return select(WebhookDelivery).where(
        WebhookDelivery.account_id == webhook.account_id,
        WebhookDelivery.webhook_id == webhook.id,
    )


def _moment(value: datetime | None) -> str | None:
    """A moment as ISO 8601, or None."""
    return value.isoformat() if value else None


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """A webhook as the API shows it (never its secret)."""
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "created_by": webhook.created_by_id,
        "created_at": webhook.created_at.isoformat(),
    }


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the API shows it: its state, payload and every attempt."""
    return {
        "id": delivery.delivery_id,
        "event": delivery.event,
        "state": delivery.state,
        "created_at": delivery.created_at.isoformat(),
        "delivered_at": _moment(delivery.delivered_at),
        "next_attempt_at": _moment(delivery.next_attempt_at),
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "attempts": delivery.attempts,
        "payload": delivery.payload,
    }
