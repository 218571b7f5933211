"""From a stored raw mail to a logged activity: parse, check, find contacts, associate, thread.

Every decision is recorded as a step of the mail's why. Processing is idempotent: a stored mail is
processed once; the same mail arriving by another path (its Message-ID, or a content hash where
it has none) becomes no second activity.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from functools import lru_cache
from importlib.resources import files
from typing import Any

from flask import current_app
from flask_babel import format_date
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracklog.crm.associations import (
    RECEIVED_BEFORE_MAILBOX,
    Planned,
    apply_associations,
    automatic_associations,
    explicit_associations,
    record_labels,
)
from tracklog.crm.explain import encode_why
from tracklog.crm.people import contacts_by_email
from tracklog.extensions import db
from tracklog.loggingaddress import is_logging_address
from tracklog.mailaddress import domain_of
from tracklog.mailbox.connections import received_before_connection
from tracklog.maillog.parse import ParsedMail, Part, parse_mail
from tracklog.maillog.rules import (
    RecipientStanding,
    is_unverified_alias,
    recipient_standings,
    users_by_address,
)
from tracklog.maillog.store import (
    lock_batch_for_processing,
    lock_for_processing,
    store_inbound,
)
from tracklog.maillog.why import step
from tracklog.models import (
    Account,
    Activity,
    Company,
    Contact,
    InboundMessage,
    InboundRecipient,
    MailAttachment,
    Message,
    Notification,
    User,
    utcnow,
)
from tracklog.notify.feed import notify_logging, publish
from tracklog.privacy.tombstones import is_erased
from tracklog.tracking.attachments import store_file
from tracklog.tracking.compose import new_public_id
from tracklog.tracking.replies import record_reply
from tracklog.tracking.untrack import untracked_html, untracked_text
from tracklog.webhooks.outbox import enqueue_logging

MAX_ATTEMPTS = 5
# Pauses after the 1st, 2nd, 3rd and 4th failed attempt; the 5th gives up.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
)
RACE_RETRIES = 3
SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|vb|odp|rv|tr|返信|転送)\s*[:：]\s*)+", re.I
)
THREAD_BY_SUBJECT_DAYS = 30


FORWARDED_TYPES = ("message/rfc822", "message/global")


class NotLogged(Exception):
    """A check decided the mail is not logged; the why says which."""


@lru_cache(maxsize=1)
def free_mail_domains() -> frozenset[str]:
    """Domains of free mail providers: their users get no company from their address."""
    text = files("tracklog.maillog").joinpath("freemail.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@dataclass
class Ingest:
    """The state of one mail going through the checks."""

    inbound: InboundMessage
    account: Account
    parsed: ParsedMail
    steps: list[dict[str, Any]] = field(default_factory=list)
    actor: User | None = None
    direction: str = "outgoing"
    people: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    standings: dict[str, RecipientStanding] = field(default_factory=dict)
    # The account's users by address, among the mail's sender and recipients.
    users: dict[str, User] = field(default_factory=dict)
    message: Message | None = None
    notifications: list[Notification] = field(default_factory=list)

    def note(self, check: str, code: str, outcome: str = "ok", **params: Any) -> None:
        """Record a step of the why."""
        self.steps.append(step(check, code, outcome, **params))

    def stop(self, check: str, code: str, **params: Any) -> None:
        """Record the step that ends processing without logging, and end it."""
        self.note(check, code, "stop", **params)
        raise NotLogged(code)


def _addresses(parsed: ParsedMail) -> list[str]:
    """Every recipient address of the mail, in order, without duplicates or logging addresses."""
    emails = [a.email for a in (*parsed.to, *parsed.cc, *parsed.bcc) if a.email]
    return [e for e in dict.fromkeys(emails) if not is_logging_address(e)]


def forwarded_original(parsed: ParsedMail) -> ParsedMail | None:
    """The mail a user forwarded as an attachment to the logging address (a mailbox rule's
    "forward as attachment"), or None when this is not such a forward."""
    if _addresses(parsed):
        return None
    nested = [part for part in parsed.attachments if part.content_type in FORWARDED_TYPES]
    return parse_mail(nested[0].data) if len(nested) == 1 else None


def check_sender(ingest: Ingest, forwarder: User | None = None) -> None:
    """Check 2: outgoing mail must come from a user of the account (or an alias of one);
    incoming mail must reach one: as a recipient (a mailbox rule redirected it to the logging
    address, or it was uploaded or synced), or by a user forwarding it as an attachment."""
    parsed, inbound = ingest.parsed, ingest.inbound
    sender = parsed.sender.email if parsed.sender else inbound.envelope_from.lower()
    recipients = _addresses(parsed)
    users = ingest.users = users_by_address(ingest.account.id, [sender, *recipients])
    ingest.names = {a.email: a.name for a in (*parsed.to, *parsed.cc, *parsed.bcc) if a.email}
    if sender in users and not users[sender].active:
        ingest.stop("sender", "sender_deactivated", email=sender)
    original = forwarded_original(parsed) if sender in users and forwarder is None else None
    if original is not None:
        ingest.note("sender", "forwarded_by_user", user=users[sender].display_name, email=sender)
        ingest.parsed = original
        check_sender(ingest, forwarder=users[sender])
        return
    if sender in users:
        ingest.actor, ingest.direction = users[sender], "outgoing"
        ingest.people = list(recipients)
        ingest.note("sender", "sender_user", user=ingest.actor.display_name, email=sender)
        return
    uploader = db.session.get(User, inbound.uploader_id) if inbound.uploader_id else None
    receiver = next((users[email] for email in recipients if email in users), None)
    receiver = receiver or forwarder or (uploader if inbound.channel != "smtp" else None)
    if receiver is not None and receiver.active:
        ingest.actor, ingest.direction = receiver, "incoming"
        ingest.people = [sender] if sender else []
        if parsed.sender:
            ingest.names[sender] = parsed.sender.name
        ingest.note("sender", "incoming_for_user", user=ingest.actor.display_name, email=sender)
        return
    if receiver is not None:
        ingest.stop("sender", "receiver_deactivated", email=receiver.email)
    if sender and is_unverified_alias(ingest.account.id, sender):
        ingest.stop("sender", "sender_alias_unverified", email=sender)
    ingest.stop("sender", "sender_not_user", email=sender or "?")


def recipient_standings_of(ingest: Ingest) -> dict[str, RecipientStanding]:
    """What the account's rules say about each person left, by address (the compose rules)."""
    standings = recipient_standings(ingest.account, ingest.actor, ingest.people, ingest.users)
    return {standing.email: standing for standing in standings}


