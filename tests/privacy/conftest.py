"""Fixtures for data rights tests: a contact with something of every kind held about them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories
from tests.maillog.conftest import deliver  # noqa: F401 - the BCC copy fixture, used here too
from tests.maillog.mail import outgoing, raw
from tracklog.extensions import db
from tracklog.models import (
    Activity,
    Contact,
    EngagementEvent,
    InboundMessage,
    Message,
    MessageRecipient,
    Notification,
    TrackedLink,
    utcnow,
)
from tracklog.tracking.compose import new_public_id

ZEB = "zebulon.quixfeather@initech.example"
ZEB_HEADER = f"Zebulon Quixfeather <{ZEB}>"
PETER = "Peter Gibbons <peter@initech.example>"


@dataclass
class Held:
    """What is held about Zebulon: their contact, mail to them alone, mail shared with Peter."""

    contact: Contact
    only_theirs: Activity
    shared: Activity
    note_id: int
    deal_id: int
    message: Message
    shared_message: Message


def with_file(mail, data: bytes, filename: str):
    """The mail with a PDF attached."""
    mail.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return mail


def tracked(world, subject: str, *emails: str) -> Message:
    """A tracked message to these addresses, with a personalised link and an open by each."""
    message = Message(
        account_id=world.account.id,
        user_id=world.admin.id,
        public_id=new_public_id(),
        subject=subject,
        tracking="individual",
    )
    db.session.add(message)
    db.session.flush()
    url = f"https://acme.example/offer?who={'%2C'.join(emails)}"
    db.session.add(TrackedLink(account_id=world.account.id, message_id=message.id, slot=0, url=url))
    for slot, email in enumerate(emails):
        recipient = MessageRecipient(
            account_id=world.account.id, message_id=message.id, slot=slot, email=email, track=True
        )
        db.session.add(recipient)
        db.session.flush()
        event = EngagementEvent(
            account_id=world.account.id,
            hit_id=f"{message.public_id[:30]}-{slot}",
            message_id=message.id,
            kind="open",
            recipient_id=recipient.id,
            occurred_at=utcnow(),
            classification="human",
            reason="opened",
        )
        db.session.add(event)
        db.session.flush()
        db.session.add(
            Notification(
                account_id=world.account.id,
                user_id=world.admin.id,
                kind="open",
                code="opened",
                params={"who": email, "subject": subject},
                message_public_id=message.public_id,
                subject=subject,
                recipient=email,
                event_id=event.id,
            )
        )
    db.session.commit()
    return message


@pytest.fixture
def held(world, api, deliver) -> Held:  # noqa: F811 - deliver is the fixture imported above
    """Zebulon's data: logged mail (alone and shared), a note, a deal, tracked mail and opens."""
    alone = with_file(
        outgoing(to=(ZEB_HEADER,), body="Hi Zebulon Quixfeather, the quote."),
        b"%PDF only for Zebulon",
        "quote-quixfeather.pdf",
    )
    only_theirs = deliver(raw(alone))
    shared = deliver(raw(outgoing(to=(ZEB_HEADER, PETER), subject="Kick-off", body="Hi all.")))
    contact = db.session.scalar(db.select(Contact).filter_by(email=ZEB))
    deal = factories.make_deal(world.account, name="Initech expansion")
    api.call("POST", f"/records/contact/{contact.id}/associations", {"type": "deal", "id": deal.id})
    note = api.call("POST", f"/records/contact/{contact.id}/notes", {"body": "<p>Likes golf.</p>"})
    return Held(
        contact=contact,
        only_theirs=db.session.get(Activity, only_theirs.activity_id),
        shared=db.session.get(Activity, shared.activity_id),
        note_id=note.json["id"],
        deal_id=deal.id,
        message=tracked(world, "Offer for Zebulon Quixfeather", ZEB),
        shared_message=tracked(world, "Offer for the team", ZEB, "peter@initech.example"),
    )


def inbound_of(activity: Activity) -> InboundMessage:
    """The received mail an activity was logged from."""
    return db.session.scalar(db.select(InboundMessage).filter_by(activity_id=activity.id))
