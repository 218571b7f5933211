"""The Microsoft Graph connector's sync: Inbox and Sent Items by delta queries, and a change
subscription that makes a mailbox due as soon as mail arrives.

Each folder keeps the link to ask next in the state: the next page while a round is under way,
else the delta link of the last round. The first round asks only for mail received in the 30 days
before the connection (older mail is history, not news). A pass logs at most
MAX_MESSAGES_PER_PASS mails, whole pages at a time, then is due again at once to go on. Each new
message's MIME is fetched and logged like a BCC copy (mailbox/intake.py): a message seen twice, or
already logged by BCC, is found by its Message-ID and never logged twice.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app
from flask_babel import gettext as _

from tracklog.mailbox.graph_auth import IdentityProviderUnavailable, TokenRefused
from tracklog.mailbox.graph_client import (
    IMMUTABLE_IDS,
    GraphClient,
    GraphError,
    GraphThrottled,
    GraphUnavailable,
)
from tracklog.mailbox.intake import log_synced_mail
from tracklog.mailbox.schedule import FAILURE_RETRY, MailboxSyncError
from tracklog.models import utcnow
from tracklog.models.mailbox import MailboxConnection

log = logging.getLogger(__name__)

FOLDERS = ("inbox", "sentitems")
FIRST_SYNC_SPAN = timedelta(days=30)
MAX_MESSAGES_PER_PASS = 200
PAGE_SIZE = 50
DELTA_SELECT = "internetMessageId,receivedDateTime,isDraft,subject"
DELTA_PREFER = {"Prefer": f"odata.maxpagesize={PAGE_SIZE}, {IMMUTABLE_IDS}"}
# Polling alone, and polling behind change notifications (which make a mailbox due at once).
POLL = timedelta(minutes=5)
POLL_WITH_NOTIFICATIONS = timedelta(minutes=30)
# A mailbox whose consent was revoked is tried again now and then: the user may consent again.
CONSENT_RETRY = timedelta(hours=6)
# After an outage, the wait grows with the time since the last good sync, within these bounds.
OUTAGE_RETRY_MIN, OUTAGE_RETRY_MAX = timedelta(seconds=30), timedelta(hours=1)
# Graph keeps a subscription to messages for at most about 7 days; we ask for 2 and renew early.
SUBSCRIPTION_LIFETIME = timedelta(days=2)
RENEW_BEFORE = timedelta(hours=12)
NOTIFICATIONS_PATH = "/hooks/graph/notifications"


@dataclass
class PassBudget:
    """How many more mails this pass may log."""

    left: int


def sync(connection: MailboxConnection) -> tuple[dict[str, Any], timedelta]:
    """Log what is new in the mailbox's Inbox and Sent Items; the state to keep and when next."""
    client = GraphClient(connection)
    state = copy.deepcopy(connection.state)
    budget = PassBudget(MAX_MESSAGES_PER_PASS)
    try:
        for folder in FOLDERS:
            _sync_folder(client, connection, state, folder, budget)
        subscribed = keep_subscription(client, state)
    except GraphThrottled as throttled:
        # What was done is kept; the mailbox is due again when Graph allows.
        return state, throttled.retry_after
    except TokenRefused as refused:
        raise MailboxSyncError("consent_revoked", str(refused), CONSENT_RETRY) from refused
    except (GraphUnavailable, IdentityProviderUnavailable) as outage:
        raise MailboxSyncError(
            "graph_unavailable",
            _("Microsoft 365 could not be reached; the sync is tried again soon."),
            outage_retry(connection),
        ) from outage
    except GraphError as error:
        raise MailboxSyncError(
            "graph_error",
            _("Microsoft 365 refused the sync (%(code)s).", code=error.code),
            FAILURE_RETRY,
        ) from error
    if budget.left <= 0:
        return state, timedelta(0)
    return state, POLL_WITH_NOTIFICATIONS if subscribed else POLL


def outage_retry(connection: MailboxConnection) -> timedelta:
    """How long to wait after an outage: half the time since the last good sync, bounded."""
    since = utcnow() - (connection.last_sync_at or connection.connected_at)
    return min(max(since / 2, OUTAGE_RETRY_MIN), OUTAGE_RETRY_MAX)


def _first_round(connection: MailboxConnection, folder: str) -> str:
    """The first delta request of a folder: the mail received since 30 days before connecting."""
    since = (connection.connected_at - FIRST_SYNC_SPAN).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"me/mailFolders/{folder}/messages/delta?$select={DELTA_SELECT}"
        f"&$filter=receivedDateTime+ge+{since}"
    )


