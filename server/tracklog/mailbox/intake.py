"""Mail found in a connected mailbox, logged like a BCC copy (maillog/ingest.py).

A mail is stored with the mailbox's provider as its channel and the mailbox's user as its
uploader: the receiver then knows whose mail it is (a received mail is incoming for that user, a
sent one is theirs) and whether it predates the connection. A mail already logged by another
road (a BCC copy, an upload, the logging address) is a duplicate, never logged twice; one this
mailbox's own sync logged before (a reconnect syncs from the start again) gets its automatic
association again, as disconnecting took it away.
"""

from __future__ import annotations

from sqlalchemy import select

from tracklog.crm.associations import rerun_automatic
from tracklog.extensions import db
from tracklog.mailbox.connections import logged_by_sync
from tracklog.maillog.ingest import ingest_now
from tracklog.maillog.store import MailTooLarge
from tracklog.models import Account, Activity, InboundMessage
from tracklog.models.mailbox import MailboxConnection


def log_synced_mail(connection: MailboxConnection, raw: bytes) -> InboundMessage | None:
    """Store and process one mail of the mailbox (None: too large, recorded as refused)."""
    try:
        inbound = ingest_now(
            connection.account_id, raw, connection.provider, uploader_id=connection.user_id
        )
    except MailTooLarge:
        return None
    if inbound.status == "duplicate" and inbound.activity_id is not None:
        _associate_again(connection, inbound.activity_id)
    return inbound


def _associate_again(connection: MailboxConnection, activity_id: int) -> None:
    """Run the automatic association of a mail this mailbox's sync logged before."""
    logged_here = db.session.scalar(
        logged_by_sync(connection).where(InboundMessage.activity_id == activity_id).limit(1)
    )
    if logged_here is None:
        return
    activity = db.session.scalar(
        select(Activity).where(
            Activity.account_id == connection.account_id, Activity.id == activity_id
        )
    )
    rerun_automatic(activity, db.session.get(Account, connection.account_id))
    db.session.commit()