def check_never_log(ingest: Ingest) -> None:
    """Check 3: never-log addresses and domains (account and user level) are removed."""
    kept = []
    for email in ingest.people:
        entry = ingest.standings[email].never_log
        if entry is None:
            kept.append(email)
            continue
        added_by = db.session.get(User, entry.added_by_id) if entry.added_by_id else None
        owner = db.session.get(User, entry.user_id) if entry.user_id else None
        ingest.note(
            "never_log",
            "never_log_removed",
            "removed",
            email=email,
            pattern=entry.pattern,
            owner=owner.display_name if owner else ingest.account.name,
            added_by=added_by.display_name if added_by else "?",
            added_on=format_date(entry.created_at, "medium"),
        )
    ingest.people = kept
    if not kept:
        ingest.stop("never_log", "nobody_left")


def check_privacy(ingest: Ingest) -> None:
    """Check 4: in privacy mode only contacts with a legal basis are logged."""
    if not ingest.account.privacy_mode:
        return
    kept = []
    for email in ingest.people:
        standing = ingest.standings[email]
        if standing.internal or not standing.lacks_legal_basis:
            kept.append(email)
        else:
            ingest.note("privacy", "privacy_removed", "removed", email=email)
    ingest.people = kept
    if not [email for email in kept if not ingest.standings[email].internal]:
        ingest.stop("privacy", "privacy_nobody_left")


def check_internal(ingest: Ingest) -> None:
    """Check 5: mail between users of the account (or to its internal domains) only is not
    logged."""
    external = [email for email in ingest.people if not ingest.standings[email].internal]
    if not external:
        domains = sorted({ingest.standings[email].internal_domain or "" for email in ingest.people})
        if any(domains):
            ingest.stop(
                "internal", "internal_domains_only", domains=", ".join(filter(None, domains))
            )
        ingest.stop("internal", "internal_only")
    ingest.people = external


