"""The compose flow: decide who is tracked and logged, then rewrite the mail's HTML."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from html import escape
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracklog.auth.accounts import bcc_address
from tracklog.crm.associations import (
    automatic_associations,
    explicit_associations,
    record_labels,
)
from tracklog.crm.explain import render_why
from tracklog.errors import ValidationFailed
from tracklog.explanations import register, render
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.loggingaddress import ALPHABET, is_logging_address, logging_address
from tracklog.mailaddress import normalise_email
from tracklog.maillog.rules import (
    RecipientStanding,
    recipient_standings,
    sender_refusal,
    users_by_address,
)
from tracklog.mailtemplates.library import record_template_use
from tracklog.models import Account, Contact, Message, MessageRecipient, TrackedLink, User
from tracklog.privacy.optout import opt_out_token
from tracklog.tracking.attachments import claim_shared_files
from tracklog.tracking.rewrite import FoundLink, find_links, rewrite_html
from tracklog.tracking.tokens import TokenClaims, make_token

CLIENT_HOSTS = ("outlook-desktop", "outlook-web", "outlook-mac", "outlook-mobile", "web", "api")
MAX_RECIPIENTS = 500
# Why a recipient's own standing keeps them untracked: the pane reads the code, people the text.
RECIPIENT_TEXTS = {
    "lacks_legal_basis": _l("No legal basis for this contact (privacy mode)."),
    "recipient_opted_out": _l(
        "This recipient opted out of tracking: mail to them is never tracked by this account."
    ),
}
register("recipient", RECIPIENT_TEXTS)
RECIPIENT_CODES = ("internal", *RECIPIENT_TEXTS)


class NoRecipients(ValidationFailed):
    """A draft with nobody to send to: compose stores nothing for it."""

    # An incomplete request rather than a malformed field: 400, as HubSpot answers it.
    status = 400
    code = "no_recipients"


@dataclass(frozen=True)
class ComposeRequest:
    """A validated call of POST /api/v1/compose."""

    subject: str
    sender: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    html: str
    track: bool
    log: bool
    associations: list[dict[str, Any]]
    create_contacts: bool
    client_host: str | None
    client_item_id: str | None
    template_id: int | None = None


def _addresses(payload: dict[str, Any], field: str, errors: dict[str, str]) -> list[str]:
    """A list of normalised addresses, noting a field error instead of raising."""
    raw = payload.get(field, [])
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        errors[field] = _("must be a list of addresses")
        return []
    addresses = []
    for item in raw:
        try:
            addresses.append(normalise_email(item, field))
        except ValidationFailed:
            errors[field] = _("%(value)s is not a valid address", value=item)
    return addresses


def parse_compose_request(payload: Any, user: User) -> ComposeRequest:
    """Validate the JSON body of a compose call, naming every bad field; what it leaves out
    follows the defaults (track and log: the user's own, else the account's)."""
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    errors: dict[str, str] = {}
    recipients = {field: _addresses(payload, field, errors) for field in ("to", "cc", "bcc")}
    html = payload.get("html", "")
    if not isinstance(html, str):
        errors["html"] = _("must be a string")
    subject = payload.get("subject", "")
    if not isinstance(subject, str):
        errors["subject"] = _("must be a string")
    flags = {}
    defaults = {
        "track": user.tracks_by_default,
        "log": user.logs_by_default,
        "create_contacts": user.account.create_contacts,
    }
    for name, default in defaults.items():
        flags[name] = payload.get(name, default)
        if not isinstance(flags[name], bool):
            errors[name] = _("must be true or false")
    associations = payload.get("associations", [])
    if not isinstance(associations, list) or not all(isinstance(a, dict) for a in associations):
        errors["associations"] = _("must be a list of {type, id} objects")
    client = payload.get("client") or {}
    if not isinstance(client, dict):
        errors["client"] = _("must be an object")
        client = {}
    if client.get("host") is not None and client.get("host") not in CLIENT_HOSTS:
        errors["client.host"] = _("must be one of: %(choices)s", choices=", ".join(CLIENT_HOSTS))
    item_id = client.get("item_id")
    if item_id is not None and (not isinstance(item_id, str) or len(item_id) > 500):
        errors["client.item_id"] = _("must be a string of at most 500 characters")
    template_id = payload.get("template_id")
    if template_id is not None:
        template_id = stored_integer(template_id)
        if template_id is None or template_id < 1:
            errors["template_id"] = _("must be the id of a template")
    if sum(len(addresses) for addresses in recipients.values()) > MAX_RECIPIENTS:
        errors["to"] = _("at most %(count)d recipients", count=MAX_RECIPIENTS)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    return ComposeRequest(
        subject=subject.strip()[:998],
        sender=str(payload.get("from") or ""),
        html=html,
        associations=associations,
        client_host=client.get("host"),
        client_item_id=item_id or None,
        template_id=template_id,
        **recipients,
        **flags,
    )


def new_public_id() -> str:
    """A message id for clients and BCC addresses: 'tl_' and 16 unambiguous characters."""
    return "tl_" + "".join(secrets.choice(ALPHABET) for _ in range(16))


def tracking_mode(request: ComposeRequest, standings: list[RecipientStanding]) -> tuple[str, str]:
    """individual, anonymous or off, with the reason in words."""
    external = [standing for standing in standings if not standing.internal]
    if not request.track:
        return "off", _("Tracking was turned off for this mail.")
    if not external:
        return "off", _("Every recipient is a user of this account: internal mail is not tracked.")
    if any(standing.lacks_legal_basis for standing in external):
        return "off", _(
            "Privacy mode: a recipient has no legal basis for tracking, so the mail is not tracked."
        )
    if any(standing.opted_out for standing in external):
        # One body goes to everyone: a pixel for the others would track them too.
        return "off", _("A recipient opted out of tracking, so the mail is not tracked.")
    if len(external) == 1:
        return "individual", _("One external recipient: opens are attributed to them.")
    return "anonymous", _(
        "Several external recipients: opens are counted but not attributed to a person."
    )


def recipient_decision(
    standing: RecipientStanding, mode: str, mode_reason: str, not_logging: str | None
) -> tuple[bool, bool, str]:
    """Whether one recipient is tracked and logged, and the reason when either is not
    (not_logging: why the whole mail will not be logged, if it will not)."""
    if standing.internal_user is not None:
        return False, False, _("Internal: a user of this account.")
    if standing.internal:
        return (
            False,
            False,
            _(
                "Internal: %(domain)s is one of the account's internal domains.",
                domain=standing.internal_domain,
            ),
        )
    if standing.lacks_legal_basis:
        return False, False, render("recipient", "lacks_legal_basis")
    track = mode != "off"
    if standing.opted_out:
        reasons = [render("recipient", "recipient_opted_out")]
    else:
        reasons = [] if track else [mode_reason]
    if mode == "anonymous":
        reasons.append(_("Tracked anonymously: the mail has several external recipients."))
    log = not_logging is None and standing.never_log is None
    if standing.never_log is not None:
        reasons.append(
            _("On the never-log list (%(pattern)s).", pattern=standing.never_log.pattern)
        )
    elif not_logging is not None:
        reasons.append(not_logging)
    return track, log, " ".join(reasons)


def standing_code(standing: RecipientStanding) -> str | None:
    """The code of what in the recipient's own standing keeps them untracked, if anything."""
    if standing.internal:
        return "internal"
    if standing.lacks_legal_basis:
        return "lacks_legal_basis"
    if standing.opted_out:
        return "recipient_opted_out"
    return None


