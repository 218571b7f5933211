"""The partner operations of /api/v1: partnerships and shared deals."""

from __future__ import annotations

from flask import Response, g, jsonify

from tracklog.api import api
from tracklog.inputs import json_object
from tracklog.partners.notes import shared_timeline
from tracklog.partners.partnerships import (
    accept_invitation,
    change_partnership,
    end_partnership,
    invite_partner,
    partnership_json,
    partnership_of,
    partnerships_of,
)
from tracklog.partners.shared import (
    change_shared_fields,
    find_shared_deal,
    register_shared_deal,
    share_existing_deal,
    shared_deal_json,
    shared_deals_of,
)


@api.post("/partnerships")
def create_partnership() -> tuple[Response, int]:
    """Invite a partner account (admins): the partnership and its invite code, shown once."""
    partnership, code = invite_partner(g.api_user, json_object().get("note", ""))
    body = partnership_json(partnership, g.api_user.account_id) | {"invite_code": code}
    return jsonify(body), 201


@api.post("/partnerships/accept")
def accept_partnership() -> Response:
    """Accept an invitation as the partner account (admins)."""
    partnership = accept_invitation(g.api_user, json_object().get("invite_code"))
    return jsonify(partnership_json(partnership, g.api_user.account_id))


@api.get("/partnerships")
def list_partnerships() -> Response:
    """The account's partnerships, as the selling side or the partner."""
    account_id = g.api_user.account_id
    items = [partnership_json(p, account_id) for p in partnerships_of(account_id)]
    return jsonify({"items": items})


@api.get("/partnerships/<int:partnership_id>")
def get_partnership(partnership_id: int) -> Response:
    """One partnership of the account."""
    partnership = partnership_of(g.api_user, partnership_id)
    return jsonify(partnership_json(partnership, g.api_user.account_id))


@api.patch("/partnerships/<int:partnership_id>")
def patch_partnership(partnership_id: int) -> Response:
    """Who is notified on your side; on the selling side, who registrations go to (admins)."""
    partnership = change_partnership(g.api_user, partnership_id, json_object())
    return jsonify(partnership_json(partnership, g.api_user.account_id))


@api.post("/partnerships/<int:partnership_id>/end")
def end_a_partnership(partnership_id: int) -> Response:
    """End a partnership (admins of either side): shared deals stop syncing and stay."""
    partnership = end_partnership(g.api_user, partnership_id)
    return jsonify(partnership_json(partnership, g.api_user.account_id))


@api.post("/shared-deals")
def create_shared_deal() -> tuple[Response, int]:
    """Register a deal with the selling account, from a contact or company of yours."""
    shared = register_shared_deal(g.api_user, json_object())
    return jsonify(shared_deal_json(shared, g.api_user.account_id)), 201


@api.get("/shared-deals")
def list_shared_deals() -> Response:
    """The account's shared deals, on either side."""
    account_id = g.api_user.account_id
    items = [shared_deal_json(s, account_id) for s in shared_deals_of(account_id)]
    return jsonify({"items": items})


@api.get("/shared-deals/<int:shared_id>")
def get_shared_deal(shared_id: int) -> Response:
    """One shared deal with its change log, as your side sees it."""
    shared = find_shared_deal(g.api_user, shared_id)
    return jsonify(shared_deal_json(shared, g.api_user.account_id))


@api.post("/deals/<int:deal_id>/share")
def share_deal(deal_id: int) -> tuple[Response, int]:
    """Share an existing deal with a partner, once you confirm you checked with them."""
    shared = share_existing_deal(g.api_user, deal_id, json_object())
    return jsonify(shared_deal_json(shared, g.api_user.account_id)), 201


@api.patch("/deals/<int:deal_id>/shared")
def patch_shared_fields(deal_id: int) -> Response:
    """Change a shared deal's product interest or compensation flag, from either side."""
    shared = change_shared_fields(g.api_user, deal_id, json_object())
    return jsonify(shared_deal_json(shared, g.api_user.account_id))


@api.get("/records/deal/<int:deal_id>/shared-timeline")
def deal_shared_timeline(deal_id: int) -> Response:
    """Only what the deal shares with the partner: shared notes and the change log, newest first."""
    return jsonify(shared_timeline(g.api_user, deal_id))