def _company_for(ingest: Ingest, email: str) -> Company | None:
    """The company of a new contact, found or created from the mail domain (never free mail)."""
    domain = domain_of(email)
    if domain in free_mail_domains():
        ingest.note("contacts", "freemail_no_company", "note", email=email, domain=domain)
        return None
    company = db.session.scalar(
        select(Company).where(Company.account_id == ingest.account.id, Company.domain == domain)
    )
    if company is None:
        name = domain.split(".")[-2].capitalize() if domain.count(".") else domain
        company = Company(account_id=ingest.account.id, name=name, domain=domain)
        db.session.add(company)
        db.session.flush()
        ingest.note("contacts", "company_created", email=email, domain=domain)
    else:
        ingest.note("contacts", "company_found", email=email, company=company.name)
    return company


def _new_contact(ingest: Ingest, email: str) -> Contact:
    """A contact for a first-time correspondent: owned by the sender, not for marketing."""
    first, _sep, last = (ingest.names.get(email) or "").strip().partition(" ")
    company = _company_for(ingest, email)
    contact = Contact(
        account_id=ingest.account.id,
        email=email,
        first_name=first[:100],
        last_name=last[:100],
        owner_id=ingest.actor.id if ingest.actor else None,
        company_id=company.id if company else None,
        marketing_status="non_marketing",
        source="logged_mail",
    )
    db.session.add(contact)
    db.session.flush()
    owner = ingest.actor.display_name if ingest.actor else "-"
    ingest.note("contacts", "contact_created", email=email, owner=owner)
    return contact


def find_or_create_contacts(ingest: Ingest) -> list[Contact]:
    """The contacts of the people left, created where missing unless that is turned off."""
    existing = contacts_by_email(ingest.account.id, ingest.people)
    may_create = ingest.account.create_contacts and (
        ingest.message is None or ingest.message.create_contacts
    )
    contacts = []
    for email in ingest.people:
        contact = existing.get(email)
        if contact is None and is_erased(ingest.account.id, email):
            ingest.note("contacts", "erased_on_request", "note", email=email)
            continue
        if contact is None and may_create:
            contact = _new_contact(ingest, email)
        elif contact is None:
            ingest.note("contacts", "contact_not_created", "note", email=email)
            continue
        else:
            ingest.note("contacts", "contact_found", email=email, name=contact.name)
        if contact.owner_id is None and ingest.actor is not None:
            contact.owner_id = ingest.actor.id
        contacts.append(contact)
    return contacts


def find_compose_message(ingest: Ingest) -> Message | None:
    """The compose message of this mail: from the draft's logging address or the add-in's header."""
    public_id = ingest.inbound.draft_public_id or ingest.parsed.headers.get("x-tracklog-message")
    if not public_id:
        return None
    return db.session.scalar(
        select(Message).where(
            Message.account_id == ingest.account.id, Message.public_id == public_id.strip().lower()
        )
    )


def rfc_id(parsed: ParsedMail) -> str:
    """The mail's Message-ID, or one made from its content hash when it has none."""
    return parsed.message_id or f"<{parsed.content_hash}@content-hash.tracklog>"


def plan_associations(
    ingest: Ingest, contacts: list[Contact], history_at: datetime | None
) -> list[Planned]:
    """Exactly the records chosen in Outlook, or the account's automatic rules (history_at: when
    a mail received before its mailbox was connected was received)."""
    message = ingest.message
    if message is not None and message.requested_associations:
        ingest.note("associations", "explicit_used")
        chosen = explicit_associations(ingest.account.id, message.requested_associations)
        return [
            Planned(item["type"], item["id"], "manual", encode_why("selected_in_outlook"))
            for item in chosen
        ]
    if history_at is not None:
        ingest.note("associations", "received_before_mailbox")
    return automatic_associations(ingest.account, contacts, ingest.direction, history_at)


def received_before_mailbox(ingest: Ingest) -> datetime | None:
    """When a received mail that a mailbox sync found was received, if before the mailbox was
    connected (its deal then follows the rule for history: crm/associations.py)."""
    at = ingest.parsed.date or ingest.inbound.received_at
    if ingest.direction == "incoming" and received_before_connection(ingest.inbound, at):
        return at
    return None


