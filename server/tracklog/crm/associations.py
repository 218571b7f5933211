"""Which records a mail belongs on, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from tracklog.crm.explain import encode_why, render_why
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import (
    RECORD_TYPES,
    Account,
    Activity,
    ActivityAssociation,
    AssociationExclusion,
    Company,
    Contact,
    Deal,
    RecordAssociation,
    Stage,
    Ticket,
    User,
)

# Activity.details flag: a mail received before its mailbox was connected (_deal_at_receipt).
RECEIVED_BEFORE_MAILBOX = "received_before_mailbox"

RECORD_MODELS = {"contact": Contact, "company": Company, "deal": Deal, "ticket": Ticket}


def record_label(record: Any) -> str:
    """A record's name as lists show it: name, subject, or a contact's address."""
    return (
        getattr(record, "name", None)
        or getattr(record, "subject", None)
        or getattr(record, "email", "")
    )


def record_labels(account_id: int, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The names of several records of the account, one query per record type."""
    labels = {}
    for record_type, model in RECORD_MODELS.items():
        ids = [record_id for kind, record_id in pairs if kind == record_type]
        if ids:
            query = select(model).where(model.account_id == account_id, model.id.in_(ids))
            labels.update({(record_type, r.id): record_label(r) for r in db.session.scalars(query)})
    return labels


def add_record_link(
    user: User, from_type: str, from_id: int, to_type: str, to_id: int
) -> RecordAssociation:
    """A manual link between two records, made by the user (not yet committed)."""
    link = RecordAssociation(
        account_id=user.account_id,
        from_type=from_type,
        from_id=from_id,
        to_type=to_type,
        to_id=to_id,
        source="manual",
        why=encode_why("added_by_user", user=user.display_name),
    )
    db.session.add(link)
    return link


def record_exists(account_id: int, record_type: str, record_id: Any) -> bool:
    """Whether a record of this type and id exists in the account."""
    model = RECORD_MODELS.get(record_type)
    if model is None or stored_integer(record_id) is None:
        return False
    query = select(model.id).where(model.id == record_id, model.account_id == account_id)
    return db.session.scalar(query) is not None


