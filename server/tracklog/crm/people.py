"""The contacts behind mail addresses: pages name people, not bare addresses."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from tracklog.extensions import db
from tracklog.models import Contact


def contacts_by_email(account_id: int, emails: Iterable[str]) -> dict[str, Contact]:
    """The account's contacts for these addresses, by address (unknown ones are left out)."""
    wanted = sorted({email.lower() for email in emails if email})
    if not wanted:
        return {}
    query = select(Contact).where(Contact.account_id == account_id, Contact.email.in_(wanted))
    return {contact.email: contact for contact in db.session.scalars(query)}