def find_draft(user: User, item_id: str | None) -> Message | None:
    """The message already prepared for this draft, making compose idempotent."""
    if not item_id:
        return None
    query = select(Message).filter_by(
        account_id=user.account_id, user_id=user.id, client_item_id=item_id
    )
    return db.session.scalar(query)


def assign_links(message: Message, found: list[FoundLink]) -> dict[tuple[str, int], TrackedLink]:
    """Reuse the message's links by (url, occurrence) and add new ones, plus the honeypot."""
    existing = {(link.url, link.occurrence): link for link in message.links if not link.honeypot}
    next_slot = max((link.slot for link in message.links), default=0) + 1
    for item in found:
        if (item.url, item.occurrence) not in existing:
            link = TrackedLink(
                account_id=message.account_id,
                slot=next_slot,
                url=item.url,
                occurrence=item.occurrence,
            )
            message.links.append(link)
            existing[(item.url, item.occurrence)] = link
            next_slot += 1
    if not any(link.honeypot for link in message.links):
        message.links.append(
            TrackedLink(account_id=message.account_id, slot=0, url="", honeypot=True)
        )
    return existing


def tracking_url(path: str) -> str:
    """An absolute URL on the public base URL."""
    return f"{current_app.config['BASE_URL']}{path}"


def is_tracking_url(url: str) -> bool:
    """Whether a URL is one of tracklog's own tracking links (never wrapped twice)."""
    return url.startswith(tracking_url("/t/"))