def thread_key(account_id: int, parsed: ParsedMail, own_id: str) -> tuple[str, Activity | None]:
    """The conversation: by In-Reply-To/References, else by subject among recent mail."""
    referenced = [*parsed.in_reply_to, *reversed(parsed.references)]
    if referenced:
        earlier = db.session.scalar(
            select(Activity)
            .where(Activity.account_id == account_id, Activity.message_id.in_(referenced))
            .order_by(Activity.occurred_at)
            .limit(1)
        )
        if earlier is not None:
            return earlier.thread_key or earlier.message_id, earlier
    base = SUBJECT_PREFIX.sub("", parsed.subject).strip()
    if base and base != parsed.subject.strip():
        since = utcnow() - timedelta(days=THREAD_BY_SUBJECT_DAYS)
        earlier = db.session.scalar(
            select(Activity)
            .where(
                Activity.account_id == account_id,
                Activity.type == "email",
                Activity.subject == base,
                Activity.occurred_at >= since,
            )
            .order_by(Activity.occurred_at.desc())
            .limit(1)
        )
        if earlier is not None:
            return earlier.thread_key or earlier.message_id, earlier
    return own_id, None


def store_attachments(ingest: Ingest, activity: Activity) -> None:
    """Keep the mail's files; those over the account's limit are left out and said so."""
    limit = ingest.account.attachment_size_limit
    for part in ingest.parsed.attachments:
        row = _attachment_row(ingest, activity, part)
        if len(part.data) > limit:
            row.omitted_reason = "over_limit"
            params = {
                "name": part.filename,
                "size_mb": f"{len(part.data) / 2**20:.1f}",
                "limit_mb": f"{limit / 2**20:.0f}",
            }
            ingest.note("attachments", "attachment_omitted", "note", **params)
            activity.warnings = [*activity.warnings, {"code": "attachment_omitted", **params}]
        else:
            row.sha256, _size = store_file(io.BytesIO(part.data), limit)
        db.session.add(row)


def _attachment_row(ingest: Ingest, activity: Activity, part: Part) -> MailAttachment:
    """The database row of one file of the mail."""
    return MailAttachment(
        account_id=ingest.account.id,
        activity_id=activity.id,
        filename=part.filename[:255],
        content_type=part.content_type[:255],
        size=len(part.data),
        content_id=part.content_id,
        inline=part.inline,
    )


def mark_reply(ingest: Ingest, earlier: Activity | None) -> None:
    """A reply to a tracked mail marks it replied and becomes a reply event."""
    if ingest.direction != "incoming" or earlier is None:
        return
    tracked = db.session.scalar(
        select(Message).where(
            Message.account_id == ingest.account.id, Message.activity_id == earlier.id
        )
    )
    if tracked is None:
        return
    at = ingest.parsed.date or ingest.inbound.received_at
    sender = ingest.people[0] if ingest.people else ""
    inbound_id = ingest.inbound.id
    evidence = {"inbound_id": inbound_id}
    notification = record_reply(tracked, sender, at, f"reply:{inbound_id}", evidence)
    ingest.notifications.append(notification)
    ingest.note("thread", "reply", subject=tracked.subject)


def log_mail(ingest: Ingest) -> Activity:
    """Create the email activity with its files, associations and thread."""
    parsed, inbound = ingest.parsed, ingest.inbound
    contacts = find_or_create_contacts(ingest)
    history_at = received_before_mailbox(ingest)
    planned = plan_associations(ingest, contacts, history_at)
    if not planned:
        ingest.stop("associations", "no_records")
    own_id = rfc_id(parsed)
    key, earlier = thread_key(ingest.account.id, parsed, own_id)
    account_id = ingest.account.id
    activity = Activity(
        account_id=account_id,
        type="email",
        subject=parsed.subject,
        # The copy is the mail as the recipient got it: stored without our pixel and click URLs.
        body_html=untracked_html(parsed.html, account_id),
        body_text=untracked_text(parsed.text, account_id),
        occurred_at=parsed.date or inbound.received_at,
        owner_id=ingest.actor.id if ingest.actor else None,
        message_id=own_id,
        thread_key=key,
        direction=ingest.direction,
        sender=parsed.sender.email if parsed.sender else inbound.envelope_from,
        recipients=_addresses(parsed),
        warnings=[
            {"code": "parse_problem", "problem": problem.stored()} for problem in parsed.problems
        ],
        details={RECEIVED_BEFORE_MAILBOX: True} if history_at else {},
    )
    db.session.add(activity)
    db.session.flush()
    if earlier is not None:
        ingest.note("thread", "thread", subject=earlier.subject)
    store_attachments(ingest, activity)
    placed = apply_associations(activity, planned)
    labels = record_labels(ingest.account.id, {(a.record_type, a.record_id) for a in placed})
    for association in placed:
        key = (association.record_type, association.record_id)
        ingest.note(
            "associations",
            "associated",
            record=labels.get(key, ""),
            record_type=key[0],
            record_id=key[1],
            why=association.why,
        )
    mark_reply(ingest, earlier)
    ingest.note("result", "logged", count=len(planned))
    return activity


