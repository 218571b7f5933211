"""Erasing one contact on request: their record, the mail logged only for them, their engagement.

Mail that also went to other people stays, with the erased address taken out of it; a tombstone
(tombstones.py) keeps a later copy of mail to them from recreating the contact.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote

from flask_babel import gettext as _
from sqlalchemy import String, cast, delete, func, or_, select

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import require_admin
from tracklog.crm.explain import encode_why
from tracklog.crm.note_threads import file_hashes_of
from tracklog.crm.records import delete_record_links
from tracklog.extensions import db
from tracklog.models import (
    Activity,
    ActivityAssociation,
    AssociationExclusion,
    Contact,
    EngagementEvent,
    InboundMessage,
    InboundRecipient,
    MailAttachment,
    Message,
    MessageRecipient,
    Notification,
    RecordAssociation,
    Task,
    TrackedLink,
    User,
    WebhookDelivery,
)
from tracklog.privacy.subject import data_subject, timeline_activity_ids, tracked_recipients
from tracklog.privacy.tombstones import add_tombstone
from tracklog.tracking.attachments import remove_unused_files, unused_hashes


class Erasure:
    """One contact being erased: what identifies them, and how much was removed."""

    def __init__(self, contact: Contact) -> None:
        self.contact = contact
        self.account_id = contact.account_id
        self.address = contact.email
        # The full name is what other rows copy (whys, steps); a first name alone would match
        # far too much ("Al" in "Alice").
        self.mentions = {self.address.lower(), contact.name.lower()}
        self.removed: Counter[str] = Counter()
        self.logged_mail_messages: set[int] = set()
        self.unused_files: list[str] = []

    def names_them(self, value: Any) -> bool:
        """Whether a stored value carries the contact's address or name."""
        text = json.dumps(value, ensure_ascii=False).lower()
        return any(mention in text for mention in self.mentions)

    def delete(self, what: str, statement: Any) -> None:
        """Run a bulk delete and count its rows under what."""
        self.removed[what] += db.session.execute(statement).rowcount


def activities_only_theirs(erasure: Erasure) -> list[int]:
    """The timeline activities no other contact has on their timeline."""
    ids = timeline_activity_ids(erasure.contact)
    shared = select(ActivityAssociation.activity_id).where(
        ActivityAssociation.activity_id.in_(ids),
        ActivityAssociation.record_type == "contact",
        ActivityAssociation.record_id != erasure.contact.id,
    )
    shared_ids = set(db.session.scalars(shared))
    return [activity_id for activity_id in ids if activity_id not in shared_ids]


def erase_activities(erasure: Erasure, activity_ids: list[int]) -> None:
    """Remove the activities, the mail they were logged from, and files (of mail and of notes) no
    other row uses."""
    hashes = file_hashes_of(activity_ids) | set(
        db.session.scalars(
            select(MailAttachment.sha256).where(
                MailAttachment.activity_id.in_(activity_ids), MailAttachment.sha256.is_not(None)
            )
        )
    )
    erasure.delete(
        "attachments", delete(MailAttachment).where(MailAttachment.activity_id.in_(activity_ids))
    )
    inbound = select(InboundMessage.id).where(InboundMessage.activity_id.in_(activity_ids))
    messages = select(Message.id).where(Message.activity_id.in_(activity_ids))
    erasure.logged_mail_messages = set(db.session.scalars(messages))
    erase_inbound(erasure, list(db.session.scalars(inbound)))
    erasure.delete("activities", delete(Activity).where(Activity.id.in_(activity_ids)))
    erasure.unused_files = sorted(unused_hashes(hashes))
    erasure.removed["files"] += len(erasure.unused_files)


def erase_inbound(erasure: Erasure, inbound_ids: list[int]) -> None:
    """Remove received mail and the notifications about it."""
    erasure.delete(
        "notifications", delete(Notification).where(Notification.inbound_id.in_(inbound_ids))
    )
    erasure.delete(
        "received_mail", delete(InboundMessage).where(InboundMessage.id.in_(inbound_ids))
    )


def erase_unlogged_mail(erasure: Erasure) -> None:
    """Received mail to or from them that was never logged: nothing else needs it."""
    to_them = select(InboundRecipient.inbound_id).where(
        InboundRecipient.account_id == erasure.account_id,
        InboundRecipient.email == erasure.address,
    )
    query = select(InboundMessage.id).where(
        InboundMessage.account_id == erasure.account_id,
        InboundMessage.activity_id.is_(None),
        or_(InboundMessage.id.in_(to_them), InboundMessage.sender == erasure.address),
    )
    erase_inbound(erasure, list(db.session.scalars(query)))


def scrub_shared_mail(erasure: Erasure) -> None:
    """Mail that stays because it went to others too: take the erased address out of it."""
    address = erasure.address
    activities = select(Activity).where(
        Activity.account_id == erasure.account_id,
        or_(Activity.sender == address, cast(Activity.recipients, String).contains(address)),
    )
    for activity in db.session.scalars(activities):
        activity.recipients = [email for email in activity.recipients if email != address]
        activity.sender = "" if activity.sender == address else activity.sender
    received = select(InboundMessage).where(
        InboundMessage.account_id == erasure.account_id,
        or_(
            InboundMessage.sender == address,
            InboundMessage.envelope_from == address,
            cast(InboundMessage.steps, String).contains(address),
        ),
    )
    for inbound in db.session.scalars(received):
        inbound.steps = [step for step in inbound.steps if not erasure.names_them(step)]
        inbound.sender = "" if inbound.sender == address else inbound.sender
        inbound.envelope_from = "" if inbound.envelope_from == address else inbound.envelope_from
    db.session.execute(
        delete(InboundRecipient).where(
            InboundRecipient.account_id == erasure.account_id, InboundRecipient.email == address
        )
    )


