"""The partner pages: /settings/partners for admins, and the forms of the partner cards on
contact, company and deal pages. Every rule lives in partnerships.py and shared.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from tracklog.auth.accounts import account_users, require_admin
from tracklog.crm.pages import render_record
from tracklog.crm.resources import RESOURCE_BY_NAME, field_errors
from tracklog.errors import Conflict, DomainError, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import Deal
from tracklog.partners.partnerships import (
    accept_invitation,
    change_partnership,
    end_partnership,
    invite_partner,
    partnership_json,
    partnerships_of,
)
from tracklog.partners.record_cards import deal_sharing_card, shared_deals_card
from tracklog.partners.shared import (
    NOTE_FIELDS,
    change_shared_fields,
    register_shared_deal,
    share_existing_deal,
)

partner_pages = Blueprint("partner_pages", __name__)

SIDE_LABELS = {
    "selling": _l("We sell, they are our partner"),
    "partner": _l("We are their partner"),
}
STATUS_LABELS = {"pending": _l("Invited"), "active": _l("Active"), "ended": _l("Ended")}
FIELD_LABELS = {
    "partnership_id": _l("Partner"),
    "name": _l("Deal name"),
    "amount": _l("Amount"),
    "close_date": _l("Close date"),
    "product_interest": _l("Product interest"),
    "introduction": _l("Introduction"),
    "pain_or_opportunity": _l("Pain or opportunity"),
    "next_steps": _l("Next steps"),
    "partner_contact": _l("Partner contact"),
    "welcome_note": _l("Welcome note"),
    "confirmed": _l("Checked with the partner"),
    "compensation_eligible": _l("Eligible for compensation"),
    "stage": _l("Stage"),
    "line_item": _l("Product line"),
    "quote": _l("Quote"),
    "from": _l("Record"),
    "notify_user_ids": _l("Notified of partner deal activity"),
    "assignment": _l("New registrations go to"),
    "assignment.user_ids": _l("New registrations go to"),
}
SHARED_PATH = "<any(contacts,companies):plural>/<int:record_id>/shared-deals"


def form_id(value: str) -> Any:
    """An id a form sent, as a number where it is one (the rules refuse and name anything else)."""
    number = stored_integer(value.strip(), from_text=True)
    return value if number is None else number


def ids_from(form: MultiDict, name: str) -> list[Any]:
    """The ids a form's checkboxes or select sent."""
    return [form_id(value) for value in form.getlist(name)]


def render_partnerships(code: str | None = None, problem: str = "", status: int = 200):
    """The partnerships page, with a new invite code or a refusal when there is one."""
    account_id = current_user.account_id
    page = render_template(
        "partners/partnerships.html",
        partnerships=[partnership_json(p, account_id) for p in partnerships_of(account_id)],
        users=[user for user in account_users(account_id) if user.active],
        side_labels=SIDE_LABELS,
        status_labels=STATUS_LABELS,
        code=code,
        problem=problem,
    )
    return page, status


@partner_pages.get("/settings/partners")
@login_required
def partnerships() -> tuple[str, int]:
    """The account's partnerships on both sides, with invite, accept and per-partner settings."""
    require_admin(current_user, _("Only an admin can manage partners."))
    return render_partnerships()


@partner_pages.post("/settings/partners/invite")
@login_required
def invite() -> tuple[str, int]:
    """Invite a partner: the code is shown on this answer only, never kept in the session."""
    try:
        _partnership, code = invite_partner(current_user, request.form.get("note", "").strip())
    except ValidationFailed as refused:
        db.session.rollback()
        return render_partnerships(problem=refused.message, status=refused.status)
    return render_partnerships(code=code, status=201)


@partner_pages.post("/settings/partners/accept")
@login_required
def accept() -> Response | tuple[str, int]:
    """Accept an invitation with the code the selling account sent."""
    try:
        accept_invitation(current_user, request.form.get("invite_code", "").strip())
    except (ValidationFailed, NotFound, Conflict) as refused:  # an admin's mistake, shown here
        db.session.rollback()
        return render_partnerships(problem=refused.message, status=refused.status)
    flash(_("The partnership is active."), "success")
    return redirect(url_for("partner_pages.partnerships"))


@partner_pages.post("/settings/partners/<int:partnership_id>/end")
@login_required
def end(partnership_id: int) -> Response:
    """End a partnership: shared deals stop syncing and stay on both sides."""
    end_partnership(current_user, partnership_id)
    flash(_("The partnership was ended."), "success")
    return redirect(url_for("partner_pages.partnerships"))


