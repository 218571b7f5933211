"""Shared deals: registered by a partner or converted by a rep; a deal in each account, in step.

The shared fields (name, stage by its kind, amount, close date, product interest and whether the
deal is eligible for compensation) are copied to the twin whenever one side changes them, with who
changed what; nothing else of either account is ever read by the other side.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect, or_, select

from tracklog.audit.log import record_audit
from tracklog.crm.fields import to_json
from tracklog.crm.records import bring_in_from, place_in_pipeline
from tracklog.crm.resources import RESOURCES
from tracklog.errors import DomainError, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.models import Deal, Partnership, SharedDeal, SharedDealChange, Stage, User
from tracklog.notify.feed import add_partner_notification, publish
from tracklog.partners.partnerships import (
    next_assignee,
    other_account,
    partnership_of,
    side_of,
)

DEALS = next(resource for resource in RESOURCES if resource.name == "deals")
NOTE_FIELDS = ("introduction", "pain_or_opportunity", "next_steps")
MAX_NOTE = 5000
SYNCED_DEAL_FIELDS = ("name", "amount", "close_date")


class PartnershipNotActive(DomainError):
    """The partnership is pending or ended: nothing new is shared."""

    status = 409
    code = "partnership_not_active"


def active_partnership(user: User, partnership_id: Any, side: str) -> Partnership:
    """An active partnership the user's account is on this side of."""
    partnership = partnership_of(user, partnership_id)
    if side_of(partnership, user.account_id) != side:
        raise NotFound(_("There is no partnership %(id)s.", id=partnership_id))
    if partnership.status != "active":
        raise PartnershipNotActive(_("This partnership is not active: nothing new is shared."))
    return partnership


def _texts(payload: dict, names: tuple[str, ...], limit: int, errors: dict) -> dict[str, str]:
    """Optional text fields, each at most limit characters."""
    texts = {}
    for name in names:
        value = payload.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            errors[name] = _("must be a text of at most %(count)d characters", count=limit)
        else:
            texts[name] = value.strip()
    return texts


def _first_stage_of_kind(account_id: int, pipeline_id: int, kind: str) -> Stage | None:
    """The first stage of this kind in a pipeline of the account."""
    query = (
        select(Stage)
        .where(Stage.account_id == account_id, Stage.pipeline_id == pipeline_id, Stage.kind == kind)
        .order_by(Stage.order, Stage.id)
    )
    return db.session.scalars(query.limit(1)).first()


def _twin_in(account_id: int, source: Deal, owner_id: int | None) -> Deal:
    """A new deal in the other account with the shared fields of the source deal."""
    twin = Deal(account_id=account_id, owner_id=owner_id, properties={})
    for name in SYNCED_DEAL_FIELDS:
        setattr(twin, name, getattr(source, name))
    place_in_pipeline(twin, "deal")
    if source.stage.kind != "open":
        stage = _first_stage_of_kind(account_id, twin.pipeline_id, source.stage.kind)
        twin.stage_id = stage.id if stage else twin.stage_id
    db.session.add(twin)
    db.session.flush()
    return twin


def register_shared_deal(user: User, payload: Any) -> SharedDeal:
    """A partner's registration: a deal in its account from one of its contacts or companies,
    and the twin in the selling account, assigned by the partnership's rule."""
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    partnership = active_partnership(user, payload.get("partnership_id"), "partner")
    errors: dict[str, str] = {}
    notes = _texts(payload, NOTE_FIELDS, MAX_NOTE, errors)
    interest = _texts(payload, ("product_interest",), 200, errors)
    fields = {name: payload[name] for name in SYNCED_DEAL_FIELDS if name in payload}
    if not isinstance(payload.get("from"), dict):
        errors["from"] = _("must be {type: contact or company, id}")
    deal = Deal(account_id=user.account_id, owner_id=user.id)
    try:
        values = DEALS.apply(user, deal, {**fields, "from": payload.get("from")}, creating=True)
    except ValidationFailed as refused:
        errors.update(refused.details.get("fields", {}))
    if errors:
        db.session.rollback()
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    db.session.add(deal)
    db.session.flush()
    bring_in_from(user, deal, "deal", values["from"], None)
    twin = _twin_in(partnership.selling_account_id, deal, next_assignee(partnership))
    shared = SharedDeal(
        partnership_id=partnership.id,
        partner_deal_id=deal.id,
        selling_deal_id=twin.id,
        registered_by="partner",
        product_interest=interest.get("product_interest", ""),
        partnership=partnership,
        **notes,
    )
    return _announced(shared, user, "partner_deal_registered")