def explicit_associations(account_id: int, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records a user picked by hand, each checked to exist in the account."""
    chosen, missing = [], []
    for item in requested:
        record_type, record_id = item.get("type"), item.get("id")
        if record_type not in RECORD_TYPES or not record_exists(account_id, record_type, record_id):
            missing.append(f"{record_type}:{record_id}")
            continue
        entry = {
            "type": record_type,
            "id": record_id,
            "why": render_why(encode_why("explicitly_selected")),
        }
        if entry not in chosen:
            chosen.append(entry)
    if missing:
        raise ValidationFailed(
            _("Some selected records do not exist: %(records)s", records=", ".join(missing)),
            details={"fields": {"associations": missing}},
        )
    return chosen


@dataclass(frozen=True)
class Planned:
    """A record an activity should appear on, with how and why."""

    record_type: str
    record_id: int
    source: str
    why: str


def linked_ids(account_id: int, record_type: str, record_id: int, other_type: str) -> list[int]:
    """Ids of records of other_type associated with a record, in either direction."""
    forward = select(RecordAssociation.to_id).where(
        RecordAssociation.account_id == account_id,
        RecordAssociation.from_type == record_type,
        RecordAssociation.from_id == record_id,
        RecordAssociation.to_type == other_type,
    )
    backward = select(RecordAssociation.from_id).where(
        RecordAssociation.account_id == account_id,
        RecordAssociation.to_type == record_type,
        RecordAssociation.to_id == record_id,
        RecordAssociation.from_type == other_type,
    )
    return list(dict.fromkeys([*db.session.scalars(forward), *db.session.scalars(backward)]))


# HubSpot's rule, which users expect: a mail goes on the contact's five most recently associated
# open deals and tickets together, not five of each.
OPEN_RECORDS_PER_CONTACT = 5
PIPELINE_MODELS = {"deal": Deal, "ticket": Ticket}


def contact_deals(account_id: int, contact_id: int) -> list[Deal]:
    """The contact's deals, most recently updated first."""
    ids = linked_ids(account_id, "contact", contact_id, "deal")
    if not ids:
        return []
    query = (
        select(Deal)
        .where(Deal.account_id == account_id, Deal.id.in_(ids))
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
    )
    return list(db.session.scalars(query))


def association_order(account_id: int, contact_id: int, types: set[str]) -> list[tuple[str, int]]:
    """The contact's records of these types, the most recently associated with it first."""
    link = RecordAssociation
    query = (
        select(link.from_type, link.from_id, link.to_type, link.to_id)
        .where(
            link.account_id == account_id,
            or_(
                and_(
                    link.from_type == "contact", link.from_id == contact_id, link.to_type.in_(types)
                ),
                and_(
                    link.to_type == "contact", link.to_id == contact_id, link.from_type.in_(types)
                ),
            ),
        )
        .order_by(link.created_at.desc(), link.id.desc())
    )
    found = [
        (to_type, to_id) if from_type == "contact" else (from_type, from_id)
        for from_type, from_id, to_type, to_id in db.session.execute(query)
    ]
    return list(dict.fromkeys(found))


def open_ids(account_id: int, record_type: str, ids: list[int]) -> set[int]:
    """Which of these deals or tickets are in an open stage."""
    if not ids:
        return set()
    model = PIPELINE_MODELS[record_type]
    query = (
        select(model.id)
        .join(Stage, Stage.id == model.stage_id)
        .where(model.account_id == account_id, model.id.in_(ids), Stage.kind == "open")
    )
    return set(db.session.scalars(query))


def contact_open_records(
    account_id: int, contact_id: int, types: set[str]
) -> list[tuple[str, int]]:
    """The contact's open deals and tickets (of these types), most recently associated first."""
    ordered = association_order(account_id, contact_id, types & set(PIPELINE_MODELS))
    open_now = {
        record_type: open_ids(account_id, record_type, [i for t, i in ordered if t == record_type])
        for record_type in PIPELINE_MODELS
    }
    return [(record_type, i) for record_type, i in ordered if i in open_now[record_type]]


def _open_records_for(account: Account, contact: Contact, direction: str) -> list[Planned]:
    """The contact's five most recently associated open deals and tickets in total; a received
    mail goes on one deal only (see _incoming_deal), as it answers about one."""
    wanted = set(account.default_association_types)
    if direction == "incoming":
        wanted.discard("deal")
    candidates = contact_open_records(account.id, contact.id, wanted)
    caps = {"deal": account.max_associated_deals, "ticket": account.max_associated_tickets}
    open_deals = sum(1 for record_type, _id in candidates if record_type == "deal")
    chosen: list[tuple[str, int]] = []
    for record_type, record_id in candidates:
        if len(chosen) < OPEN_RECORDS_PER_CONTACT and caps[record_type] > 0:
            caps[record_type] -= 1
            chosen.append((record_type, record_id))
    return [
        Planned(record_type, record_id, "automatic", _open_why(record_type, open_deals, contact))
        for record_type, record_id in chosen
    ]


def _open_why(record_type: str, open_deals: int, contact: Contact) -> str:
    """Why a mail goes on an open deal or ticket of its contact."""
    if record_type == "ticket":
        return encode_why("open_ticket", contact=contact.name)
    code = "only_open_deal" if open_deals == 1 else "recent_open_deal"
    return encode_why(code, contact=contact.name)


def _deal_at_receipt(account: Account, contact: Contact, received_at: datetime) -> list[Planned]:
    """The deal of a mail received before its mailbox was connected: the contact's only deal at
    the time, else none (a person places it: which deal it was about is not known)."""
    deals = contact_deals(account.id, contact.id)
    then = [deal for deal in deals if deal.created_at <= received_at]
    if len(then) != 1:
        return []
    why = encode_why("only_deal_at_receipt", contact=contact.name)
    return [Planned("deal", then[0].id, "automatic", why)]


def _incoming_deal(
    account: Account, contact: Contact, direction: str, history_at: datetime | None
) -> list[Planned]:
    """The one deal a received mail goes on: the contact's only open deal, else the most
    recently updated of their open deals, else their (most recently updated) won deal; never a
    lost one — with only lost deals the mail stays on the contact. Mail received before its
    mailbox was connected (history_at: when) follows _deal_at_receipt."""
    wanted = "deal" in account.default_association_types and account.max_associated_deals > 0
    if direction != "incoming" or not wanted:
        return []
    if history_at is not None:
        return _deal_at_receipt(account, contact, history_at)
    deals = contact_deals(account.id, contact.id)
    open_deals = [deal for deal in deals if deal.status == "open"]
    if len(open_deals) == 1:
        return [Planned("deal", open_deals[0].id, "automatic", _open_why("deal", 1, contact))]
    if open_deals:
        why = encode_why("updated_open_deal", contact=contact.name, count=len(open_deals))
        return [Planned("deal", open_deals[0].id, "automatic", why)]
    won = [deal for deal in deals if deal.status == "won"]
    if won:
        return [
            Planned("deal", won[0].id, "automatic", encode_why("won_deal", contact=contact.name))
        ]
    return []


def automatic_associations(
    account: Account, contacts: list[Contact], direction: str, history_at: datetime | None = None
) -> list[Planned]:
    """Where a mail belongs by the account's rules: contacts, their companies, deals and tickets
    (history_at: when a mail received before its mailbox was connected was received)."""
    wanted = set(account.default_association_types)
    planned: list[Planned] = []
    contact_code = "sent_to_contact" if direction == "outgoing" else "received_from_contact"
    for contact in contacts:
        if "contact" in wanted:
            planned.append(Planned("contact", contact.id, "automatic", encode_why(contact_code)))
        if "company" in wanted and contact.company_id:
            why = encode_why("company_of_contact", contact=contact.name)
            planned.append(Planned("company", contact.company_id, "automatic", why))
        planned += _open_records_for(account, contact, direction)
        planned += _incoming_deal(account, contact, direction, history_at)
    return unique_planned(planned)


def unique_planned(planned: list[Planned]) -> list[Planned]:
    """The first plan for each record, in order."""
    seen: dict[tuple[str, int], Planned] = {}
    for item in planned:
        seen.setdefault((item.record_type, item.record_id), item)
    return list(seen.values())


def excluded_records(activity_id: int) -> set[tuple[str, int]]:
    """Records a user removed this activity from."""
    query = select(AssociationExclusion.record_type, AssociationExclusion.record_id).where(
        AssociationExclusion.activity_id == activity_id
    )
    return {(row[0], row[1]) for row in db.session.execute(query)}


def apply_associations(activity: Activity, planned: list[Planned]) -> list[ActivityAssociation]:
    """Put the activity on each planned record's timeline, except where a user removed it."""
    existing = {
        (row.record_type, row.record_id)
        for row in db.session.scalars(
            select(ActivityAssociation).where(ActivityAssociation.activity_id == activity.id)
        )
    }
    excluded = excluded_records(activity.id)
    added = []
    for item in planned:
        key = (item.record_type, item.record_id)
        if key in existing or (item.source == "automatic" and key in excluded):
            continue
        association = ActivityAssociation(
            account_id=activity.account_id,
            activity_id=activity.id,
            record_type=item.record_type,
            record_id=item.record_id,
            activity_type=activity.type,
            occurred_at=activity.occurred_at,
            source=item.source,
            why=item.why,
        )
        db.session.add(association)
        existing.add(key)
        added.append(association)
    return added


def counterpart_contacts(activity: Activity) -> list[Contact]:
    """The contacts on the other side of a logged mail: its recipients, or its sender."""
    addresses = activity.recipients if activity.direction == "outgoing" else [activity.sender]
    addresses = [address for address in addresses if address]
    if not addresses:
        return []
    query = select(Contact).where(
        Contact.account_id == activity.account_id, Contact.email.in_(addresses)
    )
    return list(db.session.scalars(query))


def deals_chosen_by_hand(activity: Activity) -> bool:
    """Whether a user put this activity on a deal or took it off one."""
    added = select(ActivityAssociation.id).where(
        ActivityAssociation.activity_id == activity.id,
        ActivityAssociation.record_type == "deal",
        ActivityAssociation.source == "manual",
    )
    removed = select(AssociationExclusion.id).where(
        AssociationExclusion.activity_id == activity.id,
        AssociationExclusion.record_type == "deal",
    )
    return db.session.scalar(added.union_all(removed).limit(1)) is not None


def rerun_automatic(activity: Activity, account: Account) -> list[ActivityAssociation]:
    """Recompute an activity's automatic associations; manual ones and removals are kept."""
    # A received mail answers about one deal: once a user associated, removed or moved it, its
    # deals stay as they are, so a later run never picks another deal over the user's choice.
    frozen = activity.direction == "incoming" and deals_chosen_by_hand(activity)
    keep = ["deal"] if frozen else []
    for association in db.session.scalars(
        select(ActivityAssociation).where(
            ActivityAssociation.activity_id == activity.id,
            ActivityAssociation.source == "automatic",
            ActivityAssociation.record_type.not_in(keep),
        )
    ):
        db.session.delete(association)
    db.session.flush()
    history_at = activity.occurred_at if activity.details.get(RECEIVED_BEFORE_MAILBOX) else None
    contacts = counterpart_contacts(activity)
    planned = automatic_associations(account, contacts, activity.direction, history_at)
    return apply_associations(activity, [item for item in planned if item.record_type not in keep])


def rerun_for_record(account: Account, record_type: str, record_id: int) -> int:
    """Re-run the automatic association of every logged mail on a record's timeline, in one go."""
    activity_ids = set(
        db.session.scalars(
            select(ActivityAssociation.activity_id).where(
                ActivityAssociation.account_id == account.id,
                ActivityAssociation.record_type == record_type,
                ActivityAssociation.record_id == record_id,
                ActivityAssociation.activity_type == "email",
            )
        )
    )
    if record_type != "contact":
        contact_ids = linked_ids(account.id, record_type, record_id, "contact")
        if record_type == "company":
            contact_ids += list(
                db.session.scalars(
                    select(Contact.id).where(
                        Contact.account_id == account.id, Contact.company_id == record_id
                    )
                )
            )
        if contact_ids:
            activity_ids |= set(
                db.session.scalars(
                    select(ActivityAssociation.activity_id).where(
                        ActivityAssociation.account_id == account.id,
                        ActivityAssociation.record_type == "contact",
                        ActivityAssociation.record_id.in_(contact_ids),
                        ActivityAssociation.activity_type == "email",
                    )
                )
            )
    activities = db.session.scalars(
        select(Activity).where(Activity.account_id == account.id, Activity.id.in_(activity_ids))
    )
    count = 0
    for activity in activities:
        rerun_automatic(activity, account)
        count += 1
    db.session.commit()
    return count
