"""The notification feed: what each user is told, decided by their preferences, kept durably."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracklog.explanations import register, render, render_stored
from tracklog.extensions import db
from tracklog.models import (
    Contact,
    Deal,
    EngagementEvent,
    InboundMessage,
    Message,
    MessageRecipient,
    Notification,
    TrackedAttachment,
    TrackedLink,
    User,
    utcnow,
)
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.notify.bus import get_bus

NOTIFICATIONS_CHANNEL = "tracklog.notifications"
# The PostgreSQL advisory lock that keeps notification ids in commit order (any fixed number).
FEED_LOCK = 7_301_995_112
FEED_LOCK_HELD = "tracklog.feed_lock_held_in"
NOTIFICATION_TEXTS = {
    "first_open": _l("%(who)s opened “%(subject)s”."),
    "first_open_proxy": _l(
        "%(who)s opened “%(subject)s” (through an image proxy: the location is unknown)."
    ),
    "open_again": _l("%(who)s opened “%(subject)s” again."),
    "open_again_proxy": _l(
        "%(who)s opened “%(subject)s” again (through an image proxy: the location is unknown)."
    ),
    "click": _l("%(who)s clicked %(url)s in “%(subject)s”."),
    "attachment": _l("%(who)s viewed %(file)s."),
    "reply": _l("%(who)s replied to “%(subject)s”."),
    "not_logged": _l("“%(subject)s” was not logged: %(reason)s"),
    "logging_failed": _l("“%(subject)s” could not be logged: %(reason)s"),
    "partner_deal_registered": _l("“%(subject)s” was registered as a deal shared with %(other)s."),
    "deal_shared_with_partner": _l("“%(subject)s” is now a deal shared with %(other)s."),
    "partner_note_shared": _l("%(other)s shared a note on “%(subject)s”."),
    "follow_up_reply": _l("No reply from %(who)s to “%(subject)s”: a follow-up task was created."),
    "follow_up_open": _l("%(who)s has not opened “%(subject)s”: a follow-up task was created."),
    "follow_up_click": _l(
        "%(who)s has not clicked a link in “%(subject)s”: a follow-up task was created."
    ),
}
register("notification", NOTIFICATION_TEXTS)


def preferences(user: User) -> dict[str, Any]:
    """The user's notification preferences with defaults filled in."""
    defaults = {
        "opens": "first",
        "clicks": True,
        "attachments": True,
        "replies": True,
        "logging": True,
        "quiet_hours": None,
    }
    return defaults | (user.notification_preferences or {})


def in_quiet_hours(user: User, at: datetime) -> bool:
    """Whether a moment falls in the user's quiet hours (in their own time zone)."""
    quiet = preferences(user).get("quiet_hours") or {}
    try:
        start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
        zone = ZoneInfo(user.time_zone or "UTC")
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError):
        return False
    local = at.astimezone(zone).time()
    return start <= local < end if start <= end else local >= start or local < end


def _who(event: EngagementEvent, recipients: dict[int, MessageRecipient]) -> str:
    """The person the event is about by name (their address if no contact has a name), or ""."""
    recipient = recipients.get(event.recipient_id) if event.recipient_id else None
    if recipient is None:
        return ""
    contact = db.session.get(Contact, recipient.contact_id) if recipient.contact_id else None
    return contact.name if contact else recipient.email


def recipient_email(event: EngagementEvent, recipients: dict[int, MessageRecipient]) -> str:
    """The address of the recipient the event is about, or "anonymous"."""
    recipient = recipients.get(event.recipient_id) if event.recipient_id else None
    return recipient.email if recipient else "anonymous"


def code_for_event(event: EngagementEvent, user: User) -> str | None:
    """Which notification an event makes for the sender, or None (machines never notify)."""
    prefs = preferences(user)
    if event.kind == "reply":
        return "reply" if prefs["replies"] else None
    if event.classification not in PERSON_CLASSES or not event.counted:
        return None
    proxy = "_proxy" if event.classification == "proxy" else ""
    if event.kind == "open":
        if event.first_human_open and prefs["opens"] in ("first", "every"):
            return "first_open" + proxy
        return "open_again" + proxy if prefs["opens"] == "every" else None
    if event.kind == "click":
        return "click" if prefs["clicks"] else None
    if event.kind == "attachment":
        return "attachment" if prefs["attachments"] else None
    return None


def notify_event(
    event: EngagementEvent, load: Callable[[type, int], Any] = db.session.get
) -> Notification | None:
    """The sender's notification for an open, click, attachment view or reply, if any."""
    message = load(Message, event.message_id) if event.message_id else None
    if message is None or message.muted:
        return None
    user = load(User, message.user_id)
    code = code_for_event(event, user)
    if code is None:
        return None
    recipients = {r.id: r for r in message.recipients}
    params: dict[str, Any] = {"who": _who(event, recipients), "subject": message.subject}
    if event.link_id:
        link = load(TrackedLink, event.link_id)
        params["url"] = link.url if link else ""
    if event.attachment_id:
        shared = load(TrackedAttachment, event.attachment_id)
        params["file"] = shared.filename if shared else ""
    return _add(
        user,
        kind=event.kind,
        code=code,
        params=params,
        message_public_id=message.public_id,
        subject=message.subject,
        recipient=recipient_email(event, recipients),
        classification=event.classification,
        occurred_at=event.occurred_at,
        event_id=event.id,
    )


