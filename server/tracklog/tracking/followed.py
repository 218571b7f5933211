"""Followed mail: a user's tracked and logged messages, filtered and sorted as people follow up.

The filters are the questions a salesperson asks of their sent mail — who has not opened it after
some days, who opened it and did not answer, who clicked — and narrow the list to one recipient,
company or deal. Only people's hits count (image proxies included, machines never), as in the KPIs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select

from tracklog.crm.csvio import csv_text
from tracklog.crm.people import contacts_by_email
from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import (
    ActivityAssociation,
    Contact,
    EngagementEvent,
    Message,
    MessageRecipient,
    RecordAssociation,
    User,
)
from tracklog.models.base import utcnow
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.paging import DEFAULT_LIMIT, InvalidCursor, decode_cursor, encode_cursor
from tracklog.tracking.kpis import events_by_message, message_summary, visible_messages

MAX_NO_OPEN_DAYS = 3650
EXPORT_BATCH = 500
SORTS = ("sent", "last_opened", "opens", "clicks", "replies")
SORT_LABELS = {
    "sent": _l("Sent"),
    "last_opened": _l("Last opened"),
    "opens": _l("Opens by people"),
    "clicks": _l("Clicks"),
    "replies": _l("Replies"),
}
FILTER_NAMES = ("no_open_days", "opened_no_reply", "clicked", "recipient", "company", "deal")


@dataclass(frozen=True)
class FollowedFilters:
    """What a list of followed mail is narrowed to, and how it is sorted."""

    subject: str = ""
    no_open_days: int | None = None
    opened_no_reply: bool = False
    clicked: bool = False
    recipient: str = ""
    company_id: int | None = None
    deal_id: int | None = None
    sort: str = "sent"
    descending: bool = True

    @property
    def query_args(self) -> dict[str, Any]:
        """The filters as query arguments (for links that keep them), leaving out defaults."""
        args = {
            "q": self.subject or None,
            "no_open_days": self.no_open_days,
            "opened_no_reply": "true" if self.opened_no_reply else None,
            "clicked": "true" if self.clicked else None,
            "recipient": self.recipient or None,
            "company": self.company_id,
            "deal": self.deal_id,
            "sort": None if self.sort == "sent" else self.sort,
            "order": None if self.descending else "asc",
        }
        return {name: value for name, value in args.items() if value is not None}


def _flag(args: Mapping[str, str], name: str, problems: dict[str, str]) -> bool:
    """A true/false query argument; absent or empty is false."""
    raw = args.get(name, "").strip().lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1", "on"):
        return True
    problems[name] = _("must be true or false")
    return False


def _record_id(args: Mapping[str, str], name: str, problems: dict[str, str]) -> int | None:
    """A record id query argument, or None when absent."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    number = stored_integer(raw, from_text=True)
    if number is None or number < 1:
        problems[name] = _("must be the id of a record")
    return number


def read_filters(args: Mapping[str, str]) -> FollowedFilters:
    """The filters and sort a request asks for, or ValidationFailed naming each bad argument."""
    problems: dict[str, str] = {}
    no_open_days = None
    if args.get("no_open_days", "").strip():
        no_open_days = stored_integer(args["no_open_days"].strip(), from_text=True)
        if no_open_days is None or not 0 <= no_open_days <= MAX_NO_OPEN_DAYS:
            problems["no_open_days"] = _(
                "must be a whole number from %(min)d to %(max)d", min=0, max=MAX_NO_OPEN_DAYS
            )
    sort = args.get("sort", "").strip() or "sent"
    if sort not in SORTS:
        problems["sort"] = _("must be one of: %(choices)s", choices=", ".join(SORTS))
    order = args.get("order", "").strip() or "desc"
    if order not in ("asc", "desc"):
        problems["order"] = _("must be one of: %(choices)s", choices="asc, desc")
    filters = FollowedFilters(
        subject=args.get("q", "").strip()[:200],
        no_open_days=no_open_days,
        opened_no_reply=_flag(args, "opened_no_reply", problems),
        clicked=_flag(args, "clicked", problems),
        recipient=args.get("recipient", "").strip()[:320],
        company_id=_record_id(args, "company", problems),
        deal_id=_record_id(args, "deal", problems),
        sort=sort,
        descending=order == "desc",
    )
    if problems:
        raise DomainError(
            _("Some filters are not valid."), code="invalid_filter", details={"fields": problems}
        )
    return filters


