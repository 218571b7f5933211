"""Request and response schemas of the /api/v1 operations that are not record resources.

The record resources (contacts, deals...) are described from their declarations in resources.py;
everything else is described here, in one table keyed by endpoint, so that the document says what
every operation takes and answers. A test checks real answers of every operation against it.
Answers are open objects: more fields may be added (the contract's rule), none may go missing.
"""

from __future__ import annotations

from typing import Any

from tracklog.audit.log import AUDIT_ACTIONS
from tracklog.crm.activities import (
    CALL_OUTCOMES,
    MAX_CALL_MINUTES,
    MAX_NOTES_LENGTH,
    MAX_TITLE_LENGTH,
)
from tracklog.models.account import DEFAULT_ASSOCIATION_TYPES, LEGAL_BASES
from tracklog.models.activity import ACTIVITY_TYPES, RECORD_TYPES
from tracklog.models.notification import NOTIFICATION_KINDS
from tracklog.models.tracking import CLASSIFICATIONS, TRACKING_MODES
from tracklog.notify.api import OPEN_CHOICES
from tracklog.paging import DEFAULT_LIMIT, MAX_LIMIT
from tracklog.settings.account import MAX_ASSOCIATED
from tracklog.settings.loggingkey import MAX_GRACE_DAYS
from tracklog.settings.neverlog import SCOPES as NEVER_LOG_SCOPES
from tracklog.tracking.classify import RULE_CLASSIFICATIONS
from tracklog.tracking.compose import CLIENT_HOSTS
from tracklog.tracking.rulesfile import MATCHERS

JSON = "application/json"
STRING = {"type": "string"}
INTEGER = {"type": "integer", "format": "int32"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
EMAIL_LIST = {"type": "array", "items": STRING, "description": "Mail addresses"}
EVENT_KINDS = ("open", "click", "attachment", "reply")
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
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
    "event_retention_days": {**WHOLE_OR_DEFAULT, "description": "null: kept"},
    "mail_retention_days": {**WHOLE_OR_DEFAULT, "description": "null: kept"},
    "recipient_opt_out_link": BOOLEAN,
}
HH_MM = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
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
    ),
    "ComposeRecipient": answer(**RECIPIENT_DECISION, contact_id=nullable(INTEGER)),
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
    "MessageRecipient": answer(**RECIPIENT_DECISION),
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
        last_activity_at=nullable(DATE_TIME),
    ),
    "Message": answer(**MESSAGE_FIELDS),
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
    "Activity": answer(
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
    ),
    "LoggedAttachment": answer(
        id=INTEGER, filename=STRING, content_type=STRING, size=INTEGER, url=STRING
    ),
    "Timeline": page("Activity", types=array(enum(ACTIVITY_TYPES))),
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
    "NoteRequest": body(("body",), body={"type": "string", "description": "HTML or text"}),
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
    "api.compose": operation(
        takes("ComposeRequest"),
        ok=answers("200", "ComposeResponse", "What to send: HTML, BCC, per-recipient decisions."),
    ),
    "api.compose_preview": operation(
        takes("ComposeRequest"),
        ok=answers("200", "ComposePreview", "What compose would decide; nothing is stored."),
    ),
    "api.list_messages": operation(
        query(q=(STRING, "Text searched in the subject."), **PAGING),
        ok=answers("200", "MessageList", "A page of messages."),
    ),
    "api.get_message": operation(
        ok=answers("200", "MessageDetail", "The message, its KPIs, its events newest first.")
    ),
    "api.message_why": operation(ok=answers("200", "MessageWhy", "Each step, in words.")),
    "api.mute_message": operation(
        takes("MuteRequest"), ok=answers("200", "Mute", "Whether it is muted now.")
    ),
    "api.create_attachment": operation(
        takes("AttachmentUpload", "multipart/form-data"),
        created=answers("201", "Attachment", "The stored file and its tracked link."),
    ),
    "api.delete_attachment": operation(ok=answers("200", "Attachment", "The revoked link.")),
    "api.me": operation(ok=answers("200", "Me", "The user and the account's defaults.")),
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
    "api.list_never_log": operation(
        ok=answers("200", "NeverLogList", "The account's never-log list and your own.")
    ),
    "api.create_never_log": operation(
        takes("NeverLogRequest"),
        created=answers("201", "NeverLogEntry", "The new entry."),
        refused=ADMINS_ONLY,
    ),
    "api.delete_never_log": operation(deleted=DELETED, refused=ADMINS_ONLY),
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
}
