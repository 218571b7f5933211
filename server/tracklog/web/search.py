"""One search across the account: contacts, companies, deals, tickets and followed mail."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from tracklog.crm.associations import record_label
from tracklog.crm.resources import RESOURCE_BY_NAME
from tracklog.extensions import db
from tracklog.models import Message, User
from tracklog.tracking.kpis import visible_messages

search_pages = Blueprint("search_pages", __name__)
SEARCHED = ("contacts", "companies", "deals", "tickets")
PER_KIND = 8
MIN_LENGTH = 2


@dataclass(frozen=True)
class Hit:
    """One found record or mail: what it is called and where it is."""

    label: str
    url: str


def find_records(user: User, plural: str, text: str) -> list[Hit]:
    """The account's records of one kind whose searchable columns contain the text."""
    resource = RESOURCE_BY_NAME[plural]
    query = resource.search(resource.scoped(user), text).order_by(resource.model.id.desc())
    return [
        Hit(
            record_label(record),
            url_for("record_pages.record_page", plural=plural, record_id=record.id),
        )
        for record in db.session.scalars(query.limit(PER_KIND))
    ]


def find_mail(user: User, text: str) -> list[Hit]:
    """The followed mail the user may see whose subject contains the text, newest first."""
    pattern = f"%{text.strip().lower()}%"
    query = visible_messages(user).where(Message.subject.ilike(pattern))
    return [
        Hit(message.subject, url_for("messages.message_page", public_id=message.public_id))
        for message in db.session.scalars(query.order_by(Message.sent_at.desc()).limit(PER_KIND))
    ]


def search_everything(user: User, text: str) -> dict[str, list[Hit]]:
    """What the text finds, by kind (contacts, companies, deals, tickets, mail)."""
    found = {plural: find_records(user, plural, text) for plural in SEARCHED}
    found["mail"] = find_mail(user, text)
    return found


@search_pages.get("/search")
@login_required
def search() -> str:
    """The results of the search box in the top bar."""
    text = request.args.get("q", "").strip()[:200]
    found = search_everything(current_user, text) if len(text) >= MIN_LENGTH else None
    return render_template("web/search.html", text=text, found=found, min_length=MIN_LENGTH)
