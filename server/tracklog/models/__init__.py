"""The data model: every table of tracklog, imported here so metadata is complete."""

from tracklog.models.account import Account, NeverLogEntry, RetentionRun
from tracklog.models.activity import (
    ACTIVITY_TYPES,
    RECORD_TYPES,
    Activity,
    ActivityAssociation,
    AssociationExclusion,
    Pin,
    RecordAssociation,
    Task,
    TimelineFilter,
)
from tracklog.models.audit import AuditEntry
from tracklog.models.base import Base, utcnow
from tracklog.models.contact import Company, Contact
from tracklog.models.deal import Deal, Ticket
from tracklog.models.installation import Installation
from tracklog.models.mailbox import MailboxConnection
from tracklog.models.maillog import InboundMessage, InboundRecipient, MailAttachment
from tracklog.models.mailtemplate import MailTemplate, TemplateUse
from tracklog.models.note_thread import NoteComment, NoteFile, SharedNote
from tracklog.models.notification import Notification
from tracklog.models.partner import Partnership, SharedDeal, SharedDealChange
from tracklog.models.pipeline import Pipeline, Stage
from tracklog.models.privacy import ErasedAddress, TrackingOptOut
from tracklog.models.quote import LineItem, Quote
from tracklog.models.reminder import FollowUpReminder
from tracklog.models.signin import SignInThrottle, WebSession
from tracklog.models.tracking import (
    EngagementEvent,
    Message,
    MessageRecipient,
    SenderSighting,
    TrackedAttachment,
    TrackedLink,
    TrackingRule,
)
from tracklog.models.user import ROLES, ApiToken, Invitation, User, UserAddress
from tracklog.models.webhook import WEBHOOK_EVENTS, Webhook, WebhookDelivery

__all__ = [
    "ACTIVITY_TYPES",
    "RECORD_TYPES",
    "ROLES",
    "Account",
    "Activity",
    "ActivityAssociation",
    "AssociationExclusion",
    "AuditEntry",
    "ApiToken",
    "Base",
    "Company",
    "Contact",
    "Deal",
    "EngagementEvent",
    "ErasedAddress",
    "FollowUpReminder",
    "InboundMessage",
    "MailTemplate",
    "Installation",
    "InboundRecipient",
    "Invitation",
    "MailAttachment",
    "MailboxConnection",
    "Message",
    "MessageRecipient",
    "NeverLogEntry",
    "RetentionRun",
    "LineItem",
    "NoteComment",
    "NoteFile",
    "Notification",
    "Quote",
    "SharedNote",
    "Partnership",
    "Pin",
    "Pipeline",
    "RecordAssociation",
    "SenderSighting",
    "SharedDeal",
    "SharedDealChange",
    "SignInThrottle",
    "Stage",
    "Task",
    "Ticket",
    "TemplateUse",
    "TimelineFilter",
    "TrackedAttachment",
    "TrackedLink",
    "TrackingOptOut",
    "TrackingRule",
    "User",
    "UserAddress",
    "WEBHOOK_EVENTS",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
