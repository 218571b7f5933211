"""Request and response schemas of the /api/v1 operations that are not record resources.

The record resources (contacts, deals...) are described from their declarations in resources.py;
everything else is described here, in one table keyed by endpoint, so that the document says what
every operation takes and answers. A test checks real answers of every operation against it.
Answers are open objects: more fields may be added (the contract's rule), none may go missing.
"""

from __future__ import annotations

from typing import Any

from tracklog.audit.log import AUDIT_ACTIONS
from tracklog.config import LANGUAGES
from tracklog.crm.activities import (
    CALL_OUTCOMES,
    MAX_CALL_MINUTES,
    MAX_NOTES_LENGTH,
    MAX_TITLE_LENGTH,
)
from tracklog.crm.deal_mail import DEAL_NAME_LENGTH
from tracklog.crm.legalbasis import MAX_CONTACTS_AT_ONCE
from tracklog.crm.note_threads import MAX_COMMENT_LENGTH
from tracklog.crm.quotes import MAX_QUOTE_NOTES
from tracklog.mailbox.imap import SECURITY_MODES as IMAP_SECURITY_MODES
from tracklog.mailtemplates.library import MAX_HTML as MAX_TEMPLATE_HTML
from tracklog.mailtemplates.library import MAX_NAME as MAX_TEMPLATE_NAME
from tracklog.mailtemplates.library import MAX_SUBJECT as MAX_TEMPLATE_SUBJECT
from tracklog.models.account import DEFAULT_ASSOCIATION_TYPES, LEGAL_BASES
from tracklog.models.activity import ACTIVITY_TYPES, RECORD_TYPES
from tracklog.models.mailbox import MAILBOX_PROVIDERS
from tracklog.models.note_thread import SIDES
from tracklog.models.notification import NOTIFICATION_KINDS
from tracklog.models.partner import ASSIGNMENT_MODES, PARTNERSHIP_STATES
from tracklog.models.quote import QUOTE_STATES
from tracklog.models.reminder import CLOSED_REASONS, REMINDER_CONDITIONS, REMINDER_STATES
from tracklog.models.tracking import CLASSIFICATIONS, TRACKING_MODES
from tracklog.models.user import ROLES
from tracklog.models.webhook import DELIVERY_STATES, WEBHOOK_EVENTS
from tracklog.notify.preferences import OPEN_CHOICES
from tracklog.paging import DEFAULT_LIMIT, MAX_LIMIT
from tracklog.settings.account import MAX_ASSOCIATED
from tracklog.settings.loggingkey import MAX_GRACE_DAYS
from tracklog.settings.neverlog import SCOPES as NEVER_LOG_SCOPES
from tracklog.tracking.classify import RULE_CLASSIFICATIONS
from tracklog.tracking.compose import CLIENT_HOSTS, RECIPIENT_CODES
from tracklog.tracking.followed import MAX_NO_OPEN_DAYS, SORTS
from tracklog.tracking.insights import MACHINE_CLASSES, PERIODS, ZONE_SOURCES
from tracklog.tracking.reminders import MAX_DAYS as MAX_REMINDER_DAYS
from tracklog.tracking.rulesfile import MATCHERS
from tracklog.tracking.sendtime import SEND_TIME_BASES
from tracklog.webhooks.address import MAX_URL_LENGTH
from tracklog.webhooks.outbox import ALL_EVENTS

