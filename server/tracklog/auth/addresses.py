"""A user's own extra addresses (aliases): added by the user, counted once verified by a link."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.auth.invitations import one_time_link
from tracklog.auth.tokens import hash_token
from tracklog.errors import Conflict, NotFound
from tracklog.extensions import db
from tracklog.mailaddress import normalise_email
from tracklog.models import User, UserAddress, utcnow
from tracklog.outgoing import send_mail


def own_addresses(user: User) -> list[UserAddress]:
    """The user's extra addresses, in the order they were added."""
    query = select(UserAddress).where(
        UserAddress.account_id == user.account_id, UserAddress.user_id == user.id
    )
    return list(db.session.scalars(query.order_by(UserAddress.id)))


def add_own_address(user: User, email: Any) -> tuple[UserAddress, str | None]:
    """Add an alias, unverified, and send its verification link; the link is returned (once)
    when it could not be mailed."""
    address = normalise_email(email if isinstance(email, str) else "")
    taken = db.session.scalar(select(User.id).where(User.email == address)) or db.session.scalar(
        select(UserAddress.id).where(
            UserAddress.account_id == user.account_id, UserAddress.email == address
        )
    )
    if taken:
        raise Conflict(
            _("%(email)s is already an address of this account.", email=address),
            code="address_taken",
        )
    link, token_hash = one_time_link("verify-address")
    alias = UserAddress(
        account_id=user.account_id, user_id=user.id, email=address, verification_hash=token_hash
    )
    db.session.add(alias)
    db.session.commit()
    sent = send_mail(address, *verification_mail(user, address, link))
    return alias, None if sent else link


def verification_mail(user: User, address: str, link: str) -> tuple[str, str]:
    """The subject and text of the mail that carries an address's verification link."""
    subject = _("Confirm %(email)s for tracklog", email=address)
    body = _(
        "%(user)s added %(email)s as one of their addresses in tracklog, so that mail they send "
        "from it can be logged.\n\nFollow this link to confirm that the address is theirs:\n"
        "%(link)s\n\nIf you did not expect this mail, ignore it: the address will not be used.",
        user=user.email,
        email=address,
        link=link,
    )
    return subject, body


def remove_own_address(user: User, address_id: int) -> None:
    """Remove one of the user's addresses; mail from it is no longer theirs."""
    alias = db.session.scalar(
        select(UserAddress).where(
            UserAddress.id == address_id,
            UserAddress.account_id == user.account_id,
            UserAddress.user_id == user.id,
        )
    )
    if alias is None:
        raise NotFound(_("You have no address %(id)s.", id=address_id))
    db.session.delete(alias)
    db.session.commit()


def address_to_verify(token: str) -> UserAddress:
    """The address a verification link was sent to, or NotFound once it was used."""
    query = select(UserAddress).where(UserAddress.verification_hash == hash_token(token))
    alias = db.session.scalar(query)
    if alias is None:
        raise NotFound(_("This confirmation link is not valid or was already used."))
    return alias


def verify_address(token: str) -> UserAddress:
    """Mark the address a verification link was sent to as verified; the link works once."""
    alias = address_to_verify(token)
    alias.verified_at, alias.verification_hash = utcnow(), None
    db.session.commit()
    return alias


def address_json(alias: UserAddress) -> dict[str, Any]:
    """One of the user's addresses as the API shows it."""
    return {
        "id": alias.id,
        "email": alias.email,
        "kind": alias.kind,
        "verified": alias.verified_at is not None,
        "verified_at": alias.verified_at.isoformat() if alias.verified_at else None,
    }
