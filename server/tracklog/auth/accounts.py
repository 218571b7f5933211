"""Creating accounts (tenants), their users and their logging addresses."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from babel.numbers import list_currencies
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from tracklog.audit.log import record_audit
from tracklog.auth.sessions import end_web_sessions
from tracklog.crm.pipelines import default_pipelines
from tracklog.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.loggingaddress import ALPHABET, logging_address
from tracklog.mailaddress import normalise_email
from tracklog.models import ROLES, Account, User
from tracklog.models.account import DEFAULT_CURRENCY

MIN_PASSWORD_LENGTH = 8


def new_bcc_key() -> str:
    """A random, unambiguous key for an account's logging BCC address."""
    return "".join(secrets.choice(ALPHABET) for _ in range(12))


def bcc_address(account: Account) -> str:
    """The address an account's users BCC to log their mail."""
    return logging_address(account.bcc_key)


def currency_code(code: str) -> str:
    """An ISO 4217 currency code in capitals, or ValidationFailed."""
    code = (code or "").strip().upper()
    if code not in list_currencies():
        raise ValidationFailed(
            _("%(code)s is not an ISO 4217 currency code such as USD or EUR.", code=code or "''"),
            details={"fields": {"currency": "iso_4217"}},
        )
    return code


def create_account(name: str, currency: str = DEFAULT_CURRENCY) -> Account:
    """A new account with the default Sales Pipeline and ticket pipeline."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("An account needs a name."), details={"fields": {"name": "required"}}
        )
    currency = currency_code(currency)
    if db.session.scalar(db.select(Account).filter_by(name=name)):
        raise Conflict(_("An account named %(name)s already exists.", name=name))
    account = Account(name=name, bcc_key=new_bcc_key(), currency=currency)
    db.session.add(account)
    db.session.flush()
    db.session.add_all(default_pipelines(account))
    db.session.commit()
    return account


def find_account(name: str) -> Account:
    """The account with this name, or NotFound."""
    account = db.session.scalar(db.select(Account).filter_by(name=name))
    if account is None:
        raise NotFound(_("There is no account named %(name)s.", name=name))
    return account


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("A password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
            details={"fields": {"password": "too_short"}},
        )


def set_password(user: User, password: str, *, keep_session: str | None = None) -> None:
    """Hash and store a new password; every browser but `keep_session` is signed out."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    end_web_sessions(user, keep=keep_session)


def change_own_password(user: User, current: str, new: str, *, keep_session: str) -> None:
    """A user replaces their password, proving they know the current one."""
    if not password_matches(user, current):
        raise ValidationFailed(
            _("The current password is wrong."), details={"fields": {"current": "wrong"}}
        )
    set_password(user, new, keep_session=keep_session)
    db.session.commit()


def role_and_activation_changes(user: User) -> dict[str, list[Any]]:
    """The role or activation a pending save changes, each as [old, new]."""
    state = inspect(user)
    changes = {}
    for name in ("role", "active"):
        history = state.attrs[name].history
        if history.deleted and history.added and history.deleted[0] != history.added[0]:
            changes[name] = [history.deleted[0], history.added[0]]
    return changes


def audit_role_and_activation(admin: User, user: User) -> bool:
    """Refuse an admin's change of their own role or activation (so an account always keeps an
    admin), audit the others; whether the user is being deactivated."""
    changes = role_and_activation_changes(user)
    if user.id == admin.id and changes:
        raise Conflict(
            _("You cannot change your own role or deactivate yourself."), code="cannot_change_self"
        )
    if "role" in changes:
        record_audit(admin, user.account_id, "role_changed", ("user", user.id), changes)
    if "active" in changes:
        action = "user_reactivated" if user.active else "user_deactivated"
        record_audit(admin, user.account_id, action, ("user", user.id), changes)
    return changes.get("active") == [True, False]


def require_admin(user: User, message: str) -> None:
    """Forbidden, with the message, unless the user is an admin of their account."""
    if not user.is_admin:
        raise Forbidden(message)


def end_sign_ins_if_deactivated(user: User) -> None:
    """A deactivated user is signed out of every browser at once."""
    if not user.active:
        end_web_sessions(user)


def check_address_unused(user: User) -> None:
    """Refuse an address another user has, saying nothing of whose it is or in which account."""
    query = db.select(User.id).where(User.email == user.email)
    if user.id is not None:
        query = query.where(User.id != user.id)
    if db.session.scalar(query) is not None:
        raise ValidationFailed(
            _("This address cannot be used."),
            details={"fields": {"email": _("cannot be used")}},
        )


def password_matches(user: User, password: str) -> bool:
    """Whether the password is the user's; always false for users without a local password."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def user_with_password(address: str, password: str) -> User | None:
    """The active user with this address and password; an unknown address takes as long."""
    # No address holds a NUL, and PostgreSQL refuses one in a query: it is simply nobody's.
    user = (
        None if "\x00" in address else db.session.scalar(db.select(User).filter_by(email=address))
    )
    if user is None or not user.password_hash:
        check_password_hash(_decoy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if password_matches(user, password) and user.active else None


@cache
def _decoy_hash(method: str) -> str:
    """A hash of no one's password, checked when there is no user so that timing tells nothing."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def add_user(
    account: Account,
    email: str,
    *,
    display_name: str = "",
    role: str = "user",
    password: str | None = None,
) -> User:
    """A new local user of the account; the address must not be used by any other user."""
    if role not in ROLES:
        raise ValidationFailed(_("Unknown role %(role)s.", role=role))
    address = normalise_email(email)
    user = User(
        account_id=account.id,
        email=address,
        display_name=display_name or address.split("@")[0],
        role=role,
    )
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            _("A user with the address %(email)s already exists.", email=address)
        ) from None
    return user


def find_user(email: str) -> User:
    """The user with this address in any account, or NotFound."""
    user = db.session.scalar(db.select(User).filter_by(email=(email or "").strip().lower()))
    if user is None:
        raise NotFound(_("There is no user with the address %(email)s.", email=email))
    return user


def account_users(account_id: int) -> list[User]:
    """The users of an account, by name."""
    query = db.select(User).where(User.account_id == account_id)
    return list(db.session.scalars(query.order_by(User.display_name, User.id)))


def user_names(account_id: int) -> dict[int, str]:
    """The display names (else addresses) of an account's users by id, in name order."""
    return {user.id: user.display_name or user.email for user in account_users(account_id)}
