"""A deal's mail two ways (the mail on its timeline, and all the mail of its contacts), and
moving a mail between deals by hand."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.crm.associations import add_record_link, contact_deals, linked_ids
from tracklog.crm.resources import RESOURCE_BY_NAME
from tracklog.crm.timeline import (
    activities_json,
    associate,
    dissociate,
    page_of_links,
    require_activity,
    require_record,
)
from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import Activity, ActivityAssociation, Deal, User

DEAL_NAME_LENGTH = 200
# The two views of a deal's mail on its page (?mail=): on its timeline, or of its contacts.
MAIL_VIEWS = ("deal", "contacts")


def contact_mail_page(user: User, deal_id: int, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the mail on the timelines of the deal's contacts, newest first."""
    require_record(user, "deal", deal_id)
    contact_ids = linked_ids(user.account_id, "deal", deal_id, "contact")
    link = ActivityAssociation
    # One row per mail: a mail on two of the deal's contacts is listed once.
    query = (
        select(link.activity_id, link.occurred_at.label("position_at"))
        .where(
            link.account_id == user.account_id,
            link.record_type == "contact",
            link.record_id.in_(contact_ids),
            link.activity_type == "email",
        )
        .distinct()
    )
    rows, next_cursor = page_of_links(query, cursor, limit)
    ids = [row.activity_id for row in rows]
    items = with_deal_facts(user.account_id, deal_id, activities_json(ids, None))
    return {"items": items, "next_cursor": next_cursor}


def with_deal_facts(account_id: int, deal_id: int, items: list[dict[str, Any]]) -> list[dict]:
    """Timeline items with whether each is on this deal, and the deals of the contacts it is on."""
    deals_of: dict[int, list[Deal]] = {}
    for item in items:
        contacts = [link["id"] for link in item["associations"] if link["type"] == "contact"]
        deals: dict[int, str] = {}
        for contact_id in contacts:
            if contact_id not in deals_of:
                deals_of[contact_id] = contact_deals(account_id, contact_id)
            deals.update((deal.id, deal.name) for deal in deals_of[contact_id])
        item["on_this_deal"] = any(
            link["type"] == "deal" and link["id"] == deal_id for link in item["associations"]
        )
        item["deals"] = [{"id": key, "name": name} for key, name in deals.items()]
    return items


def deal_id_of(value: Any, field: str) -> int:
    """A deal id sent by a client (JSON or a form), or ValidationFailed naming the field."""
    deal_id = stored_integer(value, from_text=True)
    if deal_id is None:
        raise ValidationFailed(
            _("%(field)s must be a deal's id.", field=field), details={"fields": {field: "integer"}}
        )
    return deal_id


def is_on_deal(activity: Activity, deal_id: int) -> bool:
    """Whether the activity is on the deal's timeline."""
    link = ActivityAssociation
    query = select(link.id).where(
        link.activity_id == activity.id, link.record_type == "deal", link.record_id == deal_id
    )
    return db.session.scalar(query) is not None


def associate_with_deal(user: User, activity_id: int, deal_id: Any) -> Activity:
    """Put a mail on a deal's timeline by hand (a later automatic run keeps it there)."""
    activity = require_activity(user, activity_id)
    deal = require_record(user, "deal", deal_id_of(deal_id, "deal_id"))
    associate(user, activity, [("deal", deal.id)])
    db.session.commit()
    return activity


def remove_from_deal(user: User, activity_id: int, deal_id: Any) -> Activity:
    """Take a mail off a deal's timeline by hand (a later automatic run leaves it off)."""
    activity = require_activity(user, activity_id)
    deal = require_record(user, "deal", deal_id_of(deal_id, "deal_id"))
    if not is_on_deal(activity, deal.id):
        raise NotFound(_("That mail is not on this deal."))
    dissociate(user, activity, "deal", deal.id)
    db.session.commit()
    return activity


def move_to_deal(
    user: User, activity_id: int, from_deal: Any, to_deal: Any, new_deal_name: Any = None
) -> Deal:
    """Move a mail from one deal to another, or (to_deal None) to a new deal named after it;
    the deal it is on now."""
    activity = require_activity(user, activity_id)
    source = require_record(user, "deal", deal_id_of(from_deal, "from_deal"))
    if not is_on_deal(activity, source.id):
        raise NotFound(_("That mail is not on this deal."))
    if to_deal is None:
        target = new_deal_for(user, activity, new_deal_name)
    else:
        target = require_record(user, "deal", deal_id_of(to_deal, "to_deal"))
    if target.id == source.id:
        raise ValidationFailed(
            _("Choose another deal than the one the mail is on."),
            details={"fields": {"to_deal": "same_deal"}},
        )
    dissociate(user, activity, "deal", source.id)
    associate(user, activity, [("deal", target.id)])
    db.session.commit()
    return target


def new_deal_for(user: User, activity: Activity, name: Any) -> Deal:
    """A deal named after the mail (or as asked), in the first stage of the account's default
    pipeline, linked to the contacts the mail is on."""
    if name is not None and not isinstance(name, str):
        raise ValidationFailed(
            _("new_deal_name must be text."), details={"fields": {"new_deal_name": "string"}}
        )
    subject = (activity.subject or "").strip()[:DEAL_NAME_LENGTH]
    named = (name or "").strip() or subject or _("Deal from a mail")
    deal = RESOURCE_BY_NAME["deals"].create(user, {"name": named})
    contact_ids = db.session.scalars(
        select(ActivityAssociation.record_id).where(
            ActivityAssociation.activity_id == activity.id,
            ActivityAssociation.record_type == "contact",
        )
    ).all()
    for contact_id in contact_ids:
        add_record_link(user, "contact", contact_id, "deal", deal.id)
    return deal
