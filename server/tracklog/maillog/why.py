"""The steps of a mail's "why": recorded as codes and data, shown in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from tracklog.explanations import register, render, render_stored
from tracklog.maillog.parse import render_problem, render_problems

STEP_TEXTS = {
    "received": _l("Received %(when)s through %(channel)s at %(address)s."),
    "uploaded": _l("Uploaded from Outlook by %(user)s."),
    "parse_problems": _l("The mail could only be read in part: %(problems)s"),
    "account": _l("Account %(account)s, found from the logging address."),
    "sender_user": _l("Sent by %(user)s (%(email)s), a user of this account."),
    "sender_not_user": _l(
        "Not logged: the sender %(email)s is not a user of this account, nor one of their aliases "
        "or connected addresses."
    ),
    "sender_alias_unverified": _l(
        "Not logged: the sender %(email)s is an alias of a user that is not verified yet: the "
        "link sent to that address has not been followed."
    ),
    "sender_deactivated": _l(
        "Not logged: the sender %(email)s is a deactivated user of this account."
    ),
    "incoming_for_user": _l("Received by %(user)s from %(email)s."),
    "forwarded_by_user": _l(
        "Forwarded as an attachment by %(user)s (%(email)s): the attached mail is the one logged."
    ),
    "receiver_deactivated": _l(
        "Not logged: it was received by %(email)s, whose user is deactivated."
    ),
    "never_log_removed": _l(
        "Left out: %(email)s is on the never-log list of %(owner)s (%(pattern)s), added by "
        "%(added_by)s on %(added_on)s."
    ),
    "nobody_left": _l("Not logged: nobody is left once the never-log list is applied."),
    "privacy_removed": _l("Left out: %(email)s has no legal basis for logging (privacy mode)."),
    "privacy_nobody_left": _l("Not logged: no recipient has a legal basis (privacy mode)."),
    "internal_only": _l("Not logged: every recipient is a user of this account (internal mail)."),
    "internal_domains_only": _l(
        "Not logged: every recipient is a user of this account or at one of its internal domains "
        "(%(domains)s)."
    ),
    "attachment_omitted": _l(
        "The attachment %(name)s (%(size_mb)s MB) was left out: it is over the limit of "
        "%(limit_mb)s MB."
    ),
    "too_large": _l(
        "Not logged: the mail is larger than the %(limit_mb)s MB that tracklog logs, so it was "
        "refused and nothing of it was kept. Share big files as links instead."
    ),
    "duplicate": _l("Already logged (same message id): nothing new was added."),
    "contact_found": _l("%(email)s is the contact %(name)s."),
    "contact_created": _l("Created the contact %(email)s, owned by %(owner)s."),
    "contact_not_created": _l("No contact for %(email)s: creating contacts is turned off."),
    "erased_on_request": _l("No contact for %(email)s: the address was erased on request."),
    "company_created": _l("Created the company %(domain)s for %(email)s."),
    "company_found": _l("%(email)s works at %(company)s (by the mail domain)."),
    "freemail_no_company": _l("No company for %(email)s: %(domain)s is a free mail domain."),
    "explicit_used": _l("The records selected in Outlook were used, and only those."),
    "received_before_mailbox": _l(
        "Received before the mailbox was connected: it goes on a deal only if the contact had "
        "exactly one deal then; otherwise someone places it."
    ),
    "associated": _l("Put on the timeline of %(record)s: %(why)s."),
    "lost_deal_skipped": _l("Not put on %(record)s: the deal is lost."),
    "no_records": _l("Not logged: there is no record to put the mail on."),
    "thread": _l("Part of the conversation started by %(subject)s."),
    "reply": _l("A reply to the tracked mail %(subject)s: it is now marked replied."),
    "logged": _l("Logged on %(count)d records."),
    "retrying": _l(
        "Processing failed (attempt %(attempt)d of %(attempts)d) and will be tried again "
        "automatically: %(error)s"
    ),
    "failed": _l("Processing failed every time it was tried, so tracklog gave up: %(error)s"),
}
# The "why" of an association step is a stored why of crm.explain.
register("step", STEP_TEXTS, nested={"why": "why"})
OUTCOMES = ("ok", "note", "removed", "stop")


def step(check: str, code: str, outcome: str = "ok", **params: Any) -> dict[str, Any]:
    """One recorded step of the why."""
    return {"step": check, "code": code, "outcome": outcome, "params": params}


def render_step(recorded: dict[str, Any]) -> dict[str, Any]:
    """A recorded step with its sentence in the current language."""
    params = recorded.get("params")
    if isinstance(params, dict) and "problems" in params:
        params = {**params, "problems": render_problems(params["problems"])}
    return {
        "step": recorded.get("step"),
        "outcome": recorded.get("outcome"),
        "code": recorded.get("code"),
        "text": render_stored("step", {**recorded, "params": params}),
        "data": recorded.get("params", {}),
    }


def warning_json(warning: dict[str, Any] | str) -> dict[str, Any]:
    """A stored warning of a logged mail with its sentence in the current language."""
    if not isinstance(warning, dict):
        return {"code": "note", "text": str(warning)}
    if "problem" in warning:
        return {**warning, "text": render_problem(warning["problem"])}
    stored_text = str(warning.get("text", ""))
    return {**warning, "text": render("step", warning.get("code", ""), warning, stored_text)}
