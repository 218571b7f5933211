"""The webhook operations of /api/v1 (admins only)."""

from __future__ import annotations

from flask import Response, g, jsonify

from tracklog.api import api, requested_page
from tracklog.inputs import json_object
from tracklog.models import WebhookDelivery
from tracklog.webhooks.registry import (
    account_webhooks,
    create_webhook,
    delete_webhook,
    deliveries_query,
    delivery_json,
    find_webhook,
    webhook_json,
)


@api.get("/webhooks")
def list_webhooks() -> Response:
    """The account's webhooks, without their secrets."""
    return jsonify({"items": [webhook_json(webhook) for webhook in account_webhooks(g.api_user)]})


@api.post("/webhooks")
def create_webhook_now() -> tuple[Response, int]:
    """Register a URL for some events; the answer holds its secret, this once."""
    sent = json_object()
    webhook = create_webhook(g.api_user, sent.get("url"), sent.get("events"))
    return jsonify({**webhook_json(webhook), "secret": webhook.secret}), 201


@api.delete("/webhooks/<int:webhook_id>")
def delete_webhook_now(webhook_id: int) -> tuple[str, int]:
    """Stop sending to a webhook."""
    delete_webhook(g.api_user, webhook_id)
    return "", 204


@api.get("/webhooks/<int:webhook_id>/deliveries")
def list_webhook_deliveries(webhook_id: int) -> Response:
    """A webhook's deliveries, newest first, each with its attempts."""
    webhook = find_webhook(g.api_user, webhook_id)
    rows, next_cursor = requested_page(deliveries_query(webhook), WebhookDelivery.id)
    return jsonify({"items": [delivery_json(row) for row in rows], "next_cursor": next_cursor})
