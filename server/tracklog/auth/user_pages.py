"""The users page for admins (invitations, roles, deactivation), each user's own addresses, and
the page a verification link opens."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from tracklog.auth.accounts import account_users, require_admin
from tracklog.auth.addresses import (
    add_own_address,
    address_to_verify,
    own_addresses,
    remove_own_address,
    verify_address,
)
from tracklog.auth.invitations import invite_user, pending_invitations, revoke_invitation
from tracklog.auth.sessions import last_sign_ins
from tracklog.crm.resources import RESOURCE_BY_NAME
from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.models import ROLES
from tracklog.outgoing import relay_configured

user_pages = Blueprint("user_pages", __name__)


def users_page(invited_link: str | None = None, status: int = 200) -> tuple[str, int]:
    """The account's users, the pending invitations and the invite form."""
    require_admin(current_user, _("Only an admin can manage the account's users."))
    page = render_template(
        "settings/users.html",
        users=account_users(current_user.account_id),
        last_sign_ins=last_sign_ins(current_user.account_id),
        invitations=pending_invitations(current_user),
        roles=ROLES,
        invited_link=invited_link,
        relay=relay_configured(),
    )
    return page, status


def changed(change: Callable[[], str], page: str) -> Response:
    """Make a change, say what happened (or why it was refused) and go back to the page."""
    try:
        flash(change(), "info")
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for(page))


@user_pages.get("/settings/users")
@login_required
def users() -> tuple[str, int]:
    """The users page (admins only)."""
    return users_page()


@user_pages.post("/settings/users/invite")
@login_required
def invite() -> Response | tuple[str, int]:
    """Invite an address; the page shows the link once when it could not be mailed."""
    form = request.form
    try:
        invitation, link = invite_user(
            current_user, form.get("email"), form.get("role"), form.get("display_name")
        )
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return users_page(status=refused.status)
    if link is None:
        flash(_("The invitation was mailed to %(email)s.", email=invitation.email), "info")
        return redirect(url_for("user_pages.users"))
    return users_page(invited_link=link)


@user_pages.post("/settings/users/invitations/<int:invitation_id>/revoke")
@login_required
def revoke(invitation_id: int) -> Response:
    """Withdraw a pending invitation."""

    def withdraw() -> str:
        invitation = revoke_invitation(current_user, invitation_id)
        return _("The invitation of %(email)s was withdrawn.", email=invitation.email)

    return changed(withdraw, "user_pages.users")


@user_pages.post("/settings/users/<int:user_id>/role")
@login_required
def change_role(user_id: int) -> Response:
    """Make a user an admin or a user again, as PATCH /api/v1/users/<id> does."""

    def update() -> str:
        user = RESOURCE_BY_NAME["users"].update(
            current_user, user_id, {"role": request.form.get("role")}
        )
        return _("%(email)s is now: %(role)s.", email=user.email, role=role_label(user.role))

    return changed(update, "user_pages.users")


@user_pages.post("/settings/users/<int:user_id>/active")
@login_required
def change_activation(user_id: int) -> Response:
    """Deactivate or reactivate a user, as PATCH /api/v1/users/<id> does."""
    active = request.form.get("active") == "1"

    def update() -> str:
        user = RESOURCE_BY_NAME["users"].update(current_user, user_id, {"active": active})
        if active:
            return _("%(email)s was reactivated.", email=user.email)
        return _("%(email)s was deactivated and signed out everywhere.", email=user.email)

    return changed(update, "user_pages.users")


def role_label(role: str) -> str:
    """A role in the reader's language."""
    return _("admin") if role == "admin" else _("user")


@user_pages.get("/settings/addresses")
@login_required
def addresses() -> str:
    """The user's own extra addresses and the form to add one."""
    return addresses_page()


def addresses_page(verification_link: str | None = None) -> str:
    """The addresses page, with a verification link shown once when it could not be mailed."""
    return render_template(
        "settings/addresses.html",
        addresses=own_addresses(current_user),
        verification_link=verification_link,
        relay=relay_configured(),
    )


@user_pages.post("/settings/addresses")
@login_required
def add_address() -> Response | str:
    """Add an alias and send its verification link (shown here when there is no relay)."""
    try:
        alias, link = add_own_address(current_user, request.form.get("email"))
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("user_pages.addresses"))
    if link is None:
        flash(_("A confirmation link was mailed to %(email)s.", email=alias.email), "info")
        return redirect(url_for("user_pages.addresses"))
    return addresses_page(verification_link=link)


@user_pages.post("/settings/addresses/<int:address_id>/remove")
@login_required
def remove_address(address_id: int) -> Response:
    """Remove one of the user's addresses."""

    def remove() -> str:
        remove_own_address(current_user, address_id)
        return _("The address was removed.")

    return changed(remove, "user_pages.addresses")


@user_pages.get("/verify-address/<token>")
def confirm_address(token: str) -> str:
    """The page a verification link opens: a button confirms the address (a mail scanner that
    opens every link confirms nothing)."""
    alias = address_to_verify(token)
    return render_template("auth/address_verified.html", alias=alias, token=token, done=False)


@user_pages.post("/verify-address/<token>")
def verify(token: str) -> str:
    """Confirm the address: from now on it counts as its user's."""
    alias = verify_address(token)
    return render_template("auth/address_verified.html", alias=alias, done=True)
