"""Never-log lists: the account's (kept by admins) and each user's own, with who added what."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import require_admin
from tracklog.errors import Conflict, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.mailaddress import is_mail_domain, normalise_email
from tracklog.models import NeverLogEntry, User

SCOPES = ("account", "user")


def read_pattern(value: Any) -> tuple[str, str]:
    """An address or a domain (written `example.com` or `@example.com`), with its kind."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if "@" in text.lstrip("@"):
        return normalise_email(text, "pattern"), "address"
    domain = text.lstrip("@")
    if not is_mail_domain(domain):
        raise ValidationFailed(
            _("The pattern must be a mail address or a domain such as example.com."),
            details={"fields": {"pattern": _("not a mail address or domain")}},
        )
    return domain, "domain"


def visible_entries(actor: User) -> list[NeverLogEntry]:
    """The account's list and the actor's own, oldest first."""
    query = select(NeverLogEntry).where(
        NeverLogEntry.account_id == actor.account_id,
        or_(NeverLogEntry.user_id.is_(None), NeverLogEntry.user_id == actor.id),
    )
    return list(db.session.scalars(query.order_by(NeverLogEntry.id)))


def add_entry(actor: User, pattern: Any, scope: Any) -> NeverLogEntry:
    """Add a pattern to the account's list (admins) or to the actor's own."""
    if scope not in SCOPES:
        raise ValidationFailed(
            _("scope must be account or user."), details={"fields": {"scope": "account, user"}}
        )
    if scope == "account":
        require_admin(actor, _("Only an admin can change the account's never-log list."))
    text, kind = read_pattern(pattern)
    owner_id = actor.id if scope == "user" else None
    duplicate = db.session.scalar(
        select(NeverLogEntry.id).where(
            NeverLogEntry.account_id == actor.account_id,
            NeverLogEntry.pattern == text,
            NeverLogEntry.user_id.is_(None)
            if owner_id is None
            else NeverLogEntry.user_id == owner_id,
        )
    )
    if duplicate is not None:
        raise Conflict(_("%(pattern)s is already on this never-log list.", pattern=text))
    entry = NeverLogEntry(
        account_id=actor.account_id, user_id=owner_id, pattern=text, kind=kind, added_by_id=actor.id
    )
    db.session.add(entry)
    db.session.flush()
    record_audit(
        actor,
        actor.account_id,
        "never_log_added",
        ("never_log_entry", entry.id),
        {"pattern": [None, text], "scope": [None, scope]},
    )
    db.session.commit()
    return entry


def remove_entry(actor: User, entry_id: int) -> None:
    """Remove an entry of the account's list (admins) or of the actor's own."""
    entry = db.session.get(NeverLogEntry, entry_id)
    if (
        entry is None
        or entry.account_id != actor.account_id
        or entry.user_id not in (None, actor.id)
    ):
        raise NotFound(_("No such never-log entry."))
    if entry.user_id is None:
        require_admin(actor, _("Only an admin can change the account's never-log list."))
    record_audit(
        actor,
        actor.account_id,
        "never_log_removed",
        ("never_log_entry", entry.id),
        {"pattern": [entry.pattern, None]},
    )
    db.session.delete(entry)
    db.session.commit()


def entry_json(entry: NeverLogEntry) -> dict[str, Any]:
    """An entry as the API shows it: what, whose list, who added it and when."""
    added_by = entry.added_by
    return {
        "id": entry.id,
        "pattern": entry.pattern,
        "kind": entry.kind,
        "scope": "account" if entry.user_id is None else "user",
        "added_by": {"id": added_by.id, "email": added_by.email} if added_by else None,
        "created_at": entry.created_at.isoformat(),
    }
