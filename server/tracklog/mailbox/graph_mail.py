"""What a user does with their Microsoft 365 mailbox through tracklog: connect it with the token
cache of a sign-in, and answer a logged mail from its timeline card.

A reply is made as a draft (createReply or createReplyAll, with immutable ids), sent, and read
back by the draft's id (it now sits in Sent Items) to be logged at once on the mail's thread;
Graph's reply call answers nothing to read back. Should that read fail, the Sent Items sync logs
the reply; either way by its Message-ID, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import msal
from flask_babel import gettext as _

from tracklog.crm.timeline import require_activity
from tracklog.errors import Conflict, DomainError, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.mailbox.connections import connect, connection_of
from tracklog.mailbox.graph_auth import IdentityProviderUnavailable, TokenRefused, tenant_of
from tracklog.mailbox.graph_client import (
    GraphClient,
    GraphError,
    GraphThrottled,
    GraphUnavailable,
)
from tracklog.mailbox.intake import log_synced_mail
from tracklog.models import InboundMessage, User
from tracklog.models.mailbox import MailboxConnection

MAX_REPLY_CHARS = 100_000
T = TypeVar("T")


class GraphFailed(DomainError):
    """Microsoft 365 did not do what was asked; the message says why."""

    status = 502
    code = "graph_failed"


class MailboxNotConnected(Conflict):
    """The user has no Microsoft 365 mailbox connected."""

    code = "mailbox_not_connected"


def connect_with(user: User, cache: msal.SerializableTokenCache) -> MailboxConnection:
    """Connect the user's Microsoft 365 mailbox with a signed-in token cache; its address is the
    one Graph names. Committed."""
    connection = connect(
        user, "graph", user.email, cache.serialize().encode(), {"tenant": tenant_of(user)}
    )
    me = _graph_call(connection, lambda client: client.json("GET", "me"))
    connection.address = str(me.get("mail") or me.get("userPrincipalName") or user.email)[:320]
    db.session.commit()
    return connection


def graph_connection(user: User) -> MailboxConnection:
    """The user's Microsoft 365 mailbox, or MailboxNotConnected."""
    connection = connection_of(user)
    if connection is None or connection.provider != "graph":
        raise MailboxNotConnected(
            _("Connect your Microsoft 365 mailbox in Settings → Mailbox to reply from tracklog.")
        )
    return connection


def reply(user: User, activity_id: int, comment: Any, reply_all: bool) -> InboundMessage | None:
    """Answer a logged mail (its sender, or everyone with reply_all) from the user's mailbox; the
    sent reply as logged, or None when the Sent Items sync will log it."""
    activity = require_activity(user, activity_id)
    if activity.type != "email" or not activity.message_id:
        raise ValidationFailed(_("Only a mail can be answered."), code="not_a_mail")
    if not isinstance(comment, str) or not comment.strip() or len(comment) > MAX_REPLY_CHARS:
        raise ValidationFailed(
            _("Write the reply's text."), details={"fields": {"body": "required"}}
        )
    connection = graph_connection(user)
    message_id = activity.message_id

    def send(client: GraphClient) -> str:
        """Find the mail in the mailbox, draft the reply and send it; the draft's id."""
        original = _message_in_mailbox(client, message_id)
        action = "createReplyAll" if reply_all else "createReply"
        draft = client.json(
            "POST",
            f"me/messages/{quote(original)}/{action}",
            json={"comment": comment},
        )
        client.request("POST", f"me/messages/{quote(str(draft['id']))}/send")
        return str(draft["id"])

    client = GraphClient(connection)
    sent = _graph_call(connection, send, client)
    try:
        raw = client.request("GET", f"me/messages/{quote(sent)}/$value").content
    except (GraphError, GraphThrottled, GraphUnavailable, TokenRefused):
        return None
    return log_synced_mail(connection, raw)


def _message_in_mailbox(client: GraphClient, message_id: str) -> str:
    """The Graph id of the mail with this Message-ID in the mailbox, or NotFound."""
    quoted = message_id.replace("'", "''")
    found = client.json(
        "GET",
        "me/messages",
        params={"$filter": f"internetMessageId eq '{quoted}'", "$select": "id"},
    ).get("value")
    if not found or not isinstance(found[0], dict) or "id" not in found[0]:
        raise NotFound(
            _("This mail is not in your mailbox, so it cannot be answered from there."),
            code="mail_not_in_mailbox",
        )
    return str(found[0]["id"])


def _graph_call(
    connection: MailboxConnection,
    call: Callable[[GraphClient], T],
    client: GraphClient | None = None,
) -> T:
    """Run call(client), turning Graph's failures into errors the user can act on."""
    try:
        return call(client or GraphClient(connection))
    except TokenRefused as refused:
        raise Conflict(str(refused), code="consent_revoked") from refused
    except GraphThrottled as throttled:
        raise GraphFailed(
            _(
                "Microsoft 365 asks to wait %(seconds)d seconds; try again then.",
                seconds=int(throttled.retry_after.total_seconds()),
            ),
            code="graph_throttled",
        ) from throttled
    except (GraphUnavailable, IdentityProviderUnavailable) as outage:
        raise GraphFailed(
            _("Microsoft 365 could not be reached. Try again later."), code="graph_unavailable"
        ) from outage
    except GraphError as error:
        raise GraphFailed(
            _("Microsoft 365 refused the request (%(code)s).", code=error.code)
        ) from error