def _announced(shared: SharedDeal, actor: User, code: str) -> SharedDeal:
    """Save a new shared deal and tell both sides' partner-lead recipients, once committed."""
    db.session.add(shared)
    db.session.flush()
    notifications = _tell_both_sides(shared.partnership, shared, actor, code)
    db.session.commit()
    publish(notifications)
    return shared


def share_existing_deal(user: User, deal_id: int, payload: Any) -> SharedDeal:
    """A rep converts a deal of the selling account into a shared one, owned on the partner's side
    by one of the partner's users, once the rep confirms having checked with the partner."""
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    deal = DEALS.get(user, deal_id)
    if payload.get("confirmed") is not True:
        raise DomainError(
            _("Confirm that you checked with the partner that they can work this deal."),
            code="confirmation_required",
            details={"fields": {"confirmed": _("must be true")}},
        )
    partnership = active_partnership(user, payload.get("partnership_id"), "selling")
    if shared_deal_of(deal) is not None:
        raise ValidationFailed(
            _("This deal is already shared."), details={"fields": {"deal": _("already shared")}}
        )
    errors: dict[str, str] = {}
    welcome = _texts(payload, ("welcome_note",), MAX_NOTE, errors)
    owner = _partner_user(partnership, payload.get("partner_contact"), errors)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    twin = _twin_in(partnership.partner_account_id, deal, owner.id)
    shared = SharedDeal(
        partnership_id=partnership.id,
        selling_deal_id=deal.id,
        partner_deal_id=twin.id,
        registered_by="selling",
        welcome_note=welcome.get("welcome_note", ""),
        partnership=partnership,
    )
    record_audit(user, user.account_id, "deal_shared", ("deal", deal.id))
    return _announced(shared, user, "deal_shared_with_partner")


def _partner_user(partnership: Partnership, address: Any, errors: dict[str, str]) -> User | None:
    """The active partner-account user with this address, noting an error otherwise."""
    user = None
    if isinstance(address, str):
        user = db.session.scalar(
            select(User).where(
                User.account_id == partnership.partner_account_id,
                User.email == address.strip().lower(),
                User.active.is_(True),
            )
        )
    if user is None:
        errors["partner_contact"] = _("must be the address of a user of the partner account")
    return user


def _tell_both_sides(
    partnership: Partnership, shared: SharedDeal, actor: User, code: str
) -> list[Any]:
    """Notify the partner-lead recipients of both accounts about a shared deal."""
    notifications = []
    for account_side in ("selling", "partner"):
        deal_id = shared.selling_deal_id if account_side == "selling" else shared.partner_deal_id
        deal = db.session.get(Deal, deal_id)
        notifications += tell_side(partnership, account_side, deal, actor, code)
    return notifications


def tell_side(
    partnership: Partnership, account_side: str, deal: Deal, actor: User, code: str
) -> list[Any]:
    """Notify one side's partner-lead recipients (never the actor) about its deal of a shared
    deal, naming the other account (not committed)."""
    user_ids = (
        partnership.selling_notify_ids
        if account_side == "selling"
        else partnership.partner_notify_ids
    )
    notifications = []
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        if user is not None and user.active and user.id != actor.id:
            other = other_account(partnership, user.account_id)
            name = other.name if other else ""
            notifications.append(add_partner_notification(user, code, deal, name))
    return notifications


def author_name(user: User | None) -> str:
    """How a person is named to the other side (and in the change log)."""
    return (user.display_name or user.email) if user else "tracklog"


def shared_deal_of(deal: Deal) -> SharedDeal | None:
    """The shared deal a deal is one side of, if any."""
    query = select(SharedDeal).where(
        or_(SharedDeal.selling_deal_id == deal.id, SharedDeal.partner_deal_id == deal.id)
    )
    return db.session.scalar(query)


def twin_of(shared: SharedDeal, deal: Deal) -> Deal | None:
    """The other side's deal."""
    other = shared.partner_deal_id if shared.selling_deal_id == deal.id else shared.selling_deal_id
    return db.session.get(Deal, other) if other else None


def _shown(value: Any) -> str:
    """A field value as the change log keeps it."""
    return "" if value is None else str(value)[:1000]


def stage_kind(stage_id: int | None) -> str | None:
    """The kind of a stage (open, won, lost)."""
    stage = db.session.get(Stage, stage_id) if stage_id else None
    return stage.kind if stage else None


def earlier_value(deal: Deal, name: str) -> Any:
    """A deal attribute's value before the changes not yet flushed."""
    history = inspect(deal).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(deal, name)