def _people_hits(kind: str) -> tuple[ColumnElement[bool], ...]:
    """The counted hits of this kind by people on the message of the outer query."""
    return (
        EngagementEvent.message_id == Message.id,
        EngagementEvent.kind == kind,
        EngagementEvent.classification.in_(PERSON_CLASSES),
        EngagementEvent.counted.is_(True),
    )


def person_hit(kind: str) -> ColumnElement[bool]:
    """Whether a message has a counted hit of this kind by a person."""
    return exists().where(*_people_hits(kind))


def answered() -> ColumnElement[bool]:
    """Whether a message was answered."""
    reply = exists().where(
        EngagementEvent.message_id == Message.id, EngagementEvent.kind == "reply"
    )
    return or_(Message.replied_at.is_not(None), reply)


def _to_contacts(contacts: Select) -> ColumnElement[bool]:
    """Whether one of a message's recipients is among these contacts (by address)."""
    return exists().where(
        MessageRecipient.message_id == Message.id,
        MessageRecipient.email.in_(contacts.with_only_columns(Contact.email)),
    )


def _about_deal(account_id: int, deal_id: int) -> ColumnElement[bool]:
    """Whether a message is logged on a deal's timeline or went to one of the deal's contacts."""
    on_timeline = exists().where(
        ActivityAssociation.activity_id == Message.activity_id,
        ActivityAssociation.record_type == "deal",
        ActivityAssociation.record_id == deal_id,
    )
    linked = select(RecordAssociation).where(
        RecordAssociation.account_id == account_id,
        or_(
            and_(
                RecordAssociation.from_type == "contact",
                RecordAssociation.from_id == Contact.id,
                RecordAssociation.to_type == "deal",
                RecordAssociation.to_id == deal_id,
            ),
            and_(
                RecordAssociation.to_type == "contact",
                RecordAssociation.to_id == Contact.id,
                RecordAssociation.from_type == "deal",
                RecordAssociation.from_id == deal_id,
            ),
        ),
    )
    deal_contacts = select(Contact).where(Contact.account_id == account_id, linked.exists())
    return or_(on_timeline, _to_contacts(deal_contacts))


def funnel_counts() -> dict[str, Any]:
    """Counts over a group of messages, each counted once per step: sent, tracked, opened and
    clicked by a person (tracked mail only), answered."""
    tracked = Message.tracking != "off"
    return {
        "sent": func.count(Message.id),
        "tracked": func.count(case((tracked, 1))),
        "opened": func.count(case((and_(tracked, person_hit("open")), 1))),
        "clicked": func.count(case((and_(tracked, person_hit("click")), 1))),
        "replied": func.count(case((answered(), 1))),
    }


def filtered_messages(user: User, filters: FollowedFilters) -> Select:
    """The messages a user may see, narrowed by the filters (unsorted)."""
    query = visible_messages(user)
    if filters.subject:
        query = query.where(Message.subject.icontains(filters.subject, autoescape=True))
    if filters.no_open_days is not None:
        sent_before = utcnow() - timedelta(days=filters.no_open_days)
        query = query.where(
            Message.tracking != "off", Message.sent_at <= sent_before, ~person_hit("open")
        )
    if filters.opened_no_reply:
        query = query.where(person_hit("open"), ~answered())
    if filters.clicked:
        query = query.where(person_hit("click"))
    if filters.recipient:
        query = query.where(
            exists().where(
                MessageRecipient.message_id == Message.id,
                MessageRecipient.email.icontains(filters.recipient, autoescape=True),
            )
        )
    if filters.company_id is not None:
        company_contacts = select(Contact).where(
            Contact.account_id == user.account_id, Contact.company_id == filters.company_id
        )
        query = query.where(_to_contacts(company_contacts))
    if filters.deal_id is not None:
        query = query.where(_about_deal(user.account_id, filters.deal_id))
    return query