JSON = "application/json"
STRING = {"type": "string"}
INTEGER = {"type": "integer", "format": "int32"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
EMAIL_LIST = {"type": "array", "items": STRING, "description": "Mail addresses"}
EVENT_KINDS = ("open", "click", "attachment", "reply")
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
NUMBER = {"type": "number"}
NUMBER_OR_TEXT = {"type": ["number", "string"], "description": "A decimal, at most two places"}
MOMENT = {
    "type": "string",
    "description": "An ISO 8601 date and time (2027-01-05T09:30); without an offset, in your "
    "time zone.",
}
NOTES = {"type": "string", "maxLength": MAX_NOTES_LENGTH}


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, or null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


def enum(values: tuple[str, ...]) -> dict[str, Any]:
    """A string among values."""
    return {"type": "string", "enum": list(values)}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """A list of items."""
    return {"type": "array", "items": items}


def answer(**properties: dict[str, Any]) -> dict[str, Any]:
    """An object that always has these properties (and may have more)."""
    return {"type": "object", "required": list(properties), "properties": properties}


def with_optional(schema: dict[str, Any], **properties: dict[str, Any]) -> dict[str, Any]:
    """The schema with more properties that may be absent."""
    return {**schema, "properties": {**schema["properties"], **properties}}


def body(required: tuple[str, ...] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    """A request object with these properties, the named ones required."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def page(item_schema: str, **extra: dict[str, Any]) -> dict[str, Any]:
    """A page of a list: items and the cursor of the next page."""
    return answer(items=array(ref(item_schema)), next_cursor=nullable(STRING), **extra)


MESSAGE_FIELDS = {
    "id": STRING,
    "subject": STRING,
    "tracking": enum(TRACKING_MODES),
    "sent_at": nullable(DATE_TIME),
    "logged": BOOLEAN,
    "recipients": array(ref("MessageRecipient")),
    "kpis": ref("Kpis"),
}
WHOLE_OR_DEFAULT = nullable({**INTEGER, "minimum": 0})
ACCOUNT_SETTINGS_FIELDS = {
    "log_by_default": BOOLEAN,
    "track_by_default": BOOLEAN,
    "create_contacts": BOOLEAN,
    "default_association_types": array(enum(tuple(DEFAULT_ASSOCIATION_TYPES))),
    "max_associated_deals": {**INTEGER, "minimum": 0, "maximum": MAX_ASSOCIATED},
    "max_associated_tickets": {**INTEGER, "minimum": 0, "maximum": MAX_ASSOCIATED},
    "privacy_mode": BOOLEAN,
    "legal_bases": {**array(enum(LEGAL_BASES)), "minItems": 1},
    "internal_domains": array(STRING),
    "attachment_size_limit": {**INTEGER, "description": "Bytes"},
    "tracked_attachment_days": {**WHOLE_OR_DEFAULT, "description": "null: the installation's"},
    "open_repeat_window_seconds": {**WHOLE_OR_DEFAULT, "description": "null: the installation's"},
    "currency": {**STRING, "description": "ISO 4217"},
    "accent_color": nullable(
        {**STRING, "pattern": "^#[0-9a-fA-F]{6}$", "description": "#rrggbb, white text on it 4.5:1"}
    ),
    "event_retention_days": {**WHOLE_OR_DEFAULT, "description": "null: kept"},
    "mail_retention_days": {**WHOLE_OR_DEFAULT, "description": "null: kept"},
    "recipient_opt_out_link": BOOLEAN,
}
TEMPLATE_FIELDS = {
    "name": {**STRING, "minLength": 1, "maxLength": MAX_TEMPLATE_NAME},
    "subject": {**STRING, "maxLength": MAX_TEMPLATE_SUBJECT},
    "html": {**STRING, "maxLength": MAX_TEMPLATE_HTML},
    "shared": BOOLEAN,
}
PERSONAL_DEFAULT = {**nullable(BOOLEAN), "description": "null: the account's default"}
PERSONAL_SETTINGS_FIELDS = {
    "track_by_default": PERSONAL_DEFAULT,
    "log_by_default": PERSONAL_DEFAULT,
    "locale": {**nullable(enum(LANGUAGES)), "description": "null: the browser's language"},
    "time_zone": {**STRING, "description": "An IANA time zone name, such as Europe/Stockholm"},
}
WEBHOOK_FIELDS = {
    "id": INTEGER,
    "url": STRING,
    "events": array(enum((*WEBHOOK_EVENTS, ALL_EVENTS))),
    "created_by": nullable(INTEGER),
    "created_at": DATE_TIME,
}
HH_MM = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
ONE_TIME_LINK_SENT = {
    "sent": {**BOOLEAN, "description": "Whether the link was mailed through the outgoing relay"}
}
ONE_TIME_LINK = {
    **STRING,
    "description": "The one-time link, only when it was not mailed: shown this once, never again",
}
PREFERENCES = {
    "opens": enum(OPEN_CHOICES),
    "clicks": BOOLEAN,
    "attachments": BOOLEAN,
    "replies": BOOLEAN,
    "logging": BOOLEAN,
    "quiet_hours": nullable(ref("QuietHours")),
}
RECORD_REF = body(("type", "id"), type=enum(RECORD_TYPES), id=INTEGER)
RECIPIENT_DECISION = {
    "email": {"type": "string", "format": "email"},
    "track": BOOLEAN,
    "log": BOOLEAN,
    "reason": {"type": "string", "description": "Why, in words (empty when nothing is special)"},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "RecordRef": RECORD_REF,
    "ComposeRequest": body(
        subject=STRING,
        **{"from": {"type": "string", "description": "The sender's address"}},
        to=EMAIL_LIST,
        cc=EMAIL_LIST,
        bcc=EMAIL_LIST,
        html={"type": "string", "description": "The draft's HTML body"},
        track={**BOOLEAN, "default": True},
        log={**BOOLEAN, "default": True},
        associations={**array(ref("RecordRef")), "description": "Records picked by hand"},
        create_contacts={**BOOLEAN, "default": True},
        client=body(host=enum(CLIENT_HOSTS), item_id={"type": "string", "maxLength": 500}),
        template_id={**INTEGER, "minimum": 1, "description": "The template the mail started from"},
    ),
    "ComposeRecipient": answer(
        **RECIPIENT_DECISION,
        contact_id=nullable(INTEGER),
        reason_code={
            **nullable(enum(RECIPIENT_CODES)),
            "description": "What in the recipient's own standing keeps them untracked",
        },
    ),
    "ChosenRecord": answer(type=enum(RECORD_TYPES), id=INTEGER, why=STRING),
    "SuggestedRecord": with_optional(
        answer(type=enum(RECORD_TYPES), id=INTEGER, why=STRING), source=STRING, label=STRING
    ),
    "ComposeResponse": answer(
        message_id={"type": "string", "pattern": "^tl_"},
        html={"type": "string", "description": "The body with its open pixel and click links"},
        bcc={**nullable(STRING), "description": "The logging BCC to add (null: not logged)"},
        tracking=enum(TRACKING_MODES),
        tracking_reason=STRING,
        recipients=array(ref("ComposeRecipient")),
        associations=array(ref("ChosenRecord")),
    ),
    "ComposePreview": answer(
        tracking=enum(TRACKING_MODES),
        tracking_reason=STRING,
        recipients=array(ref("ComposeRecipient")),
        associations=array(ref("SuggestedRecord")),
        bcc=nullable(STRING),
    ),
    "MessageRecipient": with_optional(
        answer(**RECIPIENT_DECISION), name=nullable({**STRING, "description": "The contact's name"})
    ),
    "Kpis": answer(
        human_opens=INTEGER,
        unique_openers=INTEGER,
        opens_through_proxy=INTEGER,
        repeat_opens_collapsed=INTEGER,
        machine_hits={"type": "object", "additionalProperties": INTEGER},
        clicks=INTEGER,
        clicks_per_link=array(answer(link_id=INTEGER, url=STRING, clicks=INTEGER)),
        attachment_views=INTEGER,
        replies=INTEGER,
        last_opened_at=nullable(DATE_TIME),
        last_activity_at=nullable(DATE_TIME),
    ),
    "SendTime": answer(
        suggested_at=DATE_TIME,
        time_zone={**STRING, "description": "IANA name"},
        basis=enum(SEND_TIME_BASES),
        reason=STRING,
    ),
    "Insights": answer(
        days={**INTEGER, "enum": list(PERIODS)},
        user_id={**nullable(INTEGER), "description": "null: every user's mail (admins)"},
        opens_by_hour=answer(
            cells={
                **array({**array({**INTEGER, "minimum": 0}), "minItems": 24, "maxItems": 24}),
                "minItems": 7,
                "maxItems": 7,
                "description": "People's opens: 7 weekdays (Monday first) × 24 hours, in the "
                "recipients' local time",
            },
            total=INTEGER,
            time_zones={
                **answer(**dict.fromkeys(ZONE_SOURCES, INTEGER)),
                "description": "How many opens were read in the contact's zone, the zone of "
                "the open's country, or UTC",
            },
        ),
        funnel={
            **answer(
                sent=INTEGER, tracked=INTEGER, opened=INTEGER, clicked=INTEGER, replied=INTEGER
            ),
            "description": "Messages counted once at each step; opened and clicked by people, "
            "tracked mail only",
        },
        machine_hits={
            **answer(**dict.fromkeys(MACHINE_CLASSES, INTEGER)),
            "description": "Hits by machines on the same mail, per class",
        },
        per_user={**array(ref("UserRates")), "description": "Admins only; empty for users"},
    ),
    "UserRates": answer(
        user_id=INTEGER,
        name=STRING,
        sent=INTEGER,
        tracked=INTEGER,
        opened=INTEGER,
        clicked=INTEGER,
        replied=INTEGER,
        open_rate={**nullable({"type": "number"}), "description": "opened / tracked"},
        click_rate={**nullable({"type": "number"}), "description": "clicked / tracked"},
        reply_rate={**nullable({"type": "number"}), "description": "replied / sent"},
    ),
    "Message": with_optional(
        answer(**MESSAGE_FIELDS), sender=nullable({**STRING, "description": "Who sent it"})
    ),
    "MessageList": page("Message"),
    "MessageDetail": answer(**MESSAGE_FIELDS, events=array(ref("EngagementEvent"))),
    "EngagementEvent": answer(
        id=INTEGER,
        kind=enum(EVENT_KINDS),
        at=DATE_TIME,
        recipient={"type": "string", "description": 'An address, or "anonymous"'},
        classification=enum(CLASSIFICATIONS),
        reason=STRING,
        evidence={"type": "object"},
        counted=BOOLEAN,
        first_human_open=BOOLEAN,
        country=nullable(STRING),
        device=nullable(STRING),
        client=nullable(STRING),
        link=nullable(STRING),
    ),
    "Attachment": answer(
        id=INTEGER,
        filename=STRING,
        content_type=STRING,
        size=INTEGER,
        url={"type": "string", "format": "uri"},
        expires_at=DATE_TIME,
        revoked=BOOLEAN,
    ),
    "AttachmentUpload": body(
        ("file",),
        file={"type": "string", "contentMediaType": "application/octet-stream"},
        message_id={"type": "string", "description": "The message the link is for"},
    ),
    "Me": answer(
        id=INTEGER,
        email=STRING,
        display_name=STRING,
        role=STRING,
        locale=nullable(STRING),
        time_zone=nullable(STRING),
        account=STRING,
        track_by_default=BOOLEAN,
        log_by_default=BOOLEAN,
        create_contacts=BOOLEAN,
        privacy_mode=BOOLEAN,
        bcc={"type": "string", "description": "The account's logging BCC address"},
    ),
    "AddinTokenRequest": body(name={"type": "string", "maxLength": 100}),
    "AddinToken": answer(token=STRING, scope=enum(("compose",))),
    "MailUpload": body(("file",), file={"type": "string", "contentMediaType": "message/rfc822"}),
    "WhyStep": answer(
        step=nullable(STRING),
        outcome=nullable(STRING),
        code=nullable(STRING),
        text=STRING,
        data={"type": "object"},
    ),
    "ReceivedMail": answer(
        id=INTEGER,
        channel=STRING,
        received_at=DATE_TIME,
        subject=STRING,
        sender=nullable(STRING),
        status=STRING,
        activity_id=nullable(INTEGER),
        why=array(ref("WhyStep")),
    ),
    "ReceivedMailList": page("ReceivedMail"),
    "MessageWhy": answer(
        id=STRING,
        subject=STRING,
        tracking=enum(TRACKING_MODES),
        recipients=array(ref("MessageRecipient")),
        logged=BOOLEAN,
        received=array(ref("ReceivedMail")),
    ),
    "Notification": answer(
        type=enum(("notification",)),
        id=INTEGER,
        kind=enum(NOTIFICATION_KINDS),
        message_id=nullable(STRING),
        subject=STRING,
        recipient=STRING,
        classification=STRING,
        at=DATE_TIME,
        text=STRING,
        silent=BOOLEAN,
        url={"type": "string", "format": "uri"},
    ),
    "NotificationPage": page("Notification", unread=INTEGER),
    "ReadNotifications": body(("up_to",), up_to={**INTEGER, "description": "Newest id read"}),
    "Marked": answer(marked=INTEGER),
    "AuditEntry": answer(
        id=INTEGER,
        at=DATE_TIME,
        action=enum(AUDIT_ACTIONS),
        actor=nullable(answer(id=nullable(INTEGER), email=STRING)),
        target=nullable(answer(type=STRING, id=nullable(INTEGER))),
        changes={"type": "object", "description": "Each changed field as [old, new]"},
    ),
    "AuditLog": page("AuditEntry"),
    "ApiToken": answer(
        id=INTEGER,
        name=STRING,
        prefix={**STRING, "description": "The token's first characters, to recognise it"},
        scope=enum(("full", "compose")),
        owner=answer(id=INTEGER, email=STRING),
        created_at=DATE_TIME,
        last_used_at=nullable(DATE_TIME),
        revoked_at=nullable(DATE_TIME),
    ),
    "ApiTokenList": answer(items=array(ref("ApiToken"))),
    "LoggingAddress": answer(
        address=STRING,
        previous_address=nullable(STRING),
        previous_works_until=nullable(DATE_TIME),
    ),
    "RotateLoggingAddress": body(
        grace_days={**INTEGER, "minimum": 0, "maximum": MAX_GRACE_DAYS, "default": 7}
    ),
    "ContactErased": answer(
        contact_id=INTEGER,
        removed={
            "type": "object",
            "description": "How many of each kind of row (and stored file) were removed",
            "additionalProperties": INTEGER,
        },
    ),
    "AccountSettings": answer(**ACCOUNT_SETTINGS_FIELDS),
    "AccountSettingsChange": {**body(**ACCOUNT_SETTINGS_FIELDS), "additionalProperties": False},
    "PersonalSettings": answer(
        **PERSONAL_SETTINGS_FIELDS,
        account_defaults=answer(track_by_default=BOOLEAN, log_by_default=BOOLEAN),
    ),
    "Mailbox": with_optional(
        answer(
            connected=BOOLEAN,
            provider=nullable(enum(MAILBOX_PROVIDERS)),
            address=nullable(STRING),
            last_sync=nullable(DATE_TIME),
            error=nullable({**STRING, "description": "Why the last sync failed, in words"}),
            error_code=nullable(STRING),
        ),
        connected_at=DATE_TIME,
        associations_removed={**INTEGER, "description": "Only when disconnecting"},
    ),
    "ImapMailboxRequest": {
        **body(
            ("host", "username", "password"),
            host={**STRING, "description": "The IMAP server's host name or IP address"},
            port={**INTEGER, "description": "993 for tls, 143 otherwise, when absent"},
            security={
                **enum(IMAP_SECURITY_MODES),
                "description": "tls (IMAPS, the default), starttls, or none (only to a "
                "loopback host)",
            },
            username=STRING,
            password={**STRING, "description": "An app password; stored sealed, never shown"},
            address={**STRING, "description": "The mailbox's address, when not the user name"},
        ),
        "additionalProperties": False,
    },
    "MailReply": {
        **body(
            ("body",),
            body={**STRING, "description": "The reply's text, quoted above the mail"},
            reply_all={
                **BOOLEAN,
                "description": "Answer everyone the mail was to, not only its "
                "sender (default false)",
            },
        ),
        "additionalProperties": False,
    },
    "MailReplySent": answer(
        sent=BOOLEAN,
        activity_id=nullable(
            {**INTEGER, "description": "The reply as logged; null when the mailbox sync logs it"}
        ),
    ),
    "PersonalSettingsChange": {**body(**PERSONAL_SETTINGS_FIELDS), "additionalProperties": False},
    "NeverLogEntry": answer(
        id=INTEGER,
        pattern=STRING,
        kind=enum(("address", "domain")),
        scope=enum(NEVER_LOG_SCOPES),
        added_by=nullable(answer(id=INTEGER, email=STRING)),
        created_at=DATE_TIME,
    ),
    "NeverLogList": answer(items=array(ref("NeverLogEntry"))),
    "NeverLogRequest": body(
        ("pattern", "scope"),
        pattern={**STRING, "description": "An address, or a domain (example.com or @example.com)"},
        scope=enum(NEVER_LOG_SCOPES),
    ),
    "Template": answer(
        id=INTEGER,
        name=STRING,
        subject=STRING,
        html={**STRING, "description": "Sanitised HTML"},
        shared=BOOLEAN,
        owner_id=nullable(INTEGER),
        uses=INTEGER,
        open_rate=nullable({"type": "number", "description": "Tracked sends a person opened"}),
        reply_rate=nullable({"type": "number", "description": "Sends that were answered"}),
        recommended=BOOLEAN,
        recommendation={**STRING, "description": "Why it is or is not recommended"},
    ),
    "TemplateList": answer(items=array(ref("Template"))),
    "TemplateRequest": {**body(**TEMPLATE_FIELDS), "additionalProperties": False},
    "NewTemplate": {**body(("name",), **TEMPLATE_FIELDS), "additionalProperties": False},
    "Invitation": answer(
        id=INTEGER,
        email=STRING,
        display_name=STRING,
        role=enum(ROLES),
        invited_by=nullable(STRING),
        created_at=DATE_TIME,
        expires_at=DATE_TIME,
    ),
    "InvitationList": answer(items=array(ref("Invitation"))),
    "InvitationCreated": with_optional(
        {**answer(**ONE_TIME_LINK_SENT), "allOf": [ref("Invitation")]}, link=ONE_TIME_LINK
    ),
    "InvitationRequest": body(
        ("email",),
        email={**STRING, "format": "email"},
        role={**enum(ROLES), "default": "user"},
        display_name={**STRING, "maxLength": 200},
    ),
    "OwnAddress": answer(
        id=INTEGER,
        email=STRING,
        kind=enum(("alias", "connected")),
        verified=BOOLEAN,
        verified_at=nullable(DATE_TIME),
    ),
    "OwnAddressList": answer(items=array(ref("OwnAddress"))),
    "OwnAddressCreated": with_optional(
        {**answer(**ONE_TIME_LINK_SENT), "allOf": [ref("OwnAddress")]}, link=ONE_TIME_LINK
    ),
    "OwnAddressRequest": body(("email",), email={**STRING, "format": "email"}),
    "LegalBasisChange": body(
        ("ids", "legal_basis"),
        ids={**array(INTEGER), "minItems": 1, "maxItems": MAX_CONTACTS_AT_ONCE},
        legal_basis={
            **nullable(enum(LEGAL_BASES)),
            "description": "One of the bases the account offers; null for none",
        },
    ),
    "LegalBasisChanged": answer(updated=INTEGER, legal_basis=nullable(enum(LEGAL_BASES))),
    "Partnership": answer(
        id=INTEGER,
        side=enum(("selling", "partner")),
        status=enum(PARTNERSHIP_STATES),
        other_account=nullable(STRING),
        note=STRING,
        notify_user_ids=array(INTEGER),
        assignment=nullable(answer(mode=enum(ASSIGNMENT_MODES), user_ids=array(INTEGER))),
        created_at=DATE_TIME,
        accepted_at=nullable(DATE_TIME),
        ended_at=nullable(DATE_TIME),
    ),
    "PartnershipCreated": with_optional(
        {**answer(invite_code=STRING), "allOf": [ref("Partnership")]}
    ),
    "PartnershipList": answer(items=array(ref("Partnership"))),
    "PartnershipInvite": body(note={**STRING, "maxLength": 200}),
    "PartnershipAccept": body(("invite_code",), invite_code=STRING),
    "PartnershipChange": body(
        notify_user_ids=array(INTEGER),
        assignment=body(("mode", "user_ids"), mode=enum(ASSIGNMENT_MODES), user_ids=array(INTEGER)),
    ),
    "SharedDeal": answer(
        id=INTEGER,
        partnership_id=INTEGER,
        side=enum(("selling", "partner")),
        deal_id=nullable(INTEGER),
        registered_by=enum(("selling", "partner")),
        syncing=BOOLEAN,
        product_interest=STRING,
        compensation_eligible=BOOLEAN,
        introduction=STRING,
        pain_or_opportunity=STRING,
        next_steps=STRING,
        welcome_note=STRING,
        changes=array(
            answer(
                field=STRING,
                old=STRING,
                new=STRING,
                by=STRING,
                side=enum(("selling", "partner")),
                at=DATE_TIME,
            )
        ),
    ),
    "SharedDealList": answer(items=array(ref("SharedDeal"))),
    "SharedDealRegistration": body(
        ("partnership_id", "from", "name"),
        partnership_id=INTEGER,
        **{"from": ref("RecordRef")},
        name={**STRING, "maxLength": 200},
        amount=nullable({"type": "number"}),
        close_date=nullable({"type": "string", "format": "date"}),
        product_interest={**STRING, "maxLength": 200},
        introduction=STRING,
        pain_or_opportunity=STRING,
        next_steps=STRING,
    ),
    "DealShare": body(
        ("partnership_id", "partner_contact", "confirmed"),
        partnership_id=INTEGER,
        partner_contact={**STRING, "format": "email"},
        welcome_note=STRING,
        confirmed=BOOLEAN,
    ),
    "SharedFieldsChange": body(
        product_interest={**STRING, "maxLength": 200}, compensation_eligible=BOOLEAN
    ),
    "Reminder": answer(
        id=INTEGER,
        message_id=STRING,
        due_at=DATE_TIME,
        unless=enum(REMINDER_CONDITIONS),
        state=enum(REMINDER_STATES),
        closed_reason=nullable(enum(tuple(CLOSED_REASONS.values()))),
        created_at=DATE_TIME,
        fired_at=nullable(DATE_TIME),
        task_id=nullable(INTEGER),
    ),
    "ReminderList": answer(items=array(ref("Reminder"))),
    "ReminderRequest": {
        **body(
            due_at={**MOMENT, "description": MOMENT["description"] + " In the future."},
            in_days={**INTEGER, "minimum": 1, "maximum": MAX_REMINDER_DAYS},
            unless={**enum(REMINDER_CONDITIONS), "default": "reply"},
        ),
        "description": "Exactly one of due_at and in_days.",
    },
    "TrackingRule": answer(
        id=INTEGER,
        rule={**STRING, "description": "The rule's id in a hit's evidence"},
        classification=enum(RULE_CLASSIFICATIONS),
        match={"type": "object", "description": "The matchers, as a rules file writes them"},
        note=STRING,
        enabled=BOOLEAN,
        added_by=nullable(answer(id=INTEGER, email=STRING)),
        created_at=DATE_TIME,
    ),
    "BuiltInTrackingRule": answer(
        rule=STRING,
        classification=enum(RULE_CLASSIFICATIONS),
        reason=STRING,
        source=STRING,
        file=enum(("packaged", "admin")),
        match={"type": "object"},
    ),
    "TrackingRuleList": answer(
        items=array(ref("TrackingRule")), built_in=array(ref("BuiltInTrackingRule"))
    ),
    "TrackingRuleRequest": {
        **body(
            ("classification", "note"),
            classification=enum(RULE_CLASSIFICATIONS),
            note={**STRING, "description": "Why: shown as the reason of the hits it classifies"},
            user_agent_contains={
                "anyOf": [STRING, array(STRING)],
                "description": "Text the user agent contains (ignoring case)",
            },
            ip_networks={
                "anyOf": [STRING, array(STRING)],
                "description": "CIDR networks, IPv4 or IPv6",
            },
        ),
        "description": "Any other matcher of a rules file is taken too: "
        + ", ".join(MATCHERS)
        + " (docs/tracking-rules.md).",
    },
    "Reclassified": answer(
        examined=INTEGER,
        changed=INTEGER,
        changes=array(
            answer(**{"from": enum(CLASSIFICATIONS)}, to=enum(CLASSIFICATIONS), count=INTEGER)
        ),
    ),
    "QuietHours": body(("start", "end"), start=HH_MM, end=HH_MM),
    "NotificationPreferences": answer(**PREFERENCES),
    "NotificationPreferencesChange": {**body(**PREFERENCES), "additionalProperties": False},
    "MuteRequest": body(muted={**BOOLEAN, "default": True}),
    "Mute": answer(id=STRING, muted=BOOLEAN),
    "ActivityAssociation": answer(type=enum(RECORD_TYPES), id=INTEGER, source=STRING, why=STRING),
    "Activity": with_optional(
        answer(
            id=INTEGER,
            type=enum(ACTIVITY_TYPES),
            subject=STRING,
            occurred_at=DATE_TIME,
            pinned=BOOLEAN,
            associations=array(ref("ActivityAssociation")),
            body_html=STRING,
            body_text=STRING,
            direction=nullable(STRING),
            sender=nullable(STRING),
            recipients=array(STRING),
            owner_id=nullable(INTEGER),
            thread_key=nullable(STRING),
            rfc_message_id=nullable(STRING),
            message_id={**nullable(STRING), "description": "The tracked message's id (tl_...)"},
            warnings=array({}),
            attachments=array(ref("LoggedAttachment")),
            task=nullable({"type": "object"}),
            details={"type": "object", "description": "A call's, meeting's or task's own fields"},
            shared={**BOOLEAN, "description": "A copy of a note shared with a partner"},
            shared_by=nullable(ref("SharedBy")),
        ),
        comments={**array(ref("Comment")), "description": "Notes only"},
        files={**array(ref("NoteFile")), "description": "Notes only"},
    ),
    "LoggedAttachment": answer(
        id=INTEGER, filename=STRING, content_type=STRING, size=INTEGER, url=STRING
    ),
    "Timeline": page("Activity", types=array(enum(ACTIVITY_TYPES))),
    "DealRef": answer(id=INTEGER, name=STRING),
    "ContactMailItem": {
        "allOf": [
            ref("Activity"),
            answer(
                on_this_deal={**BOOLEAN, "description": "Whether the mail is on this deal"},
                deals={**array(ref("DealRef")), "description": "The deals of its contacts"},
            ),
        ]
    },
    "ContactMail": page("ContactMailItem"),
    "MoveRequest": body(
        ("from_deal", "to_deal"),
        from_deal={**INTEGER, "description": "The deal the mail is on now"},
        to_deal={**nullable(INTEGER), "description": "Another deal; null for a new deal"},
        new_deal_name={
            "type": "string",
            "maxLength": DEAL_NAME_LENGTH,
            "description": "The new deal's name; the mail's subject by default",
        },
    ),
    "TaskRequest": body(
        ("title",),
        title={"type": "string", "maxLength": MAX_TITLE_LENGTH},
        due_at=MOMENT,
        owner_id={"type": "integer", "description": "Whose task (you by default)"},
        notes=NOTES,
    ),
    "CallRequest": body(
        ("outcome",),
        outcome=enum(CALL_OUTCOMES),
        duration_minutes={"type": "integer", "minimum": 0, "maximum": MAX_CALL_MINUTES},
        occurred_at=MOMENT | {"description": "When the call took place; now by default."},
        title={"type": "string", "maxLength": MAX_TITLE_LENGTH},
        notes=NOTES,
    ),
    "MeetingRequest": body(
        ("title", "starts_at", "ends_at"),
        title={"type": "string", "maxLength": MAX_TITLE_LENGTH},
        starts_at=MOMENT,
        ends_at=MOMENT,
        attendees=array({"type": "string", "format": "email"})
        | {"description": "Attendees who are contacts get the meeting on their timeline."},
        notes=NOTES,
    ),
    "NoteRequest": body(
        ("body",),
        body={"type": "string", "description": "HTML or text"},
        shared={
            **BOOLEAN,
            "default": False,
            "description": "On a deal shared with an active partner: the partner sees it too "
            "(400 not_shared on any other record)",
        },
    ),
    "PinRequest": body(("activity_id",), activity_id=INTEGER),
    "Pin": answer(record_type=enum(RECORD_TYPES), record_id=INTEGER, activity_id=INTEGER),
    "ActivityAssociationsRequest": body(("associations",), associations=array(ref("RecordRef"))),
    "TimelineFilterRequest": body(("types",), types=array(enum(ACTIVITY_TYPES))),
    "TimelineFilter": answer(object_type=enum(RECORD_TYPES), types=array(enum(ACTIVITY_TYPES))),
    "RelatedRecord": answer(type=enum(RECORD_TYPES), id=INTEGER, label=STRING),
    "RelatedRecords": {
        "type": "object",
        "description": "For each other record type, the records associated with this one.",
        "propertyNames": enum(RECORD_TYPES),
        "additionalProperties": array(ref("RelatedRecord")),
    },
    "Reassociated": answer(activities={**INTEGER, "description": "Logged mails re-associated"}),
    "Task": answer(
        id=INTEGER,
        title=STRING,
        due_at=nullable(DATE_TIME),
        done=BOOLEAN,
        owner_id=nullable(INTEGER),
        record_type=nullable(enum(RECORD_TYPES)),
        record_id=nullable(INTEGER),
        stage_id=nullable(INTEGER),
    ),
    "TaskList": page("Task"),
    "TaskChange": body(("done",), done=BOOLEAN),
    "WebhookRequest": body(
        ("url", "events"),
        url={
            "type": "string",
            "maxLength": MAX_URL_LENGTH,
            "description": "An https URL whose host resolves to public addresses only "
            "(http and local addresses too when TRACKLOG_WEBHOOK_ALLOW_HTTP=true)",
        },
        events={
            **array(enum((*WEBHOOK_EVENTS, ALL_EVENTS))),
            "minItems": 1,
            "description": "The events sent; * for all",
        },
    ),
    "Webhook": answer(**WEBHOOK_FIELDS),
    "WebhookCreated": answer(
        **WEBHOOK_FIELDS,
        secret={
            **STRING,
            "description": "Signs every delivery (X-Tracklog-Signature); shown this once",
        },
    ),
    "WebhookList": answer(items=array(ref("Webhook"))),
    "WebhookAttempt": answer(
        at=DATE_TIME,
        status={**nullable(INTEGER), "description": "The receiver's status; null: no answer"},
        error={**STRING, "description": "Why it failed; empty when delivered"},
        duration_ms=INTEGER,
    ),
    "WebhookDelivery": answer(
        id={**STRING, "description": "The delivery's id (X-Tracklog-Delivery)"},
        event=enum(WEBHOOK_EVENTS),
        state=enum(DELIVERY_STATES),
        created_at=DATE_TIME,
        delivered_at=nullable(DATE_TIME),
        next_attempt_at=nullable(DATE_TIME),
        last_status=nullable(INTEGER),
        last_error=STRING,
        attempts=array(ref("WebhookAttempt")),
        payload={**STRING, "description": "The body as sent (a WebhookPayload)"},
    ),
    "WebhookDeliveries": page("WebhookDelivery"),
    "WebhookPayload": answer(
        id={**STRING, "format": "uuid", "description": "The delivery's id"},
        event=enum(WEBHOOK_EVENTS),
        at={**DATE_TIME, "description": "When the event happened (or the mail was processed)"},
        account=INTEGER,
        data={"anyOf": [ref("WebhookEngagementData"), ref("WebhookLoggingData")]},
    ),
    "WebhookEngagementData": with_optional(
        answer(
            message_id=nullable(STRING),
            subject=STRING,
            recipient={**nullable(STRING), "description": "null: anonymous tracking"},
            classification=enum(CLASSIFICATIONS),
            person={**BOOLEAN, "description": "A person's event, not a machine's"},
            reason={**STRING, "description": "Why it was classified so, in English"},
        ),
        url={**nullable(STRING), "description": "The link clicked"},
        file={**nullable(STRING), "description": "The attachment viewed"},
    ),
    "WebhookLoggingData": answer(
        message_id=nullable(STRING),
        rfc_message_id=nullable(STRING),
        subject=STRING,
        logged=BOOLEAN,
        reason_code=nullable(STRING),
        reason={**STRING, "description": "The deciding step of the mail's why, in English"},
    ),
    "SharedBy": answer(
        name=STRING,
        side=enum(SIDES),
        editable={**BOOLEAN, "description": "Whether your account may edit or delete this copy"},
    ),
    "NoteEdit": body(("body",), body={"type": "string", "description": "HTML or text"}),
    "Comment": answer(
        id=INTEGER,
        activity_id=INTEGER,
        body=STRING,
        author=STRING,
        author_id={**nullable(INTEGER), "description": "null when written by the partner"},
        side={**nullable(enum(SIDES)), "description": "On a shared note: the author's side"},
        created_at=DATE_TIME,
    ),
    "CommentList": answer(items=array(ref("Comment"))),
    "CommentRequest": body(("body",), body={**STRING, "maxLength": MAX_COMMENT_LENGTH}),
    "NoteFile": answer(
        id=INTEGER,
        activity_id=INTEGER,
        filename=STRING,
        content_type=STRING,
        size=INTEGER,
        uploaded_by=STRING,
        side={**nullable(enum(SIDES)), "description": "On a shared note: the uploader's side"},
        url=STRING,
        created_at=DATE_TIME,
    ),
    "NoteFileUpload": body(("file",), file=BINARY),
    "LineItem": answer(
        id=INTEGER,
        deal_id=INTEGER,
        name=STRING,
        quantity=NUMBER,
        unit_price=NUMBER,
        currency=STRING,
        discount_percent=NUMBER,
        total={**NUMBER, "description": "quantity × unit_price, less the discount"},
        created_at=DATE_TIME,
        updated_at=DATE_TIME,
    ),
    "LineItemList": answer(items=array(ref("LineItem"))),
    "LineItemRequest": body(
        ("name",),
        name={**STRING, "maxLength": 200},
        quantity={**NUMBER_OR_TEXT, "description": "More than 0 (default 1)"},
        unit_price={**NUMBER_OR_TEXT, "description": "0 or more"},
        discount_percent={**NUMBER_OR_TEXT, "description": "0 to 100 (default 0)"},
        currency={**STRING, "description": "ISO 4217; the account's currency by default"},
    ),
    "LineItemChange": body(
        name={**STRING, "maxLength": 200},
        quantity=NUMBER_OR_TEXT,
        unit_price=NUMBER_OR_TEXT,
        discount_percent=NUMBER_OR_TEXT,
        currency=STRING,
    ),
    "Quote": answer(
        id=INTEGER,
        deal_id=INTEGER,
        title=STRING,
        status=enum(QUOTE_STATES),
        amount={**NUMBER, "description": "The amount given, else the sum of the product lines"},
        amount_from=enum(("given", "line_items")),
        currency=STRING,
        expires_on=nullable({"type": "string", "format": "date"}),
        notes=STRING,
        created_at=DATE_TIME,
        updated_at=DATE_TIME,
    ),
    "QuoteList": answer(items=array(ref("Quote"))),
    "QuoteRequest": body(
        ("title",),
        title={**STRING, "maxLength": 200},
        status=enum(QUOTE_STATES),
        amount={**nullable(NUMBER), "description": "null: the sum of the product lines"},
        expires_on=nullable({"type": "string", "format": "date"}),
        notes={**STRING, "maxLength": MAX_QUOTE_NOTES},
        currency=STRING,
    ),
    "QuoteChange": body(
        title={**STRING, "maxLength": 200},
        status=enum(QUOTE_STATES),
        amount=nullable(NUMBER),
        expires_on=nullable({"type": "string", "format": "date"}),
        notes={**STRING, "maxLength": MAX_QUOTE_NOTES},
        currency=STRING,
    ),
    "SharedTimeline": answer(
        deal_id=INTEGER,
        shared_deal_id=INTEGER,
        syncing={**BOOLEAN, "description": "false once the partnership has ended"},
        items=array(
            answer(
                kind=enum(("note", "change")),
                at=DATE_TIME,
            )
            | {
                "description": "A shared note (in note, an Activity) or a change-log entry "
                "(in change, as in SharedDeal.changes)."
            }
        ),
    ),
}


def takes(schema: str, content_type: str = JSON) -> dict[str, Any]:
    """A required request body of one schema."""
    return {"requestBody": {"required": True, "content": {content_type: {"schema": ref(schema)}}}}


def answers(status: str, schema: str | None, description: str) -> dict[str, Any]:
    """One success answer (schema None: no body)."""
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {JSON: {"schema": ref(schema)}}
    return {status: response}


def query(**parameters: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """Query parameters: name → (schema, description)."""
    return {
        "parameters": [
            {"name": name, "in": "query", "schema": schema, "description": description}
            for name, (schema, description) in parameters.items()
        ]
    }


def operation(*inputs: dict[str, Any], **successes: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI fields of one operation: its body or parameters, and its success answers."""
    fields: dict[str, Any] = {"responses": {}}
    for given in inputs:
        fields.update(given)
    for success in successes.values():
        fields["responses"].update(success)
    return fields


PAGING = {
    "cursor": (STRING, "The next_cursor of the previous page."),
    "limit": (
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Page size.",
    ),
}


DELETED = answers("204", None, "Done; no body.")
ADMINS_ONLY = {"403": {"$ref": "#/components/responses/Forbidden"}}
UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {
            "message/rfc822": {"schema": {"type": "string", "contentMediaType": "message/rfc822"}},
            "multipart/form-data": {"schema": ref("MailUpload")},
        },
    }
}

