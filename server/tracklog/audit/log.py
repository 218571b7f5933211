"""Writing and reading the audit log; callers commit with the change they record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from tracklog.extensions import db
from tracklog.models import AuditEntry, User

AUDIT_ACTIONS = (
    "settings_changed",
    "never_log_added",
    "never_log_removed",
    "user_invited",
    "invitation_revoked",
    "role_changed",
    "user_deactivated",
    "user_reactivated",
    "token_created",
    "token_revoked",
    "bcc_address_rotated",
    "tracking_rule_added",
    "tracking_rule_removed",
    "hits_reclassified",
    "contact_exported",
    "contact_erased",
    "retention_run",
    "recipient_opted_out",
    "partner_invited",
    "partner_accepted",
    "partner_changed",
    "partner_ended",
    "deal_shared",
    "webhook_created",
    "webhook_deleted",
    "mailbox_connected",
    "mailbox_disconnected",
)


def record_audit(
    actor: User | None,
    account_id: int,
    action: str,
    target: tuple[str, int | None] = ("", None),
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the account's audit log (actor None: tracklog itself, e.g. retention)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        account_id=account_id,
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "",
        action=action,
        target_type=target[0],
        target_id=target[1],
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Each field whose value differs, as [old, new]."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def audit_query(account_id: int, action: str | None = None) -> Select:
    """The account's entries, optionally of one action, for paging newest first."""
    query = select(AuditEntry).where(AuditEntry.account_id == account_id)
    return query.where(AuditEntry.action == action) if action else query


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API shows it."""
    return {
        "id": entry.id,
        "at": entry.created_at.isoformat(),
        "action": entry.action,
        "actor": {"id": entry.actor_id, "email": entry.actor_email} if entry.actor_email else None,
        "target": {"type": entry.target_type, "id": entry.target_id} if entry.target_type else None,
        "changes": entry.changes,
    }