def opt_out_footer(message: Message, account: Account) -> str:
    """The small footer linking to the page where a recipient opts out (when the account offers
    it); its link is never wrapped, so following it is no click."""
    if not account.recipient_opt_out_link:
        return ""
    text = escape(_("This mail is tracked by %(account)s.", account=account.name))
    link = escape(_("Stop tracking mail to me"))
    url = tracking_url(f"/t/u/{opt_out_token(message)}")
    return (
        '<p class="tracklog-opt-out" style="font-size:11px;color:#777777;margin-top:16px">'
        f'{text} <a href="{url}" style="color:#777777">{link}</a></p>'
    )


def extra_html(message: Message, account: Account, recipient_slot: int) -> str:
    """The open pixel, the hidden honeypot link that only machines follow, and the opt-out
    footer."""
    pixel = make_token(TokenClaims("open", message.id, 0, recipient_slot))
    honeypot = make_token(TokenClaims("click", message.id, 0, recipient_slot))
    return (
        f'<img src="{tracking_url(f"/t/o/{pixel}.gif")}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0" />'
        f'<a href="{tracking_url(f"/t/c/{honeypot}")}" style="display:none;mso-hide:all" '
        'aria-hidden="true" tabindex="-1"></a>'
    ) + opt_out_footer(message, account)


def rewrite_for_tracking(message: Message, account: Account, html: str, recipient_slot: int) -> str:
    """The HTML with every trackable link wrapped, the pixel and the opt-out footer added."""
    links = assign_links(message, find_links(html))
    db.session.flush()

    def click_url_for(found: FoundLink) -> str:
        """The click URL of one link occurrence."""
        slot = links[(found.url, found.occurrence)].slot
        return tracking_url(
            f"/t/c/{make_token(TokenClaims('click', message.id, slot, recipient_slot))}"
        )

    extra = extra_html(message, account, recipient_slot)
    return rewrite_html(html, click_url_for, is_tracking_url, extra)


@dataclass(frozen=True)
class RecipientPlan:
    """One recipient of a draft and what will happen to them."""

    slot: int
    field: str
    email: str
    contact: Contact | None
    track: bool
    log: bool
    reason: str
    reason_code: str | None

    def as_json(self) -> dict[str, Any]:
        """The recipient as the compose response shows it."""
        contact_id = self.contact.id if self.contact else None
        return {
            "email": self.email,
            "track": self.track,
            "log": self.log,
            "contact_id": contact_id,
            "reason": self.reason,
            "reason_code": self.reason_code,
        }


def plan_recipients(user: User, request: ComposeRequest) -> tuple[str, str, list[RecipientPlan]]:
    """The tracking mode with its reason, and each recipient's plan, in the draft's order."""
    fields_and_emails = [
        (field, email)
        for field in ("to", "cc", "bcc")
        for email in getattr(request, field)
        if not is_logging_address(email)
    ]
    unique = list(dict.fromkeys(fields_and_emails))
    emails = [email for _field, email in unique]
    users = users_by_address(user.account_id, [*emails, request.sender.strip().lower()])
    standings = recipient_standings(user.account, user, emails, users)
    mode, mode_reason = tracking_mode(request, standings)
    not_logging = (
        sender_refusal(user.account_id, request.sender, users)
        if request.log
        else _("Logging was turned off for this mail.")
    )
    plans = []
    for slot, ((field, email), standing) in enumerate(zip(unique, standings, strict=True), start=1):
        track, log, reason = recipient_decision(standing, mode, mode_reason, not_logging)
        code = standing_code(standing)
        plans.append(RecipientPlan(slot, field, email, standing.contact, track, log, reason, code))
    return mode, mode_reason, plans