def already_logged(account_id: int, parsed: ParsedMail) -> Activity | None:
    """The activity this mail already became through another path."""
    query = select(Activity).where(
        Activity.account_id == account_id, Activity.message_id == rfc_id(parsed)
    )
    return db.session.scalar(query)


def link_message(ingest: Ingest, activity: Activity | None) -> None:
    """Tie the mail to its compose message (or a new untracked one) so it lists with its KPIs."""
    if ingest.direction != "outgoing" or ingest.actor is None:
        return
    message = ingest.message
    if message is None:
        message = Message(
            account_id=ingest.account.id,
            user_id=ingest.actor.id,
            public_id=new_public_id(),
            subject=ingest.parsed.subject,
            tracking="off",
            client_host="bcc" if ingest.inbound.channel == "smtp" else ingest.inbound.channel,
            sent_at=ingest.parsed.date or ingest.inbound.received_at,
        )
        db.session.add(message)
        db.session.flush()
        ingest.message = message
    if activity is not None and message.activity_id is None:
        message.activity_id = activity.id
    ingest.inbound.message_id = message.id


def run_checks(ingest: Ingest) -> Activity | None:
    """Checks 1-6 in order, then logging; NotLogged ends it early with the reason recorded."""
    ingest.note("account", "account", account=ingest.account.name)
    if ingest.parsed.problems:
        problems = [problem.stored() for problem in ingest.parsed.problems]
        ingest.note("parse", "parse_problems", "note", problems=problems)
    check_sender(ingest)
    ingest.message = find_compose_message(ingest)
    ingest.standings = recipient_standings_of(ingest)
    check_never_log(ingest)
    check_privacy(ingest)
    check_internal(ingest)
    duplicate = already_logged(ingest.account.id, ingest.parsed)
    if duplicate is not None:
        ingest.note("duplicate", "duplicate", "stop")
        ingest.inbound.status = "duplicate"
        return duplicate
    return log_mail(ingest)


def process_inbound(inbound_id: int) -> InboundMessage:
    """Process one stored mail; a failure is recorded and retried on a schedule, never lost."""
    inbound = db.session.get(InboundMessage, inbound_id)
    if inbound is None or inbound.status != "stored":
        return inbound
    if inbound.retry_at is not None and inbound.retry_at > utcnow():
        return inbound  # its next attempt is not due yet
    try:
        return _process_despite_races(inbound_id)
    except Exception as error:  # noqa: BLE001 - the mail stays stored and is retried
        db.session.rollback()
        current_app.logger.exception("processing inbound mail %s failed", inbound_id)
        return _record_failure(inbound_id, f"{type(error).__name__}: {error}"[:2000])


def sender_address(inbound: InboundMessage) -> str:
    """Who sent a stored mail, even when processing failed before reading it: the From header
    (read alone, which hardly fails), else the envelope's sender."""
    if inbound.sender:
        return inbound.sender
    try:
        headers = BytesHeaderParser().parsebytes(inbound.raw)
        return parseaddr(str(headers.get("From", "")))[1].lower() or inbound.envelope_from
    except Exception:  # noqa: BLE001 - headers too broken to read: the envelope says
        return inbound.envelope_from