def notify_logging(inbound: InboundMessage, user: User | None) -> Notification | None:
    """Tell the user whose mail was not logged (or failed to), with the reason."""
    if user is None or inbound.status not in ("not_logged", "failed"):
        return None
    if not preferences(user)["logging"]:
        return None
    message = db.session.get(Message, inbound.message_id) if inbound.message_id else None
    code = "not_logged" if inbound.status == "not_logged" else "logging_failed"
    return _add(
        user,
        kind="logged",
        code=code,
        params={
            "subject": inbound.subject,
            "reason_step": inbound.steps[-1] if inbound.steps else {},
        },
        message_public_id=message.public_id if message else None,
        subject=inbound.subject,
        occurred_at=inbound.received_at,
        inbound_id=inbound.id,
    )


def add_partner_notification(user: User, code: str, deal: Deal, other: str) -> Notification:
    """Tell a partner-lead recipient about a shared deal of their account (not committed)."""
    return _add(
        user,
        kind="partner",
        code=code,
        params={"subject": deal.name, "other": other, "path": f"/deals/{deal.id}"},
        subject=deal.name,
        occurred_at=utcnow(),
    )


def notify_follow_up(
    unless: str, message: Message, user: User, who: str, at: datetime
) -> Notification:
    """Tell the sender that a follow-up reminder fired: the recipients did not reply (or open,
    or click), so a task was created."""
    return _add(
        user,
        kind="follow_up",
        code=f"follow_up_{unless}",
        params={"who": who, "subject": message.subject},
        message_public_id=message.public_id,
        subject=message.subject,
        occurred_at=at,
    )


def keep_ids_in_commit_order() -> None:
    """Hold the feed's lock until this transaction ends.

    PostgreSQL hands out ids when rows are inserted, not when they commit: a notification
    committed after one with a larger id would be skipped by a client resuming after that larger
    id. Transactions that add notifications therefore take turns (SQLite has one writer anyway).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    # Taken once per transaction (or savepoint, whose rollback releases it): a batch of
    # notifications asks once.
    held_in = db.session.info.get(FEED_LOCK_HELD)
    if held_in is not None and held_in is _innermost_transaction():
        return
    db.session.execute(select(func.pg_advisory_xact_lock(FEED_LOCK)))
    db.session.info[FEED_LOCK_HELD] = _innermost_transaction()


def _innermost_transaction() -> Any:
    """The session's current savepoint, else its transaction."""
    session = db.session()
    return session.get_nested_transaction() or session.get_transaction()


def _add(user: User, **fields: Any) -> Notification:
    """A new notification in the user's feed (silent during quiet hours)."""
    keep_ids_in_commit_order()
    notification = Notification(
        account_id=user.account_id,
        user_id=user.id,
        silent=in_quiet_hours(user, fields["occurred_at"]),
        **fields,
    )
    db.session.add(notification)
    return notification


def notification_text(notification: Notification) -> str:
    """The notification in words, in the current language."""
    params = dict(notification.params)
    if "who" in params and not params["who"]:
        params["who"] = gettext("Someone")
    if "reason_step" in params:
        params["reason"] = render_stored("step", params.pop("reason_step"))
    return render("notification", notification.code, params)


def notification_json(notification: Notification) -> dict[str, Any]:
    """A notification as the websocket and the API send it."""
    base_url = current_app.config["BASE_URL"]
    public_id = notification.message_public_id
    return {
        "type": "notification",
        "id": notification.id,
        "kind": notification.kind,
        "message_id": public_id,
        "subject": notification.subject,
        "recipient": notification.recipient,
        "classification": notification.classification,
        "at": notification.occurred_at.isoformat().replace("+00:00", "Z"),
        "text": notification_text(notification),
        "silent": notification.silent,
        "url": base_url + _path_of(notification),
    }


def _path_of(notification: Notification) -> str:
    """Where a notification leads: its message, the record it names, else the logging page."""
    if notification.message_public_id:
        return f"/messages/{notification.message_public_id}"
    return notification.params.get("path") or "/logging/why"


def rendered_for(user: User, notification: Notification) -> dict[str, Any]:
    """The notification's JSON in the user's own language."""
    with force_locale(user.locale or "en"):
        return notification_json(notification)


def announcements(notifications: list[Notification]) -> list[dict[str, Any]]:
    """What publishing the notifications sends, rendered now: the hit recorder renders before
    its commit, which would expire them (reading each back after it is a query on the way to
    the socket)."""
    db.session.flush()  # their ids
    return [
        {
            "user_id": notification.user_id,
            "notification": rendered_for(db.session.get(User, notification.user_id), notification),
        }
        for notification in notifications
    ]


def announce(announced: list[dict[str, Any]]) -> None:
    """Send committed notifications, rendered, to every process holding a socket of their user."""
    bus = get_bus()
    for announcement in announced:
        bus.publish(NOTIFICATIONS_CHANNEL, announcement)


def publish(notifications: list[Notification]) -> None:
    """Announce committed notifications to every process holding a socket of their user."""
    announce(announcements(notifications))


def close_sockets_of(user: User, reason: str) -> None:
    """Close every open socket of the user, in every process (the user was deactivated)."""
    get_bus().publish(NOTIFICATIONS_CHANNEL, {"user_id": user.id, "close": reason})


def feed_after(user: User, after: int | None, limit: int = 500) -> list[Notification]:
    """The user's notifications after an id, oldest first (the backlog of a reconnecting client)."""
    if after is None:
        return []
    query = (
        select(Notification)
        .where(Notification.user_id == user.id, Notification.id > after)
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def latest_notification_id(user: User) -> int | None:
    """The newest notification id of the user (a client without a resume point starts live)."""
    query = select(func.max(Notification.id)).where(Notification.user_id == user.id)
    return db.session.scalar(query)