def _sync_folder(
    client: GraphClient,
    connection: MailboxConnection,
    state: dict[str, Any],
    folder: str,
    budget: PassBudget,
) -> None:
    """Follow the folder's pages until its delta link or the end of the pass's budget."""
    folders = state.setdefault("folders", {})
    link = (folders.get(folder) or {}).get("link")
    restarted = False
    while budget.left > 0:
        try:
            url = link or _first_round(connection, folder)
            page = client.json("GET", url, headers=DELTA_PREFER)
        except GraphError as error:
            if restarted or not _delta_expired(error):
                raise
            # Graph forgot the round: start again (what was logged is found by Message-ID).
            link, restarted = None, True
            continue
        for message in page.get("value") or []:
            if isinstance(message, dict) and _is_new_mail(message):
                _log_message(client, connection, message["id"])
                budget.left -= 1
        if "@odata.nextLink" in page:
            link = page["@odata.nextLink"]
            folders[folder] = {"link": link, "caught_up": False}
            continue
        folders[folder] = {"link": page.get("@odata.deltaLink") or link, "caught_up": True}
        return


def _log_message(client: GraphClient, connection: MailboxConnection, message_id: str) -> None:
    """Fetch a message's MIME and log it; one deleted meanwhile is passed over."""
    try:
        raw = client.request("GET", f"me/messages/{quote(message_id)}/$value")
    except GraphError as error:
        if error.status == 404:
            return
        raise
    log_synced_mail(connection, raw.content)


def _is_new_mail(message: dict[str, Any]) -> bool:
    """Whether a delta entry is a message to log (not a removal, not a draft)."""
    return (
        "@removed" not in message
        and not message.get("isDraft")
        and isinstance(message.get("id"), str)
    )


def _delta_expired(error: GraphError) -> bool:
    """Whether Graph no longer knows a delta round (the sync starts the folder again)."""
    return error.status == 410 or error.code in {"syncStateNotFound", "resyncRequired"}


def notifications_url() -> str | None:
    """Where Graph sends change notifications, when the server is reachable from Microsoft (an
    https base URL with a public host name); None otherwise."""
    base = current_app.config["BASE_URL"]
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if not ipaddress.ip_address(host).is_global:
            return None
    except ValueError:
        if "." not in host:
            return None
    return base.rstrip("/") + NOTIFICATIONS_PATH


def client_state_digest(client_state: str) -> str:
    """What is kept of a subscription's clientState: only a digest, as for a password."""
    return hashlib.sha256(client_state.encode()).hexdigest()


def client_state_matches(state: dict[str, Any], client_state: Any) -> bool:
    """Whether a notification's clientState is the one of the mailbox's subscription."""
    expected = (state.get("subscription") or {}).get("client_state")
    if not isinstance(client_state, str) or not isinstance(expected, str):
        return False
    return hmac.compare_digest(client_state_digest(client_state), expected)


def keep_subscription(client: GraphClient, state: dict[str, Any]) -> bool:
    """Create or renew the mailbox's change subscription where the server is reachable; whether
    one is in place."""
    url = notifications_url()
    if url is None:
        return False
    subscription = state.get("subscription")
    now = utcnow()
    expires = now + SUBSCRIPTION_LIFETIME
    try:
        if subscription and _expiry(subscription) - now > RENEW_BEFORE:
            return True
        if subscription and subscription.get("id") and _renewed(client, subscription, expires):
            return True
        state["subscription"] = _subscribe(client, url, expires)
    except GraphError as error:
        log.warning("Graph refused a change subscription: %s", error)
        state.pop("subscription", None)
        return False
    return True


def _expiry(subscription: dict[str, Any]) -> datetime:
    """When a kept subscription ends."""
    return datetime.fromisoformat(subscription["expires"])


def _renewed(client: GraphClient, subscription: dict[str, Any], expires: datetime) -> bool:
    """Extend a subscription; False when Graph no longer has it."""
    try:
        client.json(
            "PATCH",
            f"subscriptions/{quote(subscription['id'])}",
            json={"expirationDateTime": _graph_time(expires)},
        )
    except GraphError as error:
        if error.status == 404:
            return False
        raise
    subscription["expires"] = expires.isoformat()
    return True


def _subscribe(client: GraphClient, url: str, expires: datetime) -> dict[str, Any]:
    """A new subscription to the mail arriving in the mailbox, with a fresh clientState."""
    client_state = secrets.token_urlsafe(32)
    created = client.json(
        "POST",
        "subscriptions",
        json={
            "changeType": "created",
            "notificationUrl": url,
            "lifecycleNotificationUrl": url,
            "resource": "me/messages",
            "expirationDateTime": _graph_time(expires),
            "clientState": client_state,
        },
    )
    return {
        "id": str(created["id"]),
        "expires": expires.isoformat(),
        "client_state": client_state_digest(client_state),
    }


def _graph_time(moment: datetime) -> str:
    """A time as Graph writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def unsubscribe(connection: MailboxConnection) -> None:
    """Delete the mailbox's change subscription, if it has one (best effort: a disconnect goes on
    whatever Graph answers)."""
    subscription = (connection.state or {}).get("subscription")
    if not subscription:
        return
    try:
        GraphClient(connection).request("DELETE", f"subscriptions/{quote(subscription['id'])}")
    except Exception as error:  # noqa: BLE001 - best effort; Graph drops it when it expires
        log.warning("could not delete Graph subscription of mailbox %s: %s", connection.id, error)