def partnership_changes(form: MultiDict) -> dict[str, Any]:
    """What a partnership's form says, in the API's terms."""
    changes: dict[str, Any] = {"notify_user_ids": ids_from(form, "notify_user_ids")}
    mode = form.get("assignment_mode")
    if mode is not None:
        chosen = "rep_user_id" if mode == "rep" else "rotation_user_ids"
        changes["assignment"] = {"mode": mode, "user_ids": ids_from(form, chosen)}
    return changes


@partner_pages.post("/settings/partners/<int:partnership_id>")
@login_required
def change(partnership_id: int) -> Response | tuple[str, int]:
    """Save who is notified and, on the selling side, who new registrations go to."""
    try:
        change_partnership(current_user, partnership_id, partnership_changes(request.form))
    except ValidationFailed as refused:
        db.session.rollback()
        problems = field_errors(refused)
        detail = "; ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in problems.items())
        message = f"{refused.message} {detail}".strip()
        return render_partnerships(problem=message, status=refused.status)
    flash(_("The partnership was saved."), "success")
    return redirect(url_for("partner_pages.partnerships"))


def refused_card(plural: str, record_id: int, error: DomainError, sent: dict[str, Any]):
    """The record page again, the partner card's form open with what was sent and why not."""
    db.session.rollback()
    resource = RESOURCE_BY_NAME[plural]
    form = {"sent": sent, "errors": field_errors(error), "message": error.message}
    record = resource.get(current_user, record_id)
    return render_record(resource, record, partner_form=form), error.status


@partner_pages.post(f"/{SHARED_PATH}")
@login_required
def register(plural: str, record_id: int) -> Response | tuple[str, int]:
    """Register a shared deal from this contact or company (the partner's side)."""
    record_type = RESOURCE_BY_NAME[plural].singular
    sent = {
        name: request.form.get(name, "").strip()
        for name in ("partnership_id", "name", "amount", "close_date", "product_interest")
    }
    sent.update({name: request.form.get(name, "") for name in NOTE_FIELDS})
    payload: dict[str, Any] = {
        **sent,
        "partnership_id": form_id(sent["partnership_id"]),
        "from": {"type": record_type, "id": record_id},
    }
    for name in ("amount", "close_date"):
        if not sent[name]:
            payload.pop(name)
    try:
        register_shared_deal(current_user, payload)
    except DomainError as refused:
        return refused_card(plural, record_id, refused, sent)
    flash(_("The deal was registered with the partner."), "success")
    return redirect(url_for("record_pages.record_page", plural=plural, record_id=record_id))


@partner_pages.post("/deals/<int:deal_id>/share")
@login_required
def share(deal_id: int) -> Response | tuple[str, int]:
    """Share this deal with a partner (the selling side), once the rep confirms."""
    sent = {
        "partnership_id": request.form.get("partnership_id", "").strip(),
        "partner_contact": request.form.get("partner_contact", "").strip(),
        "welcome_note": request.form.get("welcome_note", ""),
    }
    payload = {
        **sent,
        "partnership_id": form_id(sent["partnership_id"]),
        "confirmed": request.form.get("confirmed") == "yes",
    }
    try:
        share_existing_deal(current_user, deal_id, payload)
    except DomainError as refused:
        return refused_card("deals", deal_id, refused, sent)
    flash(_("The deal is shared with the partner."), "success")
    return redirect(url_for("record_pages.record_page", plural="deals", record_id=deal_id))


@partner_pages.post("/deals/<int:deal_id>/shared")
@login_required
def change_shared(deal_id: int) -> Response | tuple[str, int]:
    """Change the shared deal's product interest and compensation flag, from either side."""
    sent = {"product_interest": request.form.get("product_interest", "")}
    payload = {**sent, "compensation_eligible": request.form.get("compensation_eligible") == "yes"}
    try:
        change_shared_fields(current_user, deal_id, payload)
    except DomainError as refused:
        return refused_card("deals", deal_id, refused, sent)
    flash(_("Saved."), "success")
    return redirect(url_for("record_pages.record_page", plural="deals", record_id=deal_id))


@partner_pages.app_context_processor
def partner_cards() -> dict[str, Any]:
    """The record page's partner cards, computed only when the page includes them."""

    def shared_deals(record_type: str, record: Any) -> dict[str, Any] | None:
        """A contact's or company's shared deals card."""
        return shared_deals_card(current_user, record_type, record.id)

    def deal_sharing(deal: Deal) -> dict[str, Any] | None:
        """A deal's partner card."""
        return deal_sharing_card(current_user, deal)

    return {
        "partner_shared_deals": shared_deals,
        "partner_deal_sharing": deal_sharing,
        "partner_field_labels": FIELD_LABELS,
    }
