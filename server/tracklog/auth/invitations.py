"""Invitations: an admin invites an address; a one-time link lets the invitee set a password."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import add_user, check_password_strength, require_admin
from tracklog.auth.tokens import hash_token
from tracklog.errors import Conflict, Gone, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.mailaddress import normalise_email
from tracklog.models import ROLES, Account, Invitation, User, utcnow
from tracklog.outgoing import send_mail

INVITATION_VALID_FOR = timedelta(days=7)


def one_time_link(path: str) -> tuple[str, str]:
    """A random token's link under this installation's address, and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return f"{current_app.config['BASE_URL']}/{path}/{token}", hash_token(token)


def pending_query(account_id: int):
    """The account's invitations that can still be used."""
    return select(Invitation).where(
        Invitation.account_id == account_id,
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    )


def pending_invitations(admin: User) -> list[Invitation]:
    """The account's invitations not used, revoked or expired yet, newest first (admins)."""
    require_admin(admin, _("Only an admin can see the invitations."))
    return list(db.session.scalars(pending_query(admin.account_id).order_by(Invitation.id.desc())))


def invited_role(role: Any) -> str:
    """The role an invitation gives: user unless said otherwise."""
    if role is None:
        return "user"
    if role not in ROLES:
        raise ValidationFailed(
            _("The role must be user or admin."), details={"fields": {"role": "user, admin"}}
        )
    return role


def invited_name(display_name: Any) -> str:
    """The optional name an admin gives the invitee."""
    if display_name is not None and not isinstance(display_name, str):
        raise ValidationFailed(
            _("The name must be text."), details={"fields": {"display_name": _("not text")}}
        )
    return (display_name or "").strip()[:200]


def invite_user(
    admin: User, email: Any, role: Any = None, display_name: Any = None
) -> tuple[Invitation, str | None]:
    """Invite an address to the account; the link is mailed, or returned (once) when it was not.

    A new invitation to the same address replaces the pending one, whose link stops working.
    """
    require_admin(admin, _("Only an admin can invite users."))
    address = normalise_email(email if isinstance(email, str) else "")
    role, name = invited_role(role), invited_name(display_name)
    if db.session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict(
            _("%(email)s is already a user of tracklog.", email=address), code="user_exists"
        )
    for earlier in db.session.scalars(pending_query(admin.account_id).filter_by(email=address)):
        earlier.revoked_at = utcnow()
    link, token_hash = one_time_link("invite")
    invitation = Invitation(
        account_id=admin.account_id,
        email=address,
        display_name=name,
        role=role,
        token_hash=token_hash,
        invited_by_id=admin.id,
        expires_at=utcnow() + INVITATION_VALID_FOR,
    )
    db.session.add(invitation)
    db.session.flush()
    record_audit(
        admin,
        admin.account_id,
        "user_invited",
        ("invitation", invitation.id),
        {"role": [None, role]},
    )
    db.session.commit()
    sent = send_mail(address, *invitation_mail(admin, link))
    return invitation, None if sent else link


def invitation_mail(admin: User, link: str) -> tuple[str, str]:
    """The subject and text of the mail that carries an invitation's link."""
    subject = _("You are invited to %(account)s on tracklog", account=admin.account.name)
    body = _(
        "%(name)s invited you to the account %(account)s on tracklog.\n\n"
        "Follow this link within 7 days to choose your password:\n%(link)s\n\n"
        "The link works once. If you did not expect this mail, ignore it.",
        name=admin.display_name or admin.email,
        account=admin.account.name,
        link=link,
    )
    return subject, body


def revoke_invitation(admin: User, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation of the account: its link stops working (admins)."""
    require_admin(admin, _("Only an admin can revoke invitations."))
    query = pending_query(admin.account_id).where(Invitation.id == invitation_id)
    invitation = db.session.scalar(query)
    if invitation is None:
        raise NotFound(_("There is no pending invitation %(id)s.", id=invitation_id))
    invitation.revoked_at = utcnow()
    record_audit(admin, admin.account_id, "invitation_revoked", ("invitation", invitation.id))
    db.session.commit()
    return invitation


def usable_invitation(token: str) -> Invitation:
    """The invitation a link's token opens: NotFound when unknown, Gone when no longer usable."""
    query = select(Invitation).where(Invitation.token_hash == hash_token(token))
    invitation = db.session.scalar(query)
    if invitation is None:
        raise NotFound(_("This invitation link is not valid. Ask your admin for a new one."))
    if invitation.used_at or invitation.revoked_at or invitation.expires_at <= utcnow():
        raise Gone(
            _("This invitation was already used, withdrawn or has expired. Ask for a new one."),
            code="invitation_gone",
        )
    return invitation


def accept_invitation(token: str, password: str) -> User:
    """Create the invited user with this password; the invitation is used up with it."""
    invitation = usable_invitation(token)
    check_password_strength(password)
    invitation.used_at = utcnow()
    return add_user(
        invitation.account,
        invitation.email,
        display_name=invitation.display_name,
        role=invitation.role,
        password=password,
    )


def claim_invitation(account: Account, email: str) -> Invitation | None:
    """Use up the account's pending invitation of an address signing in with Entra ID, if any
    (the caller commits with the new user)."""
    query = pending_query(account.id).filter_by(email=email).order_by(Invitation.id.desc())
    invitation = db.session.scalar(query)
    if invitation is not None:
        invitation.used_at = utcnow()
    return invitation


def invitation_json(invitation: Invitation) -> dict[str, Any]:
    """An invitation as the API lists it (never its link)."""
    return {
        "id": invitation.id,
        "email": invitation.email,
        "display_name": invitation.display_name,
        "role": invitation.role,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
    }
