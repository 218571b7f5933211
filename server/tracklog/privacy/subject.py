"""The data subject: one contact of the caller's account and the rows held about them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.errors import NotFound
from tracklog.extensions import db
from tracklog.models import ActivityAssociation, Contact, MessageRecipient, User


def data_subject(actor: User, contact_id: int) -> Contact:
    """The contact of the actor's account, or NotFound (also for another account's contact)."""
    contact = db.session.scalar(
        select(Contact).where(Contact.account_id == actor.account_id, Contact.id == contact_id)
    )
    if contact is None:
        raise NotFound(
            _("There is no %(type)s with id %(id)s.", type="contact", id=contact_id),
            details={"type": "contact", "id": contact_id},
        )
    return contact


def timeline_activity_ids(contact: Contact) -> list[int]:
    """The activities on the contact's timeline, oldest first."""
    query = (
        select(ActivityAssociation.activity_id)
        .where(
            ActivityAssociation.account_id == contact.account_id,
            ActivityAssociation.record_type == "contact",
            ActivityAssociation.record_id == contact.id,
        )
        .order_by(ActivityAssociation.occurred_at, ActivityAssociation.activity_id)
    )
    return list(db.session.scalars(query))


def tracked_recipients(contact: Contact) -> list[MessageRecipient]:
    """The contact's address as a recipient of tracked mail (the engagement events hang on it)."""
    query = select(MessageRecipient).where(
        MessageRecipient.account_id == contact.account_id,
        MessageRecipient.email == contact.email,
    )
    return list(db.session.scalars(query.order_by(MessageRecipient.id)))
