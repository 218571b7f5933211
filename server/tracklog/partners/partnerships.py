"""Partnerships: invited by the selling account's admin, accepted by the partner's, ended by either.

A partnership belongs to two accounts. Every read goes through `partnership_of`, which only finds
one the caller's account is a side of; the other account is only ever named, never read.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import account_users, require_admin
from tracklog.auth.tokens import hash_token
from tracklog.crm.fields import to_json
from tracklog.errors import Conflict, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import Account, Partnership, User, utcnow
from tracklog.models.partner import ASSIGNMENT_MODES

INVITE_PREFIX = "tlp_"


def side_of(partnership: Partnership, account_id: int) -> str:
    """Which side an account is on: "selling" or "partner"."""
    return "selling" if partnership.selling_account_id == account_id else "partner"


def other_account(partnership: Partnership, account_id: int) -> Account | None:
    """The account on the other side (None while the invitation is pending)."""
    other = (
        partnership.partner_account_id
        if side_of(partnership, account_id) == "selling"
        else partnership.selling_account_id
    )
    return db.session.get(Account, other) if other else None


def partnerships_of(account_id: int) -> list[Partnership]:
    """Every partnership the account is a side of, newest first."""
    query = select(Partnership).where(
        or_(
            Partnership.selling_account_id == account_id,
            Partnership.partner_account_id == account_id,
        )
    )
    return list(db.session.scalars(query.order_by(Partnership.id.desc())))


def partnership_of(user: User, partnership_id: Any) -> Partnership:
    """A partnership the user's account is a side of, or NotFound."""
    number = stored_integer(partnership_id)
    found = next((p for p in partnerships_of(user.account_id) if p.id == number), None)
    if found is None:
        raise NotFound(_("There is no partnership %(id)s.", id=partnership_id))
    return found


def partnership_json(partnership: Partnership, account_id: int) -> dict[str, Any]:
    """A partnership as one side sees it."""
    side = side_of(partnership, account_id)
    other = other_account(partnership, account_id)
    return {
        "id": partnership.id,
        "side": side,
        "status": partnership.status,
        "other_account": other.name if other else None,
        "note": partnership.note,
        "notify_user_ids": (
            partnership.selling_notify_ids if side == "selling" else partnership.partner_notify_ids
        ),
        "assignment": (
            {"mode": partnership.assignment_mode, "user_ids": partnership.assignee_ids}
            if side == "selling"
            else None
        ),
        "created_at": to_json(partnership.created_at),
        "accepted_at": to_json(partnership.accepted_at),
        "ended_at": to_json(partnership.ended_at),
    }


def invite_partner(admin: User, note: Any = "") -> tuple[Partnership, str]:
    """A pending partnership and its one-time invite code (only its hash is kept)."""
    require_admin(admin, _("Only an admin can invite a partner."))
    if not isinstance(note, str) or len(note) > 200:
        raise ValidationFailed(
            _("Some fields are not valid."),
            details={"fields": {"note": _("at most %(count)d characters", count=200)}},
        )
    code = INVITE_PREFIX + secrets.token_urlsafe(24)
    partnership = Partnership(
        selling_account_id=admin.account_id,
        invite_code_hash=hash_token(code),
        note=note,
        selling_notify_ids=[admin.id],
        assignee_ids=[admin.id],
    )
    db.session.add(partnership)
    db.session.flush()
    record_audit(admin, admin.account_id, "partner_invited", ("partnership", partnership.id))
    db.session.commit()
    return partnership, code


def accept_invitation(admin: User, code: Any) -> Partnership:
    """Join a partnership as the partner account, with the code the selling account sent."""
    require_admin(admin, _("Only an admin can accept a partnership."))
    if not isinstance(code, str) or not code.startswith(INVITE_PREFIX):
        raise ValidationFailed(
            _("Send the invite code you were given."),
            details={"fields": {"invite_code": _("is required")}},
        )
    partnership = db.session.scalar(
        select(Partnership).where(Partnership.invite_code_hash == hash_token(code))
    )
    if partnership is None or partnership.status != "pending":
        raise NotFound(_("This invite code is unknown or was already used."))
    if partnership.selling_account_id == admin.account_id:
        raise Conflict(_("An account cannot be its own partner."), code="own_partnership")
    partnership.partner_account_id = admin.account_id
    partnership.status = "active"
    partnership.accepted_at = utcnow()
    partnership.partner_notify_ids = [admin.id]
    record_audit(admin, admin.account_id, "partner_accepted", ("partnership", partnership.id))
    db.session.commit()
    return partnership


def end_partnership(admin: User, partnership_id: Any) -> Partnership:
    """End a partnership from either side: shared deals stop syncing and stay as they are."""
    require_admin(admin, _("Only an admin can end a partnership."))
    partnership = partnership_of(admin, partnership_id)
    if partnership.status != "ended":
        partnership.status = "ended"
        partnership.ended_at = utcnow()
        record_audit(admin, admin.account_id, "partner_ended", ("partnership", partnership.id))
        db.session.commit()
    return partnership


def _user_ids(admin: User, raw: Any, field: str, errors: dict[str, str]) -> list[int]:
    """A list of ids of active users of the admin's account."""
    mine = {user.id for user in account_users(admin.account_id) if user.active}
    if not isinstance(raw, list) or any(stored_integer(item) not in mine for item in raw):
        errors[field] = _("must be a list of ids of active users of your account")
        return []
    return list(dict.fromkeys(int(item) for item in raw))


def change_partnership(admin: User, partnership_id: Any, payload: Any) -> Partnership:
    """Set who is notified on the admin's side and, on the selling side, who gets registrations:
    `{"notify_user_ids": [...], "assignment": {"mode": "rep"|"round_robin", "user_ids": [...]}}`."""
    require_admin(admin, _("Only an admin can change a partnership."))
    partnership = partnership_of(admin, partnership_id)
    side = side_of(partnership, admin.account_id)
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    errors: dict[str, str] = {}
    if "notify_user_ids" in payload:
        ids = _user_ids(admin, payload["notify_user_ids"], "notify_user_ids", errors)
        setattr(partnership, f"{side}_notify_ids", ids)
    if "assignment" in payload:
        assignment = payload["assignment"]
        if side != "selling":
            errors["assignment"] = _("only the selling side assigns registrations")
        elif not isinstance(assignment, dict) or assignment.get("mode") not in ASSIGNMENT_MODES:
            errors["assignment"] = _("must be {mode: rep or round_robin, user_ids: [...]}")
        else:
            ids = _user_ids(admin, assignment.get("user_ids"), "assignment.user_ids", errors)
            if not ids or (assignment["mode"] == "rep" and len(ids) != 1):
                errors.setdefault("assignment.user_ids", _("name one rep, or users to rotate"))
            partnership.assignment_mode, partnership.assignee_ids = assignment["mode"], ids
    if errors:
        db.session.rollback()
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    record_audit(admin, admin.account_id, "partner_changed", ("partnership", partnership.id))
    db.session.commit()
    return partnership


def next_assignee(partnership: Partnership) -> int | None:
    """The selling-side user the next registration goes to (round robin advances)."""
    active = {user.id for user in account_users(partnership.selling_account_id) if user.active}
    candidates = [user_id for user_id in partnership.assignee_ids if user_id in active]
    if not candidates:
        return None
    if partnership.assignment_mode == "rep":
        return candidates[0]
    chosen = candidates[partnership.next_assignee % len(candidates)]
    partnership.next_assignee = (partnership.next_assignee + 1) % len(candidates)
    return chosen
