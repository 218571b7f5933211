"""What the record pages' partner cards show: a contact's or company's shared deals, and a deal's
shared side. Only the reader's own account is read; the other side is only ever named."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from tracklog.crm.associations import linked_ids
from tracklog.extensions import db
from tracklog.models import Deal, Partnership, SharedDeal, User
from tracklog.partners.partnerships import other_account, partnerships_of, side_of
from tracklog.partners.shared import shared_deal_json, shared_deal_of


def partner_name(partnership: Partnership, account_id: int) -> str:
    """The other account's name, or "" while the invitation is pending."""
    other = other_account(partnership, account_id)
    return other.name if other else ""


def active_partnerships(user: User, side: str) -> list[dict[str, Any]]:
    """The user's account's active partnerships on one side, with the other account's name."""
    return [
        {"id": partnership.id, "name": partner_name(partnership, user.account_id)}
        for partnership in partnerships_of(user.account_id)
        if partnership.status == "active" and side_of(partnership, user.account_id) == side
    ]


def record_shared_deals(user: User, record_type: str, record_id: int) -> list[dict[str, Any]]:
    """The account's own shared deals associated with a contact or company, newest first."""
    ids = linked_ids(user.account_id, record_type, record_id, "deal")
    if not ids:
        return []
    query = (
        select(Deal, SharedDeal)
        .join(
            SharedDeal,
            or_(SharedDeal.selling_deal_id == Deal.id, SharedDeal.partner_deal_id == Deal.id),
        )
        .where(Deal.account_id == user.account_id, Deal.id.in_(ids))
        .order_by(SharedDeal.id.desc())
    )
    return [
        {"deal": deal, "partner": partner_name(shared.partnership, user.account_id)}
        for deal, shared in db.session.execute(query)
    ]


def shared_deals_card(user: User, record_type: str, record_id: int) -> dict[str, Any] | None:
    """A contact's or company's "Shared deal" card, or None when the account has no partners."""
    deals = record_shared_deals(user, record_type, record_id)
    if not deals and not partnerships_of(user.account_id):
        return None
    return {"deals": deals, "partnerships": active_partnerships(user, "partner")}


def deal_sharing_card(user: User, deal: Deal) -> dict[str, Any] | None:
    """A deal's partner card: its shared side, else the partnerships it can be shared with (None
    when there are none)."""
    shared = shared_deal_of(deal)
    if shared is not None:
        return {
            "shared": shared_deal_json(shared, user.account_id),
            "partner": partner_name(shared.partnership, user.account_id),
        }
    partnerships = active_partnerships(user, "selling")
    return {"shared": None, "partnerships": partnerships} if partnerships else None
