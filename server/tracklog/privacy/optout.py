"""Recipients' own say: a tracked mail's footer link lets them opt out of the account's tracking.

One HTML body goes to every recipient, so the link names the message, not a person. With one
tracked recipient the one button opts that address out; with several the visitor types their
address, and it is stored only if it is one of the message's tracked recipients. The answer is
the same either way, so the page never tells who else received the mail.
"""

from __future__ import annotations

from sqlalchemy import select

from tracklog.audit.log import record_audit
from tracklog.extensions import db
from tracklog.mailaddress import normalise_email
from tracklog.models import Message, TrackingOptOut
from tracklog.privacy.tombstones import address_hash, address_hashes
from tracklog.tracking.tokens import TokenClaims, make_token, read_token


def opt_out_token(message: Message) -> str:
    """The signed token of a message's opt-out link."""
    return make_token(TokenClaims("optout", message.id))


def message_of_token(token: str) -> Message | None:
    """The tracked message a genuine opt-out token names, or None for anything forged."""
    claims = read_token(token, "optout")
    if claims is None:
        return None
    message = db.session.get(Message, claims.target_id)
    return message if message is not None and message.tracking != "off" else None


def tracked_addresses(message: Message) -> list[str]:
    """The recipients the message was tracked for (its external recipients)."""
    return [recipient.email for recipient in message.recipients if recipient.track]


def opted_out_addresses(account_id: int, emails: list[str]) -> set[str]:
    """Those of the addresses that opted out of the account's tracking."""
    hashes = {hashed: email for email in emails for hashed in address_hashes(email)}
    if not hashes:
        return set()
    query = select(TrackingOptOut.address_hash).where(
        TrackingOptOut.account_id == account_id, TrackingOptOut.address_hash.in_(hashes)
    )
    return {hashes[hashed] for hashed in db.session.scalars(query)}


def one_click(message: Message) -> bool:
    """Whether the page's button alone opts out: the mail was tracked for one address."""
    return len(tracked_addresses(message)) == 1


def opt_out(message: Message, typed: str | None) -> None:
    """Record the opt-out of the message's only tracked recipient, or of the typed address when
    it is one of its tracked recipients; silently nothing otherwise (the answer never says)."""
    recipients = tracked_addresses(message)
    if typed is None:
        address = recipients[0] if len(recipients) == 1 else None
    else:
        address = normalise_email(typed, "email")
    if address not in recipients:
        return
    if opted_out_addresses(message.account_id, [address]):
        return
    entry = TrackingOptOut(account_id=message.account_id, address_hash=address_hash(address))
    db.session.add(entry)
    db.session.flush()
    record_audit(None, message.account_id, "recipient_opted_out", ("tracking_opt_out", entry.id))
    db.session.commit()