def _record_failure(inbound_id: int, error: str) -> InboundMessage:
    """Count a failed attempt: plan the next one, or give up after MAX_ATTEMPTS and say so."""
    inbound = db.session.get(InboundMessage, inbound_id)
    inbound.attempts += 1
    inbound.error = error
    failed = None
    if inbound.attempts >= MAX_ATTEMPTS:
        inbound.status, inbound.retry_at = "failed", None
        inbound.steps = [step("result", "failed", "stop", error=error, attempts=inbound.attempts)]
        address = sender_address(inbound)
        sender = users_by_address(inbound.account_id, [address]).get(address)
        uploader = db.session.get(User, inbound.uploader_id) if inbound.uploader_id else None
        failed = notify_logging(inbound, sender or uploader)
    else:
        inbound.retry_at = utcnow() + RETRY_DELAYS[inbound.attempts - 1]
        inbound.steps = [
            step(
                "result",
                "retrying",
                "note",
                error=error,
                attempt=inbound.attempts,
                attempts=MAX_ATTEMPTS,
            )
        ]
    db.session.commit()
    publish([failed] if failed else [])
    return inbound


def _process_despite_races(inbound_id: int) -> InboundMessage | None:
    """Process a stored mail unless another process holds it; when a parallel one created the
    same contact or company first (a unique constraint says so), start again: the second time it
    is found, not created."""
    for attempt in range(RACE_RETRIES):
        inbound = lock_for_processing(inbound_id)
        if inbound is None:
            return db.session.get(InboundMessage, inbound_id)
        try:
            _process(inbound)
            return inbound
        except IntegrityError:
            db.session.rollback()
            if attempt == RACE_RETRIES - 1:
                raise
    return None


def _process(inbound: InboundMessage) -> None:
    """Parse and run the checks, committing the result and its why together."""
    notifications = _log_inbound(inbound)
    db.session.commit()
    publish(notifications)


def _log_inbound(inbound: InboundMessage) -> list[Notification]:
    """Parse and run the checks, leaving the result and its why in the session; the
    notifications to publish once committed."""
    parsed = parse_mail(inbound.raw)
    account = db.session.get(Account, inbound.account_id)
    inbound.subject, inbound.rfc_message_id = parsed.subject, parsed.message_id
    inbound.sender = parsed.sender.email if parsed.sender else inbound.envelope_from
    for email in _addresses(parsed):
        db.session.add(InboundRecipient(account_id=account.id, inbound_id=inbound.id, email=email))
    ingest = Ingest(inbound=inbound, account=account, parsed=parsed)
    try:
        activity = run_checks(ingest)
        inbound.subject, inbound.rfc_message_id = ingest.parsed.subject, ingest.parsed.message_id
        if inbound.status == "stored":
            inbound.status = "logged"
    except NotLogged:
        activity = None
        inbound.status = "not_logged"
    link_message(ingest, activity)
    inbound.activity_id = activity.id if activity else None
    inbound.steps = ingest.steps
    inbound.processed_at = utcnow()
    ingest.notifications.append(notify_logging(inbound, ingest.actor))
    enqueue_logging(inbound)
    return [notification for notification in ingest.notifications if notification is not None]


def process_batch(inbound_ids: list[int]) -> None:
    """Process several stored mails in one transaction: one lock query, one commit, and what
    the mails share (their account, its users) read once. Each mail runs in a savepoint of its
    own; one that fails there is processed again alone by process_inbound, which records its
    failure and plans its retry, so a batch gives each mail the outcome it would get alone."""
    notifications: list[Notification] = []
    alone: list[int] = []
    inbounds = lock_batch_for_processing(inbound_ids, utcnow())
    # Held for the whole batch: the session keeps only objects something refers to.
    accounts = db.session.scalars(
        select(Account).where(Account.id.in_({inbound.account_id for inbound in inbounds}))
    ).all()
    for inbound in inbounds:
        try:
            with db.session.begin_nested():
                notifications += _log_inbound(inbound)
        except Exception:  # noqa: BLE001 - processed alone below, where the failure is recorded
            alone.append(inbound.id)
    db.session.commit()
    del accounts
    publish(notifications)
    for inbound_id in alone:
        process_inbound(inbound_id)


def ingest_now(
    account_id: int, raw: bytes, channel: str, uploader_id: int | None = None
) -> InboundMessage:
    """Store and process a mail in one go (uploads from the pane, mailbox sync)."""
    inbound = store_inbound(account_id, channel, raw, uploader_id=uploader_id)
    return process_inbound(inbound.id)
