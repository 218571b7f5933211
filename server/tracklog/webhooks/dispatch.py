"""The webhooks' dispatcher: sends due deliveries, signed, and retries failures for a day.

It runs beside the hit recorder (one per host: a thread in development, `tracklog record-hits`
under `tracklog serve`; see tracking/hits.py), so every host may send. A dispatcher claims due
rows before sending them — on PostgreSQL with FOR UPDATE SKIP LOCKED, so two never wait on or
take the same row; on both databases by a conditional UPDATE of the lease column — and holds no
transaction while a receiver answers. A claim lasts LEASE: a dispatcher that dies mid-send leaves
the row to be claimed again after it, so a receiver may see a delivery id twice (it is unique for
that reason: receivers drop repeats by it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from sqlalchemy import or_, select, update

import tracklog
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.models import WebhookDelivery, utcnow
from tracklog.webhooks.address import Target, check_url

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# The pause after the 1st, 2nd... failed attempt; the last repeats until GIVE_UP_AFTER.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360))
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=5)
BATCH = 10
POLL = timedelta(seconds=10)


def signature(secret: str, body: bytes) -> str:
    """The X-Tracklog-Signature of a body: its HMAC-SHA256 with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def claim_due(now: datetime, limit: int = BATCH) -> list[int]:
    """Claim up to `limit` due deliveries for this dispatcher; their ids."""
    unclaimed = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now)
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now, unclaimed
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    claimed = []
    if ids:
        claimed = db.session.scalars(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.state == "pending", unclaimed)
            .values(lease_until=now + LEASE)
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        ).all()
    db.session.commit()
    return list(claimed)


class PinnedAdapter(HTTPAdapter):
    """Connects to the address the URL rule approved, while TLS still checks the certificate
    against the URL's host name."""

    def __init__(self, host: str) -> None:
        super().__init__(max_retries=0)
        self.host = host

    def build_connection_pool_key_attributes(
        self, request: Any, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The connection's settings, with the host name for SNI and certificate checks."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.host
            pool_kwargs["assert_hostname"] = self.host
        return host_params, pool_kwargs


def post(target: Target, body: bytes, headers: dict[str, str]) -> int:
    """POST the body to the checked target (no proxy, no redirect); the answer's status."""
    with requests.Session() as session:
        session.trust_env = False  # a proxy from the environment would undo the address check
        adapter = PinnedAdapter(target.host)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        response = session.post(
            target.pinned_url(),
            data=body,
            headers={**headers, "Host": target.host_header()},
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
        response.close()
        return response.status_code


def status_error(status: int) -> str:
    """Why an answer's status is not a delivery ("" for 2xx)."""
    if 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return f"The receiver answered {status}; redirects are not followed."
    return f"The receiver answered {status}."


def attempt(url: str, secret: str, event: str, delivery_id: str, payload: str) -> dict[str, Any]:
    """One try at sending a delivery, as it is recorded: when, the status, the error, how long."""
    body = payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"tracklog-webhooks/{tracklog.__version__}",
        "X-Tracklog-Event": event,
        "X-Tracklog-Delivery": delivery_id,
        "X-Tracklog-Signature": signature(secret, body),
    }
    at, started = utcnow(), time.monotonic()
    status, error = None, ""
    try:
        status = post(check_url(url, current_app.config["WEBHOOK_ALLOW_HTTP"]), body, headers)
        error = status_error(status)
    except ValidationFailed as refused:
        error = refused.message
    except requests.RequestException as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    duration_ms = round((time.monotonic() - started) * 1000)
    return {"at": at.isoformat(), "status": status, "error": error, "duration_ms": duration_ms}


def next_attempt_at(delivery: WebhookDelivery, now: datetime) -> datetime | None:
    """When to try a failed delivery again, or None once a day since its creation has passed."""
    delay = RETRY_DELAYS[min(len(delivery.attempts), len(RETRY_DELAYS)) - 1]
    again = now + delay
    return again if again <= delivery.created_at + GIVE_UP_AFTER else None


def record_attempt(delivery: WebhookDelivery, tried: dict[str, Any], now: datetime) -> None:
    """Add an attempt to the delivery and decide what follows: done, again later, or failed."""
    delivery.attempts = [*delivery.attempts, tried]
    delivery.last_status, delivery.last_error = tried["status"], tried["error"]
    delivery.lease_until = None
    if not tried["error"]:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
            "delivered",
            utcnow(),
            None,
        )
        return
    delivery.next_attempt_at = next_attempt_at(delivery, now)
    if delivery.next_attempt_at is None:
        delivery.state = "failed"


def send(delivery_id: int, now: datetime) -> None:
    """Send one claimed delivery and record the attempt (a deleted webhook's is given up)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    webhook = delivery.webhook
    if not webhook.active:
        delivery.state, delivery.next_attempt_at = "failed", None
        delivery.lease_until, delivery.last_error = None, "The webhook was deleted."
        db.session.commit()
        return
    sent = (webhook.url, webhook.secret, delivery.event, delivery.delivery_id, delivery.payload)
    db.session.rollback()  # no transaction stays open while the receiver answers
    tried = attempt(*sent)
    record_attempt(db.session.get(WebhookDelivery, delivery_id), tried, now)
    db.session.commit()


def deliver_due(now: datetime | None = None) -> int:
    """Send every delivery due by `now` (default: now); how many attempts were made."""
    now = now or utcnow()
    made = 0
    while claimed := claim_due(now):
        for delivery_id in claimed:
            send(delivery_id, now)
            made += 1
    return made
