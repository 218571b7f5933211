"""Reply and Reply all on a logged mail: addressed to the mail's other party, whoever replies."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask_babel import format_datetime
from flask_babel import gettext as _

from tracklog.maillog.rules import users_by_address
from tracklog.models import Activity
from tracklog.tracking.untrack import untracked_text

MAX_QUOTED_CHARS = 1500


def team_addresses(account_id: int) -> set[str]:
    """Every address of every user of the account, lower case: the side a reply never goes to."""
    return {address.lower() for address in users_by_address(account_id)}


def reply_addressees(
    direction: str | None, sender: str | None, recipients: list[str], team: set[str]
) -> tuple[list[str], list[str]]:
    """(to, cc) of a reply all: the contact side of the mail, never a user of the account.

    Mail our user sent is answered to its recipients (the first in To, the others in Cc); a
    received mail to its sender, the other outside recipients in Cc."""
    outside = [
        address
        for address in dict.fromkeys(filter(None, recipients))
        if address.lower() not in team
    ]
    if direction == "incoming" and sender and sender.lower() not in team:
        return [sender], [address for address in outside if address.lower() != sender.lower()]
    return outside[:1], outside[1:]


def quoted_thread(thread: list[Activity]) -> str:
    """The thread, newest first, quoted as a reply's body quotes it (shortened for mailto:)."""
    parts = []
    for activity in thread:
        when = format_datetime(activity.occurred_at, "medium")
        header = _("On %(date)s, %(sender)s wrote:", date=when, sender=activity.sender or "")
        body = untracked_text(activity.body_text, activity.account_id)
        lines = (body or activity.subject or "").splitlines() or [""]
        parts.append(header + "\n" + "\n".join("> " + line for line in lines))
    text = "\n\n".join(parts)
    return text if len(text) <= MAX_QUOTED_CHARS else text[:MAX_QUOTED_CHARS] + "\n> …"


def mailto(to: list[str], subject: str, body: str, cc: list[str] | None = None) -> str:
    """A mailto: link with the subject, body and copies encoded."""
    query = {"subject": subject, "body": body}
    if cc:
        query["cc"] = ",".join(cc)
    addresses = ",".join(quote(address, safe="@") for address in to)
    return f"mailto:{addresses}?{urlencode(query, quote_via=quote)}"


def reply_links(item: dict[str, Any], thread: list[Activity], team: set[str]) -> dict[str, str]:
    """Reply and reply-all links for a mail, quoting its thread, until a mailbox can send."""
    to, cc = reply_addressees(item["direction"], item["sender"], item["recipients"] or [], team)
    if not to:
        return {}
    subject = item["subject"] or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    body = "\n\n" + quoted_thread(thread)
    return {"reply": mailto(to, subject, body), "reply_all": mailto(to, subject, body, cc)}
