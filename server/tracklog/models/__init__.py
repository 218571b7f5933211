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
from tracklog.models.maillog import InboundMessage, InboundRecipient, MailAttachment
from tracklog.models.notification import Notification
from tracklog.models.pipeline import Pipeline, Stage
from tracklog.models.privacy import ErasedAddress
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
from tracklog.models.user import ROLES, ApiToken, User, UserAddress

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
    "InboundMessage",
    "Installation",
    "InboundRecipient",
    "MailAttachment",
    "Message",
    "MessageRecipient",
    "NeverLogEntry",
    "RetentionRun",
    "Notification",
    "Pin",
    "Pipeline",
    "RecordAssociation",
    "SenderSighting",
    "SignInThrottle",
    "Stage",
    "Task",
    "Ticket",
    "TimelineFilter",
    "TrackedAttachment",
    "TrackedLink",
    "TrackingRule",
    "User",
    "UserAddress",
    "WebSession",
    "utcnow",
]
