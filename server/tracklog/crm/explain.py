"""Stored explanations ("why"): a code and its data, put into words in the reader's language."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

from tracklog.explanations import register, render_stored

WHY_TEXTS = {
    "explicitly_selected": _l("explicitly selected"),
    "selected_in_outlook": _l("selected in Outlook when the mail was sent"),
    "sent_to_contact": _l("sent to this contact"),
    "received_from_contact": _l("received from this contact"),
    "company_of_contact": _l("the company of %(contact)s"),
    "recent_open_deal": _l("one of the most recently associated open deals of %(contact)s"),
    "only_open_deal": _l("the only open deal of %(contact)s"),
    "updated_open_deal": _l("the most recently updated of the %(count)s open deals of %(contact)s"),
    "won_deal": _l("won deal of %(contact)s"),
    "only_deal_at_receipt": _l("the only deal of %(contact)s when the mail was received"),
    "open_ticket": _l("one of the most recently associated open tickets of %(contact)s"),
    "added_by_user": _l("added by %(user)s"),
    "brought_in_with_record": _l("brought in when %(record)s was created"),
    "meeting_attendee": _l("attended this meeting"),
    "shared_by_partner": _l("shared by %(user)s from the other account"),
    "follow_up_reminder": _l("a follow-up of “%(subject)s”"),
}
register("why", WHY_TEXTS)


def encode_why(code: str, **params: Any) -> str:
    """A why to store: its code and the data to fill in when it is shown."""
    return json.dumps({"code": code, "params": params}, ensure_ascii=False, separators=(",", ":"))


def render_why(stored: str) -> str:
    """A stored why in words, in the current language (plain text is shown as it is)."""
    return render_stored("why", stored)
