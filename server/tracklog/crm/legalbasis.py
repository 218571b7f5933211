"""Contacts' legal basis: the bases an account offers, and setting one on many contacts at once."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import Account, Contact, User

LEGAL_BASIS_LABELS = {
    "consent": _l("Consent"),
    "contract": _l("Contract"),
    "legal_obligation": _l("Legal obligation"),
    "vital_interests": _l("Vital interests"),
    "public_task": _l("Public task"),
    "legitimate_interest": _l("Legitimate interest"),
}
MAX_CONTACTS_AT_ONCE = 1000


def require_offered_basis(account: Account, basis: str | None) -> None:
    """Refuse a legal basis the account does not offer (None, no basis, is always allowed)."""
    offered = account.legal_bases or []
    if basis and basis not in offered:
        raise ValidationFailed(
            _(
                "The legal basis must be one the account offers: %(bases)s.",
                bases=", ".join(offered),
            ),
            details={"fields": {"legal_basis": ", ".join(offered)}},
        )


def contact_ids(value: Any) -> list[int]:
    """The distinct contact ids of a request, or ValidationFailed."""
    ids = [stored_integer(item) for item in value] if isinstance(value, list) else [None]
    if not ids or None in ids or len(ids) > MAX_CONTACTS_AT_ONCE:
        raise ValidationFailed(
            _("Choose at least one contact."),
            details={
                "fields": {"ids": _("a list of 1 to %(max)d contact ids", max=MAX_CONTACTS_AT_ONCE)}
            },
        )
    return list(dict.fromkeys(ids))


def set_legal_basis(user: User, ids: Any, basis: Any) -> int:
    """Give these contacts of the user's account one legal basis (None or "": none); how many.

    Every id must be a contact of the account, or nothing changes: another account's contact is
    answered as a missing one, so ids do not leak.
    """
    if basis is not None and not isinstance(basis, str):
        raise ValidationFailed(
            _("The legal basis must be text or null."),
            details={"fields": {"legal_basis": _("must be text or null")}},
        )
    basis = basis or None
    require_offered_basis(user.account, basis)
    wanted = contact_ids(ids)
    contacts = db.session.scalars(
        select(Contact).where(Contact.account_id == user.account_id, Contact.id.in_(wanted))
    ).all()
    if len(contacts) != len(wanted):
        raise NotFound(_("Some of these contacts do not exist."))
    for contact in contacts:
        contact.legal_basis = basis
    db.session.commit()
    return len(contacts)