def _count_of(kind: str) -> Any:
    """How many counted hits of a kind people made on a message (a correlated subquery)."""
    return select(func.count(EngagementEvent.id)).where(*_people_hits(kind)).scalar_subquery()


def _sort_key(sort: str) -> Any:
    """The column a sort orders by."""
    if sort == "last_opened":
        last = select(func.max(EngagementEvent.occurred_at)).where(*_people_hits("open"))
        return last.scalar_subquery()
    if sort == "replies":
        return (
            select(func.count(EngagementEvent.id))
            .where(EngagementEvent.message_id == Message.id, EngagementEvent.kind == "reply")
            .scalar_subquery()
        )
    if sort in ("opens", "clicks"):
        return _count_of(sort.removesuffix("s"))
    return Message.sent_at


def sorted_messages(query: Select, filters: FollowedFilters) -> Select:
    """The query ordered as asked; never-opened mail last when sorting by last opened."""
    key = _sort_key(filters.sort)
    ordered = key.desc() if filters.descending else key.asc()
    ordered = ordered.nulls_last()
    tie = Message.id.desc() if filters.descending else Message.id.asc()
    return query.order_by(ordered, tie)


def followed_page(
    user: User, filters: FollowedFilters, cursor: str | None, limit: int = DEFAULT_LIMIT
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of followed mail, each message with its KPIs and recipients' names."""
    offset = 0
    if cursor:
        offset = stored_integer(decode_cursor(cursor).get("offset"))
        if offset is None or offset < 0:
            raise InvalidCursor(_("The cursor is not valid; start again without it."))
    query = sorted_messages(filtered_messages(user, filters), filters)
    rows = list(db.session.scalars(query.offset(offset).limit(limit + 1)))
    next_cursor = encode_cursor({"offset": offset + limit}) if len(rows) > limit else None
    return followed_summaries(user, rows[:limit]), next_cursor


def followed_summaries(user: User, messages: list[Message]) -> list[dict[str, Any]]:
    """Messages as the followed-mail list shows them: KPIs, last open, names, sender."""
    events = events_by_message(messages)
    emails = [r.email for message in messages for r in message.recipients]
    people = contacts_by_email(user.account_id, emails)
    senders = {u.id: u for u in _senders(messages)}
    summaries = []
    for message in messages:
        summary = message_summary(message, events[message.id])
        for recipient in summary["recipients"]:
            contact = people.get(recipient["email"])
            recipient["name"] = contact.name if contact else None
        sender = senders.get(message.user_id)
        summary["sender"] = sender.display_name or sender.email if sender else None
        summaries.append(summary)
    return summaries


def _senders(messages: list[Message]) -> list[User]:
    """The users who sent these messages."""
    ids = {message.user_id for message in messages}
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


EXPORT_COLUMNS = (
    "id",
    "subject",
    "sender",
    "recipients",
    "sent_at",
    "tracking",
    "logged",
    "last_opened_at",
    "human_opens",
    "unique_openers",
    "opens_through_proxy",
    "clicks",
    "attachment_views",
    "replies",
    "machine_hits",
)


def export_row(summary: dict[str, Any]) -> list[Any]:
    """One message as a row of the CSV export."""
    kpis = summary["kpis"]
    values = {
        **summary,
        **kpis,
        "recipients": "; ".join(r["email"] for r in summary["recipients"]),
        "machine_hits": sum(kpis["machine_hits"].values()),
    }
    return [values[column] for column in EXPORT_COLUMNS]


def export_followed(user: User, filters: FollowedFilters) -> Iterator[str]:
    """Every followed message matching the filters as CSV text, a batch at a time."""
    return csv_text(EXPORT_COLUMNS, _export_batches(user, filters))


def _export_batches(user: User, filters: FollowedFilters) -> Iterator[list[list[Any]]]:
    """The export's rows, a batch of messages at a time."""
    query = sorted_messages(filtered_messages(user, filters), filters)
    offset = 0
    while True:
        messages = list(db.session.scalars(query.offset(offset).limit(EXPORT_BATCH)))
        yield [export_row(summary) for summary in followed_summaries(user, messages)]
        if len(messages) < EXPORT_BATCH:
            return
        offset += EXPORT_BATCH