def suggested_associations(user: User, request: ComposeRequest, plans: list[RecipientPlan]):
    """The records the mail will go on: those picked, or the automatic ones with their reason."""
    if request.associations:
        return explicit_associations(user.account_id, request.associations)
    contacts = [plan.contact for plan in plans if plan.contact is not None and plan.log]
    planned = automatic_associations(user.account, contacts, "outgoing")
    labels = record_labels(user.account_id, {(i.record_type, i.record_id) for i in planned})
    return [
        {
            "type": item.record_type,
            "id": item.record_id,
            "why": render_why(item.why),
            "source": item.source,
            "label": labels.get((item.record_type, item.record_id), ""),
        }
        for item in planned
    ]


def preview_message(user: User, request: ComposeRequest) -> dict[str, Any]:
    """What compose would decide for this draft, changing nothing (for the pane)."""
    mode, mode_reason, plans = plan_recipients(user, request)
    return {
        "tracking": mode,
        "tracking_reason": mode_reason,
        "recipients": [plan.as_json() for plan in plans],
        "associations": suggested_associations(user, request, plans),
        "bcc": bcc_address(user.account) if request.log else None,
    }


def require_a_recipient(request: ComposeRequest) -> None:
    """Refuse a draft whose only addresses (if any) are tracklog's own logging BCCs."""
    addresses = [*request.to, *request.cc, *request.bcc]
    if not any(not is_logging_address(address) for address in addresses):
        raise NoRecipients(
            _("Add at least one recipient (To, Cc or Bcc)."),
            details={"fields": {"to": _("add at least one recipient")}},
        )


def prepare_message(user: User, request: ComposeRequest) -> dict[str, Any]:
    """Create or update the message of a draft and answer the contract's compose response.

    Everything is decided before the message is written, so that a new one is one INSERT with
    its recipients and links; the answer is made before the commit, which would expire what it
    reads."""
    require_a_recipient(request)
    account = user.account
    associations = explicit_associations(account.id, request.associations)
    mode, mode_reason, plans = plan_recipients(user, request)
    message = find_draft(user, request.client_item_id)
    if message is None:
        # Empty collections, not yet loaded ones: a new message has nothing to read back.
        message = Message(
            account_id=account.id,
            user_id=user.id,
            public_id=new_public_id(),
            client_item_id=request.client_item_id,
            recipients=[],
            links=[],
        )
        db.session.add(message)
    elif request.template_id is None:
        record_template_use(user, message, None)  # a draft that no longer uses its template
    message.subject = request.subject
    message.client_host = request.client_host
    message.track_requested = request.track
    message.log_requested = request.log
    message.create_contacts = request.create_contacts
    message.requested_associations = [{"type": a["type"], "id": a["id"]} for a in associations]
    message.tracking = mode
    if message.recipients:
        message.recipients = []
        db.session.flush()
    message.recipients = [
        MessageRecipient(
            account_id=account.id,
            slot=plan.slot,
            email=plan.email,
            field=plan.field,
            contact_id=plan.contact.id if plan.contact else None,
            track=plan.track,
            log=plan.log,
            reason=plan.reason,
        )
        for plan in plans
    ]
    db.session.flush()
    tracked_slot = next((p.slot for p in plans if mode == "individual" and p.track), 0)
    html = request.html
    claim_shared_files(message, html)
    if request.template_id is not None:
        record_template_use(user, message, request.template_id)
    if mode != "off":
        html = rewrite_for_tracking(message, account, html, tracked_slot)
    answer = {
        "message_id": message.public_id,
        "html": html,
        "bcc": logging_address(account.bcc_key, message.public_id) if request.log else None,
        "tracking": mode,
        "tracking_reason": mode_reason,
        "recipients": [plan.as_json() for plan in plans],
        "associations": associations,
    }
    db.session.commit()
    return answer