def erase_engagement(erasure: Erasure) -> None:
    """Their recipient rows and events; sent mail of theirs alone goes as a whole."""
    recipients = tracked_recipients(erasure.contact)
    recipient_ids = [recipient.id for recipient in recipients]
    message_ids = {r.message_id for r in recipients} | erasure.logged_mail_messages
    others = select(MessageRecipient.message_id).where(
        MessageRecipient.message_id.in_(message_ids), MessageRecipient.email != erasure.address
    )
    only_theirs = message_ids - set(db.session.scalars(others))
    events = select(EngagementEvent.id).where(
        or_(
            EngagementEvent.recipient_id.in_(recipient_ids),
            EngagementEvent.message_id.in_(only_theirs),
        )
    )
    event_ids = list(db.session.scalars(events))
    erasure.delete(
        "notifications", delete(Notification).where(Notification.event_id.in_(event_ids))
    )
    erasure.delete(
        "engagement_events", delete(EngagementEvent).where(EngagementEvent.id.in_(event_ids))
    )
    erasure.delete(
        "tracked_recipients", delete(MessageRecipient).where(MessageRecipient.id.in_(recipient_ids))
    )
    erasure.delete("tracked_messages", delete(Message).where(Message.id.in_(only_theirs)))
    scrub_links(erasure, message_ids - only_theirs)


def scrub_links(erasure: Erasure, message_ids: set[int]) -> None:
    """Take the address out of the tracked links of mail that stays (personalised URLs)."""
    forms = (erasure.address, quote(erasure.address, safe=""), quote(erasure.address, safe="@"))
    for link in db.session.scalars(
        select(TrackedLink).where(TrackedLink.message_id.in_(message_ids))
    ):
        url = link.url
        for form in forms:
            url = url.replace(form, "")
        link.url = url


def erase_notifications(erasure: Erasure) -> None:
    """Notifications left that name them (by address, or by name in their words)."""
    params = func.lower(cast(Notification.params, String))
    naming = delete(Notification).where(
        Notification.account_id == erasure.account_id,
        or_(
            Notification.recipient == erasure.address,
            *(params.contains(mention) for mention in erasure.mentions),
            *(func.lower(Notification.subject).contains(m) for m in erasure.mentions),
        ),
    )
    erasure.delete("notifications", naming)


def erase_webhook_deliveries(erasure: Erasure) -> None:
    """Webhook deliveries whose payload names them (sent or not: the receiver keeps its copy)."""
    payload = func.lower(WebhookDelivery.payload)
    naming = delete(WebhookDelivery).where(
        WebhookDelivery.account_id == erasure.account_id,
        or_(*(payload.contains(mention) for mention in erasure.mentions)),
    )
    erasure.delete("webhook_deliveries", naming)


def unname_whys(erasure: Erasure) -> None:
    """Whys on other records that name the contact ("the company of ...") say its number instead."""
    for model in (ActivityAssociation, RecordAssociation):
        query = select(model).where(
            model.account_id == erasure.account_id,
            or_(*(func.lower(model.why).contains(m) for m in erasure.mentions)),
        )
        for row in db.session.scalars(query):
            row.why = unnamed_why(row.why, erasure)


def unnamed_why(stored: str, erasure: Erasure) -> str:
    """A stored why with the contact's name replaced by its number."""
    try:
        decoded = json.loads(stored)
        params = {
            key: f"#{erasure.contact.id}" if erasure.names_them(value) else value
            for key, value in decoded.get("params", {}).items()
        }
        return encode_why(decoded["code"], **params)
    except (ValueError, AttributeError, KeyError, TypeError):
        return f"#{erasure.contact.id}"


def erase_record(erasure: Erasure) -> None:
    """The contact itself, its links, pin, tasks and exclusions."""
    contact = erasure.contact
    delete_record_links(erasure.account_id, "contact", contact.id)
    about_it = {"record_type": "contact", "record_id": contact.id}
    erasure.delete("tasks", delete(Task).filter_by(account_id=erasure.account_id, **about_it))
    db.session.execute(
        delete(AssociationExclusion).filter_by(account_id=erasure.account_id, **about_it)
    )
    erasure.delete("contacts", delete(Contact).where(Contact.id == contact.id))


def erase_contact(actor: User, contact_id: int) -> dict[str, int]:
    """Erase a contact (admins only), keep a tombstone of the address; the counts removed."""
    require_admin(actor, _("Only an admin can erase a contact."))
    erasure = Erasure(data_subject(actor, contact_id))
    erase_activities(erasure, activities_only_theirs(erasure))
    erase_unlogged_mail(erasure)
    erase_engagement(erasure)
    scrub_shared_mail(erasure)
    erase_notifications(erasure)
    erase_webhook_deliveries(erasure)
    unname_whys(erasure)
    erase_record(erasure)
    add_tombstone(erasure.account_id, erasure.address)
    removed = dict(erasure.removed)
    record_audit(actor, actor.account_id, "contact_erased", ("contact", contact_id), removed)
    db.session.commit()
    # Files go only once the rows naming them are gone for good.
    remove_unused_files(set(erasure.unused_files))
    return removed
