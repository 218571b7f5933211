"""Who a mail may be logged and tracked for: internal users and domains, never-log lists, privacy
mode, recipients' opt-outs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from tracklog.extensions import db
from tracklog.mailaddress import domain_of
from tracklog.models import Account, Contact, NeverLogEntry, User, UserAddress
from tracklog.privacy.optout import opted_out_addresses


@dataclass(frozen=True)
class RecipientStanding:
    """What the account's rules say about one address."""

    email: str
    internal_user: User | None
    never_log: NeverLogEntry | None
    contact: Contact | None
    needs_legal_basis: bool
    internal_domain: str | None = None
    opted_out: bool = False

    @property
    def internal(self) -> bool:
        """A user of the account, or an address at one of its internal domains: their mail is
        internal, never tracked or logged."""
        return self.internal_user is not None or self.internal_domain is not None

    @property
    def lacks_legal_basis(self) -> bool:
        """Privacy mode is on and there is no contact with a legal basis for this address."""
        return self.needs_legal_basis and not (self.contact and self.contact.legal_basis)


def users_by_address(account_id: int, emails: Collection[str] | None = None) -> dict[str, User]:
    """Every address of every user of the account (sign-in, verified aliases, connected), to its
    user; an alias not verified yet is nobody's. Given emails, only those addresses are looked
    up: a mail or a draft asks about its own few, not about every user of a large account."""
    # A user's own addresses are not needed here: not loaded with them (one query less).
    users = select(User).filter_by(account_id=account_id).options(lazyload(User.addresses))
    aliases = (
        select(UserAddress.email, User)
        .join(User, User.id == UserAddress.user_id)
        .where(UserAddress.account_id == account_id, UserAddress.verified_at.is_not(None))
        .options(lazyload(User.addresses))
    )
    if emails is not None:
        wanted = list(set(emails))
        if not wanted:
            return {}
        users = users.where(User.email.in_(wanted))
        aliases = aliases.where(UserAddress.email.in_(wanted))
    addresses = {user.email: user for user in db.session.scalars(users)}
    addresses.update((email, user) for email, user in db.session.execute(aliases))
    return addresses


def is_unverified_alias(account_id: int, email: str) -> bool:
    """Whether the address is an alias of a user of the account that is not verified yet."""
    query = select(UserAddress.id).where(
        UserAddress.account_id == account_id,
        UserAddress.email == email,
        UserAddress.verified_at.is_(None),
    )
    return db.session.scalar(query) is not None


def sender_refusal(
    account_id: int, sender: str, users: dict[str, User] | None = None
) -> str | None:
    """Why the BCC receiver would not log a mail from this From address (not a user or verified
    alias of the account, or a deactivated user's), or None when it would; an unknown From is
    the user's. users: the account's users by address, among them the sender's, when the caller
    has looked them up already."""
    email = sender.strip().lower()
    if not email:
        return None
    owner = (users if users is not None else users_by_address(account_id, [email])).get(email)
    if owner is None and is_unverified_alias(account_id, email):
        return _(
            "Will not be logged: the alias %(email)s is not verified yet. Follow the link sent "
            "to it.",
            email=email,
        )
    if owner is None:
        return _(
            "Will not be logged: the From address %(email)s is not a user of this account nor "
            "one of their aliases.",
            email=email,
        )
    if not owner.active:
        return _("Will not be logged: %(email)s is a deactivated user.", email=email)
    return None


def never_log_entries(account_id: int, user_id: int | None) -> list[NeverLogEntry]:
    """The account's never-log list plus the user's own."""
    query = select(NeverLogEntry).where(
        NeverLogEntry.account_id == account_id,
        or_(NeverLogEntry.user_id.is_(None), NeverLogEntry.user_id == user_id),
    )
    return list(db.session.scalars(query))


def within_domain(email: str, domain: str) -> bool:
    """Whether an address is at the domain or one of its subdomains."""
    own = domain_of(email)
    return own == domain or own.endswith("." + domain)


def internal_domain_of(account: Account, email: str) -> str | None:
    """The account's internal domain an address is at, if any."""
    return next((d for d in account.internal_domains or [] if within_domain(email, d)), None)


def never_log_match(entries: list[NeverLogEntry], email: str) -> NeverLogEntry | None:
    """The never-log entry covering an address: the address itself or its domain."""
    for entry in entries:
        if entry.kind == "address" and entry.pattern == email:
            return entry
        if entry.kind == "domain" and within_domain(email, entry.pattern):
            return entry
    return None


def recipient_standings(
    account: Account,
    sender: User | None,
    emails: list[str],
    users: dict[str, User] | None = None,
) -> list[RecipientStanding]:
    """The standing of each address under the account's rules, in the given order (users: the
    account's users by address, when the caller has looked them up already)."""
    users = users_by_address(account.id, emails) if users is None else users
    entries = never_log_entries(account.id, sender.id if sender else None)
    contacts = {
        contact.email: contact
        for contact in db.session.scalars(
            select(Contact).where(Contact.account_id == account.id, Contact.email.in_(emails))
        )
    }
    opted_out = opted_out_addresses(account.id, emails)
    return [
        RecipientStanding(
            email=email,
            internal_user=users.get(email),
            never_log=never_log_match(entries, email),
            contact=contacts.get(email),
            needs_legal_basis=account.privacy_mode,
            internal_domain=internal_domain_of(account, email),
            opted_out=email in opted_out,
        )
        for email in emails
    ]