# endpoint → what it takes and answers; build_document merges these over the generated operations.
OPERATIONS: dict[str, dict[str, Any]] = {
    "api.companies_list": operation(
        query(
            min_active_deal_registrations=(
                {**INTEGER, "minimum": 0},
                "Only companies with at least this many active deal registrations (open shared "
                "deals of this account associated with the company).",
            )
        )
    ),
    "api.compose": operation(
        takes("ComposeRequest"),
        ok=answers("200", "ComposeResponse", "What to send: HTML, BCC, per-recipient decisions."),
    ),
    "api.compose_preview": operation(
        takes("ComposeRequest"),
        ok=answers("200", "ComposePreview", "What compose would decide; nothing is stored."),
    ),
    "api.list_messages": operation(
        query(
            q=(STRING, "Text searched in the subject."),
            no_open_days=(
                {**INTEGER, "minimum": 0, "maximum": MAX_NO_OPEN_DAYS},
                "Tracked mail sent at least this many days ago that no person has opened.",
            ),
            opened_no_reply=(BOOLEAN, "Opened by a person, not answered."),
            clicked=(BOOLEAN, "A person clicked a link."),
            recipient=(STRING, "Part of a recipient's address."),
            company=({**INTEGER, "minimum": 1}, "Sent to a contact of this company."),
            deal=({**INTEGER, "minimum": 1}, "Logged on this deal or sent to one of its contacts."),
            sort=(enum(SORTS), "What the list is ordered by (default: sent)."),
            order=(enum(("asc", "desc")), "Ascending or descending (default: desc)."),
            **PAGING,
        ),
        ok=answers("200", "MessageList", "A page of messages."),
    ),
    "api.get_insights": operation(
        query(
            days=(
                {**INTEGER, "enum": list(PERIODS), "default": 30},
                "Mail sent in the last N days.",
            ),
            user=(
                {"anyOf": [{**INTEGER, "minimum": 1}, {"type": "string", "enum": ["all"]}]},
                "One user's mail (admins: anyone's; users: their own), or all (the default).",
            ),
        ),
        ok=answers("200", "Insights", "The numbers the insights page draws."),
        refused=ADMINS_ONLY,
    ),
    "api.contact_send_time": operation(
        ok=answers("200", "SendTime", "The suggested moment in UTC, the time zone and why.")
    ),
    "api.get_message": operation(
        ok=answers("200", "MessageDetail", "The message, its KPIs, its events newest first.")
    ),
    "api.message_why": operation(ok=answers("200", "MessageWhy", "Each step, in words.")),
    "api.mute_message": operation(
        takes("MuteRequest"), ok=answers("200", "Mute", "Whether it is muted now.")
    ),
    "api.list_reminders": operation(
        ok=answers("200", "ReminderList", "The message's reminders, soonest due first.")
    ),
    "api.create_reminder": operation(
        takes("ReminderRequest"),
        created=answers("201", "Reminder", "The new reminder, pending."),
    ),
    "api.delete_reminder": operation(
        ok=answers("200", "Reminder", "The reminder, cancelled (409 if it is not pending).")
    ),
    "api.create_attachment": operation(
        takes("AttachmentUpload", "multipart/form-data"),
        created=answers("201", "Attachment", "The stored file and its tracked link."),
    ),
    "api.delete_attachment": operation(ok=answers("200", "Attachment", "The revoked link.")),
    "api.me": operation(ok=answers("200", "Me", "The user and the defaults new mail starts from.")),
    "api.addin_token": operation(
        takes("AddinTokenRequest"),
        created=answers("201", "AddinToken", "A token for composing and logging only, shown once."),
    ),
    "api.log_mail": operation(
        UPLOAD,
        created=answers("201", "ReceivedMail", "Logged; its why."),
        ok=answers("200", "ReceivedMail", "Kept but not logged; its why says why not."),
    ),
    "api.search_why": operation(
        query(
            recipient=(STRING, "Part of a recipient's address."),
            date=({"type": "string", "format": "date"}, "The day received, in your time zone."),
            status=(STRING, "logged, not_logged, ..."),
            **PAGING,
        ),
        ok=answers("200", "ReceivedMailList", "A page of received mail."),
    ),
    "api.reassociate": operation(ok=answers("200", "Reassociated", "How many were re-run.")),
    "api.list_audit_log": operation(
        query(action=(enum(AUDIT_ACTIONS), "Only entries of this action."), **PAGING),
        ok=answers("200", "AuditLog", "A page of the audit log, newest first."),
        refused=ADMINS_ONLY,
    ),
    "api.get_tokens": operation(
        ok=answers("200", "ApiTokenList", "Every token of the account (admins) or your own.")
    ),
    "api.delete_token": operation(ok=answers("200", "ApiToken", "The token, now revoked.")),
    "api.get_logging_address": operation(
        ok=answers("200", "LoggingAddress", "The logging address (and the previous one).")
    ),
    "api.rotate_logging_address_now": operation(
        takes("RotateLoggingAddress"),
        ok=answers("200", "LoggingAddress", "The new address and the old one's last day."),
        refused=ADMINS_ONLY,
    ),
    "api.export_contact_data": {
        "responses": {
            "200": {
                "description": "A ZIP of JSON and CSV files (see its README.txt) and the files of "
                "the contact's logged mail, always as a download.",
                "content": {
                    "application/zip": {
                        "schema": {"type": "string", "contentMediaType": "application/zip"}
                    }
                },
            }
        }
    },
    "api.set_contacts_legal_basis": operation(
        takes("LegalBasisChange"),
        ok=answers(
            "200",
            "LegalBasisChanged",
            "How many contacts now have this basis; 404 (nothing changed) when an id is not a "
            "contact of your account.",
        ),
    ),
    "api.erase_contact_data": operation(
        ok=answers("200", "ContactErased", "Erased; a tombstone of the address is kept."),
        refused=ADMINS_ONLY,
    ),
    "api.get_account_settings": operation(
        ok=answers("200", "AccountSettings", "The account's settings."), refused=ADMINS_ONLY
    ),
    "api.patch_account_settings": operation(
        takes("AccountSettingsChange"),
        ok=answers("200", "AccountSettings", "The settings after the change."),
        refused=ADMINS_ONLY,
    ),
    "api.list_templates": operation(
        ok=answers("200", "TemplateList", "Your templates and the team's, with their results.")
    ),
    "api.post_template": operation(
        takes("NewTemplate"), created=answers("201", "Template", "The new template.")
    ),
    "api.get_template": operation(ok=answers("200", "Template", "The template and its results.")),
    "api.patch_template": operation(
        takes("TemplateRequest"), ok=answers("200", "Template", "The changed template.")
    ),
    "api.remove_template": operation(deleted=DELETED),
    "api.create_partnership": operation(
        takes("PartnershipInvite"),
        created=answers("201", "PartnershipCreated", "The invitation; the code is shown once."),
        refused=ADMINS_ONLY,
    ),
    "api.accept_partnership": operation(
        takes("PartnershipAccept"),
        ok=answers("200", "Partnership", "The partnership, as the partner side sees it."),
        refused=ADMINS_ONLY,
    ),
    "api.list_partnerships": operation(
        ok=answers("200", "PartnershipList", "The account's partnerships, on either side.")
    ),
    "api.get_partnership": operation(ok=answers("200", "Partnership", "One partnership.")),
    "api.patch_partnership": operation(
        takes("PartnershipChange"),
        ok=answers("200", "Partnership", "The changed partnership."),
        refused=ADMINS_ONLY,
    ),
    "api.end_a_partnership": operation(
        ok=answers("200", "Partnership", "The ended partnership."), refused=ADMINS_ONLY
    ),
    "api.create_shared_deal": operation(
        takes("SharedDealRegistration"),
        created=answers("201", "SharedDeal", "The registration, as your side sees it."),
    ),
    "api.list_shared_deals": operation(
        ok=answers("200", "SharedDealList", "The account's shared deals.")
    ),
    "api.get_shared_deal": operation(
        ok=answers("200", "SharedDeal", "The shared deal and its change log.")
    ),
    "api.share_deal": operation(
        takes("DealShare"), created=answers("201", "SharedDeal", "The deal, now shared.")
    ),
    "api.patch_shared_fields": operation(
        takes("SharedFieldsChange"), ok=answers("200", "SharedDeal", "The shared deal.")
    ),
    "api.get_my_mailbox": operation(
        ok=answers("200", "Mailbox", "Your mailbox: connected or not, its last sync and error.")
    ),
    "api.connect_my_imap_mailbox": operation(
        takes("ImapMailboxRequest"),
        created=answers("201", "Mailbox", "Connected: a login with these settings worked."),
    ),
    "api.disconnect_my_mailbox": operation(
        ok=answers("200", "Mailbox", "Disconnected, with how many associations its sync lost.")
    ),
    "api.connect_graph_mailbox": operation(
        ok=answers("200", "Mailbox", "Your Microsoft 365 mailbox, connected."),
        entra_failed=answers("502", "Error", "Microsoft Entra ID gave no token for you."),
        entra_missing=answers("503", "Error", "This server has no Microsoft Entra ID app."),
    ),
    "api.reply_to_activity": operation(
        takes("MailReply"),
        accepted=answers("202", "MailReplySent", "Sent from your Microsoft 365 mailbox."),
    ),
    "api.get_my_settings": operation(
        ok=answers("200", "PersonalSettings", "Your settings and the account's defaults.")
    ),
    "api.patch_my_settings": operation(
        takes("PersonalSettingsChange"),
        ok=answers("200", "PersonalSettings", "Your settings after the change."),
    ),
    "api.list_never_log": operation(
        ok=answers("200", "NeverLogList", "The account's never-log list and your own.")
    ),
    "api.create_never_log": operation(
        takes("NeverLogRequest"),
        created=answers("201", "NeverLogEntry", "The new entry."),
        refused=ADMINS_ONLY,
    ),
    "api.delete_never_log": operation(deleted=DELETED, refused=ADMINS_ONLY),
    "api.get_invitations": operation(
        ok=answers("200", "InvitationList", "The pending invitations, newest first."),
        refused=ADMINS_ONLY,
    ),
    "api.post_invitation": operation(
        takes("InvitationRequest"),
        created=answers("201", "InvitationCreated", "The invitation; its link if not mailed."),
        refused=ADMINS_ONLY,
    ),
    "api.delete_invitation": operation(deleted=DELETED, refused=ADMINS_ONLY),
    "api.get_own_addresses": operation(
        ok=answers("200", "OwnAddressList", "Your extra addresses, verified or not.")
    ),
    "api.post_own_address": operation(
        takes("OwnAddressRequest"),
        created=answers(
            "201", "OwnAddressCreated", "The address, unverified; its link if not mailed."
        ),
    ),
    "api.delete_own_address": operation(deleted=DELETED),
    "api.list_tracking_rules": operation(
        ok=answers("200", "TrackingRuleList", "The account's rules and the files' rules."),
        refused=ADMINS_ONLY,
    ),
    "api.create_tracking_rule": operation(
        takes("TrackingRuleRequest"),
        created=answers("201", "TrackingRule", "The new rule, tried before the files' rules."),
        refused=ADMINS_ONLY,
    ),
    "api.delete_tracking_rule": operation(deleted=DELETED, refused=ADMINS_ONLY),
    "api.reclassify_tracking_hits": operation(
        ok=answers("200", "Reclassified", "How many hits were examined and changed, and how."),
        refused=ADMINS_ONLY,
    ),
    "api.list_notifications": operation(
        query(**PAGING),
        ok=answers("200", "NotificationPage", "A page of notifications and the unread count."),
    ),
    "api.read_notifications": operation(
        takes("ReadNotifications"), ok=answers("200", "Marked", "How many became read.")
    ),
    "api.get_preferences": operation(
        ok=answers("200", "NotificationPreferences", "Your preferences, defaults filled in.")
    ),
    "api.put_preferences": operation(
        takes("NotificationPreferencesChange"),
        ok=answers("200", "NotificationPreferences", "Your preferences after the change."),
    ),
    "api.record_timeline": operation(
        query(
            types=(STRING, f"Comma-separated, of: {', '.join(ACTIVITY_TYPES)}; default yours."),
            **PAGING,
        ),
        ok=answers("200", "Timeline", "A page of activities and the types shown."),
    ),
    "api.add_note": operation(
        takes("NoteRequest"), created=answers("201", "Activity", "The new note.")
    ),
    "api.add_task": operation(
        takes("TaskRequest"),
        created=answers("201", "Activity", "The new task, also in its owner's task list."),
    ),
    "api.log_call": operation(
        takes("CallRequest"), created=answers("201", "Activity", "The logged call.")
    ),
    "api.log_meeting": operation(
        takes("MeetingRequest"), created=answers("201", "Activity", "The logged meeting.")
    ),
    "api.logged_attachment": {
        "responses": {
            "200": {
                "description": "The file, always as a download, of the type it was sent as.",
                "content": {"*/*": {"schema": BINARY}},
            }
        }
    },
    "api.pin": operation(takes("PinRequest"), ok=answers("200", "Pin", "What is pinned now.")),
    "api.unpin": operation(gone=DELETED),
    "api.set_activity_associations": operation(
        takes("ActivityAssociationsRequest"),
        ok=answers("200", "Activity", "The activity with its associations."),
    ),
    "api.delete_activity": operation(gone=DELETED),
    "api.move_activity": operation(
        takes("MoveRequest"),
        ok=answers("200", "Activity", "The mail with its associations, on the other deal now."),
    ),
    "api.deal_contact_mail": operation(
        query(**PAGING),
        ok=answers("200", "ContactMail", "A page of the mail of the deal's contacts."),
    ),
    "api.get_timeline_filter": operation(
        ok=answers("200", "TimelineFilter", "The types shown for this record type.")
    ),
    "api.put_timeline_filter": operation(
        takes("TimelineFilterRequest"), ok=answers("200", "TimelineFilter", "The saved types.")
    ),
    "api.get_related": operation(ok=answers("200", "RelatedRecords", "Associated records.")),
    "api.add_related": operation(
        takes("RecordRef"),
        created=answers("201", "RelatedRecords", "Associated records, the new one among them."),
    ),
    "api.remove_related": operation(gone=DELETED),
    "api.list_tasks": operation(
        query(all=(enum(("1",)), "1: everyone's open tasks in the account, not only yours.")),
        ok=answers("200", "TaskList", "Open tasks."),
    ),
    "api.update_task": operation(
        takes("TaskChange"), ok=answers("200", "Task", "The task after the change.")
    ),
    "api.patch_note": operation(
        takes("NoteEdit"),
        ok=answers("200", "Activity", "The note; a shared note changed on both sides."),
    ),
    "api.list_comments": operation(
        ok=answers("200", "CommentList", "The note's comments, oldest first.")
    ),
    "api.add_comment": operation(
        takes("CommentRequest"), created=answers("201", "Comment", "The new comment.")
    ),
    "api.delete_comment": operation(gone=DELETED),
    "api.attach_note_file": operation(
        takes("NoteFileUpload", "multipart/form-data"),
        created=answers("201", "NoteFile", "The stored file (413 over the size limit)."),
    ),
    "api.download_note_file": {
        "responses": {
            "200": {
                "description": "The file, always as a download, of the type it was sent as.",
                "content": {"*/*": {"schema": BINARY}},
            }
        }
    },
    "api.delete_note_file": operation(gone=DELETED),
    "api.list_line_items": operation(
        ok=answers("200", "LineItemList", "The deal's product lines.")
    ),
    "api.create_line_item": operation(
        takes("LineItemRequest"), created=answers("201", "LineItem", "The new product line.")
    ),
    "api.update_line_item": operation(
        takes("LineItemChange"), ok=answers("200", "LineItem", "The changed product line.")
    ),
    "api.delete_line_item": operation(gone=DELETED),
    "api.list_quotes": operation(ok=answers("200", "QuoteList", "The deal's quotes.")),
    "api.create_quote": operation(
        takes("QuoteRequest"), created=answers("201", "Quote", "The new quote.")
    ),
    "api.update_quote": operation(
        takes("QuoteChange"), ok=answers("200", "Quote", "The changed quote.")
    ),
    "api.delete_quote": operation(gone=DELETED),
    "api.deal_shared_timeline": operation(
        ok=answers("200", "SharedTimeline", "What the deal shares, newest first.")
    ),
    "api.list_webhooks": operation(
        ok=answers("200", "WebhookList", "The account's webhooks (no secrets)."),
        refused=ADMINS_ONLY,
    ),
    "api.create_webhook_now": operation(
        takes("WebhookRequest"),
        created=answers("201", "WebhookCreated", "The webhook and its secret, shown this once."),
        refused=ADMINS_ONLY,
    ),
    "api.delete_webhook_now": operation(deleted=DELETED, refused=ADMINS_ONLY),
    "api.list_webhook_deliveries": operation(
        query(**PAGING),
        ok=answers("200", "WebhookDeliveries", "A page of deliveries, newest first."),
        refused=ADMINS_ONLY,
    ),
}

WEBHOOK_HEADERS = {
    "X-Tracklog-Event": "The event (open, click, attachment, reply, logged, not_logged).",
    "X-Tracklog-Delivery": "The delivery's unique id (the payload's id); drop repeats by it.",
    "X-Tracklog-Signature": "sha256=<hex>: the HMAC-SHA256 of the raw body with the secret.",
}
# What tracklog POSTs to a webhook's URL (OpenAPI 3.1's top-level webhooks).
WEBHOOKS: dict[str, dict[str, Any]] = {
    "event": {
        "post": {
            "summary": "An engagement or logging event, sent to each webhook that wants it",
            "description": "Sent as JSON; failures (no answer, or any status but 2xx) are "
            "retried with backoff (1, 5, 15, 60, 180, then every 360 minutes) until a day has "
            "passed. Redirects are not followed.",
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": True,
                    "schema": STRING,
                    "description": description,
                }
                for name, description in WEBHOOK_HEADERS.items()
            ],
            "requestBody": {"required": True, "content": {JSON: {"schema": ref("WebhookPayload")}}},
            "responses": {"2XX": {"description": "Delivered; anything else is retried."}},
        }
    }
}