def sync_deal(deal: Deal, actor: User | None) -> None:
    """Before a change to one side of an active shared deal is written, copy the shared fields
    to the twin and log who changed what."""
    shared = shared_deal_of(deal)
    if shared is None or shared.partnership.status != "active":
        return
    twin = twin_of(shared, deal)
    if twin is None:
        return
    for name in SYNCED_DEAL_FIELDS:
        old = earlier_value(deal, name)
        if old != getattr(deal, name):
            setattr(twin, name, getattr(deal, name))
            log_change(shared, deal.account_id, actor, name, old, getattr(deal, name))
    old_kind, new_kind = stage_kind(earlier_value(deal, "stage_id")), stage_kind(deal.stage_id)
    if old_kind != new_kind:
        stage = _first_stage_of_kind(twin.account_id, twin.pipeline_id, new_kind)
        if stage is not None:
            twin.stage_id = stage.id
        log_change(shared, deal.account_id, actor, "stage", old_kind, new_kind)


def log_change(
    shared: SharedDeal, account_id: int, actor: User | None, field: str, old: Any, new: Any
) -> None:
    """One entry of the shared deal's change log."""
    db.session.add(
        SharedDealChange(
            shared_deal_id=shared.id,
            account_id=account_id,
            user_name=author_name(actor),
            field=field,
            old=_shown(old),
            new=_shown(new),
        )
    )


def change_shared_fields(user: User, deal_id: int, payload: Any) -> SharedDeal:
    """Change the product interest or the compensation flag of a shared deal, from either side."""
    deal = DEALS.get(user, deal_id)
    shared = shared_deal_of(deal)
    if shared is None:
        raise NotFound(_("The deal %(id)s is not shared.", id=deal_id))
    if shared.partnership.status != "active":
        raise PartnershipNotActive(_("This partnership is not active: nothing new is shared."))
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    errors: dict[str, str] = {}
    if "product_interest" in payload:
        interest = _texts(payload, ("product_interest",), 200, errors).get("product_interest")
        if interest is not None and interest != shared.product_interest:
            log_change(
                shared, user.account_id, user, "product_interest", shared.product_interest, interest
            )
            shared.product_interest = interest
    if "compensation_eligible" in payload:
        flag = payload["compensation_eligible"]
        if not isinstance(flag, bool):
            errors["compensation_eligible"] = _("must be true or false")
        elif flag != shared.compensation_eligible:
            old = shared.compensation_eligible
            log_change(shared, user.account_id, user, "compensation_eligible", old, flag)
            shared.compensation_eligible = flag
    if errors:
        db.session.rollback()
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    db.session.commit()
    return shared


def shared_deal_json(shared: SharedDeal, account_id: int) -> dict[str, Any]:
    """A shared deal as one side sees it: its own deal's id, never the other account's."""
    side = side_of(shared.partnership, account_id)
    changes = db.session.scalars(
        select(SharedDealChange)
        .where(SharedDealChange.shared_deal_id == shared.id)
        .order_by(SharedDealChange.id)
    )
    return {
        "id": shared.id,
        "partnership_id": shared.partnership_id,
        "side": side,
        "deal_id": shared.selling_deal_id if side == "selling" else shared.partner_deal_id,
        "registered_by": shared.registered_by,
        "syncing": shared.partnership.status == "active",
        "product_interest": shared.product_interest,
        "compensation_eligible": shared.compensation_eligible,
        **{name: getattr(shared, name) for name in (*NOTE_FIELDS, "welcome_note")},
        "changes": [
            {
                "field": change.field,
                "old": change.old,
                "new": change.new,
                "by": change.user_name,
                "side": "selling"
                if change.account_id == shared.partnership.selling_account_id
                else "partner",
                "at": to_json(change.changed_at),
            }
            for change in changes
        ],
    }


def shared_deals_of(account_id: int) -> list[SharedDeal]:
    """Every shared deal of the account's partnerships, newest first."""
    query = (
        select(SharedDeal)
        .join(Partnership, Partnership.id == SharedDeal.partnership_id)
        .where(
            or_(
                Partnership.selling_account_id == account_id,
                Partnership.partner_account_id == account_id,
            )
        )
        .order_by(SharedDeal.id.desc())
    )
    return list(db.session.scalars(query))


def find_shared_deal(user: User, shared_id: Any) -> SharedDeal:
    """A shared deal one of whose sides is the user's account, or NotFound."""
    shared = db.session.get(SharedDeal, shared_id) if isinstance(shared_id, int) else None
    sides = (
        {shared.partnership.selling_account_id, shared.partnership.partner_account_id}
        if shared
        else set()
    )
    if shared is None or user.account_id not in sides:
        raise NotFound(_("There is no shared deal %(id)s.", id=shared_id))
    return shared
