"""Partnerships and shared deals between two accounts: invitation, registration, conversion,
sync both ways with a change log, ending, and nothing of one account reaching the other."""

from __future__ import annotations

import pytest

from tests.factories import (
    make_account,
    make_company,
    make_contact,
    make_deal,
    make_user,
    token_for,
)
from tracklog.extensions import db
from tracklog.models import Deal, Notification, RecordAssociation, Stage


@pytest.fixture
def partnership(api, world):
    """Acme (selling) invited Globex (partner), and Globex accepted."""
    invited = api.post("/partnerships", {"note": "Globex reseller"})
    assert invited.status_code == 201, invited.json
    globex = api.as_token(world.other_token)
    accepted = globex.post("/partnerships/accept", {"invite_code": invited.json["invite_code"]})
    assert accepted.status_code == 200, accepted.json
    return {"id": invited.json["id"], "code": invited.json["invite_code"], "globex": globex}


def register(globex, partnership_id: int, contact_id: int, **fields):
    """Globex registers a deal from one of its contacts."""
    body = {
        "partnership_id": partnership_id,
        "from": {"type": "contact", "id": contact_id},
        "name": "Globex x Initech",
        "amount": 12000,
        "close_date": "2027-03-31",
        "product_interest": "Widgets Pro",
        "introduction": "Met at the fair.",
        "pain_or_opportunity": "Their widgets break.",
        "next_steps": "Demo next week.",
        **fields,
    }
    return globex.post("/shared-deals", body)


def deal_row(deal_id: int) -> Deal:
    """A deal read fresh from the database."""
    db.session.expire_all()
    return db.session.get(Deal, deal_id)


def twin_of(shared_id: int, side: str) -> Deal:
    """The deal of one side of a shared deal."""
    from tracklog.models import SharedDeal

    db.session.expire_all()
    shared = db.session.get(SharedDeal, shared_id)
    return db.session.get(
        Deal, shared.selling_deal_id if side == "selling" else shared.partner_deal_id
    )


def test_invitation_is_accepted_once_and_both_sides_list_it(api, world, partnership):
    mine = api.get("/partnerships").json["items"]
    theirs = partnership["globex"].get("/partnerships").json["items"]
    assert [(p["side"], p["status"], p["other_account"]) for p in mine] == [
        ("selling", "active", "Globex")
    ]
    assert [(p["side"], p["other_account"]) for p in theirs] == [("partner", "Acme Sales")]
    again = partnership["globex"].post("/partnerships/accept", {"invite_code": partnership["code"]})
    assert again.status_code == 404
    assert "invite_code" not in mine[0]


def test_only_admins_invite_and_nobody_partners_with_itself(api, world):
    bob = api.as_token(world.user_token)
    assert bob.post("/partnerships", {}).status_code == 403
    code = api.post("/partnerships", {}).json["invite_code"]
    assert api.post("/partnerships/accept", {"invite_code": code}).status_code == 409


def test_a_partner_registers_a_deal_and_the_selling_side_hears_of_it(api, world, partnership):
    globex = partnership["globex"]
    contact = make_contact(world.other_account, "ceo@initech.example")
    created = register(globex, partnership["id"], contact.id)
    assert created.status_code == 201, created.json
    shared = created.json
    assert shared["side"] == "partner" and shared["next_steps"] == "Demo next week."
    partner_deal = deal_row(shared["deal_id"])
    assert partner_deal.account_id == world.other_account.id and partner_deal.amount == 12000
    link = db.session.scalar(
        db.select(RecordAssociation).filter_by(to_type="deal", to_id=partner_deal.id)
    )
    assert (link.from_type, link.from_id) == ("contact", contact.id)
    selling = twin_of(shared["id"], "selling")
    assert selling.account_id == world.account.id and selling.owner_id == world.admin.id
    assert selling.name == "Globex x Initech"
    acme_view = api.get(f"/shared-deals/{shared['id']}").json
    assert acme_view["deal_id"] == selling.id and acme_view["introduction"] == "Met at the fair."
    [told] = db.session.scalars(db.select(Notification).filter_by(user_id=world.admin.id)).all()
    assert told.kind == "partner" and told.params["other"] == "Globex"


def test_registration_is_validated_and_needs_an_own_contact(api, world, partnership):
    globex = partnership["globex"]
    acme_contact = make_contact(world.account, "peter@initech.example")
    refused = register(globex, partnership["id"], acme_contact.id)
    assert refused.status_code == 422 and "from" in refused.json["error"]["details"]["fields"]
    contact = make_contact(world.other_account, "ceo@initech.example")
    bad = register(globex, partnership["id"], contact.id, name="", amount="lots")
    assert set(bad.json["error"]["details"]["fields"]) >= {"name", "amount"}
    assert register(api, partnership["id"], contact.id).status_code == 404  # not the partner side


def test_a_rep_shares_an_existing_deal_after_confirming(api, world, partnership):
    deal = make_deal(world.account, "Initech renewal", amount=5000)
    body = {"partnership_id": partnership["id"], "partner_contact": "hank@globex.example"}
    refused = api.post(f"/deals/{deal.id}/share", {**body, "welcome_note": "Hi"})
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "confirmation_required"
    wrong = api.post(
        f"/deals/{deal.id}/share",
        {**body, "partner_contact": "bob@acme.example", "confirmed": True},
    )
    assert "partner_contact" in wrong.json["error"]["details"]["fields"]
    shared = api.post(f"/deals/{deal.id}/share", {**body, "welcome_note": "Hi", "confirmed": True})
    assert shared.status_code == 201, shared.json
    partner_deal = twin_of(shared.json["id"], "partner")
    assert partner_deal.account_id == world.other_account.id
    assert partner_deal.owner_id == world.other_admin.id and partner_deal.amount == 5000
    again = api.post(f"/deals/{deal.id}/share", {**body, "confirmed": True})
    assert again.status_code == 422


def test_changes_sync_both_ways_with_who_changed_what(api, world, partnership):
    globex = partnership["globex"]
    contact = make_contact(world.other_account, "ceo@initech.example")
    shared = register(globex, partnership["id"], contact.id).json
    selling = twin_of(shared["id"], "selling")
    assert api.patch(f"/deals/{selling.id}", {"amount": 15000, "name": "Bigger"}).status_code == 200
    partner_deal = deal_row(shared["deal_id"])
    assert (partner_deal.amount, partner_deal.name) == (15000, "Bigger")
    won = db.session.scalar(
        db.select(Stage).filter_by(pipeline_id=partner_deal.pipeline_id, kind="won")
    )
    assert globex.patch(f"/deals/{partner_deal.id}", {"stage_id": won.id}).status_code == 200
    assert twin_of(shared["id"], "selling").status == "won"
    globex.patch(f"/deals/{partner_deal.id}/shared", {"product_interest": "Widgets Max"})
    log = api.get(f"/shared-deals/{shared['id']}").json
    changes = [(c["field"], c["new"], c["side"]) for c in log["changes"]]
    assert ("amount", "15000.00", "selling") in changes or ("amount", "15000", "selling") in changes
    assert ("stage", "won", "partner") in changes
    assert ("product_interest", "Widgets Max", "partner") in changes
    assert log["product_interest"] == "Widgets Max"
    assert all(c["by"] for c in log["changes"])


def test_an_ended_partnership_shares_nothing_new(api, world, partnership):
    globex = partnership["globex"]
    contact = make_contact(world.other_account, "ceo@initech.example")
    shared = register(globex, partnership["id"], contact.id).json
    ended = globex.post(f"/partnerships/{partnership['id']}/end")
    assert ended.status_code == 200 and ended.json["status"] == "ended"
    selling = twin_of(shared["id"], "selling")
    api.patch(f"/deals/{selling.id}", {"amount": 1})
    assert deal_row(shared["deal_id"]).amount == 12000
    assert register(globex, partnership["id"], contact.id).status_code == 409


def test_round_robin_assigns_registrations_in_turn(api, world, partnership):
    changed = api.patch(
        f"/partnerships/{partnership['id']}",
        {"assignment": {"mode": "round_robin", "user_ids": [world.admin.id, world.user.id]}},
    )
    assert changed.status_code == 200, changed.json
    contact = make_contact(world.other_account, "ceo@initech.example")
    owners = [
        twin_of(
            register(partnership["globex"], partnership["id"], contact.id).json["id"], "selling"
        ).owner_id
        for _turn in range(3)
    ]
    assert owners == [world.admin.id, world.user.id, world.admin.id]
    bad = api.patch(
        f"/partnerships/{partnership['id']}",
        {"assignment": {"mode": "rep", "user_ids": [world.other_admin.id]}},
    )
    assert bad.status_code == 422


def test_nothing_of_one_account_reaches_a_third(api, world, partnership):
    third = make_account("Initrode")
    stranger = api.as_token(token_for(make_user(third, "x@initrode.example", role="admin")))
    contact = make_contact(world.other_account, "ceo@initech.example")
    shared = register(partnership["globex"], partnership["id"], contact.id).json
    assert stranger.get(f"/partnerships/{partnership['id']}").status_code == 404
    assert stranger.get(f"/shared-deals/{shared['id']}").status_code == 404
    assert stranger.get("/shared-deals").json["items"] == []
    assert stranger.post(f"/partnerships/{partnership['id']}/end").status_code == 404
    selling = twin_of(shared["id"], "selling")
    assert partnership["globex"].get(f"/deals/{selling.id}").status_code == 404
    assert partnership["globex"].patch(f"/deals/{selling.id}/shared", {}).status_code == 404


def test_companies_count_their_active_deal_registrations(api, world, partnership):
    globex = partnership["globex"]
    initech = make_company(world.other_account)
    assert globex.get(f"/companies/{initech.id}").json["active_deal_registrations"] == 0
    body = {"from": {"type": "company", "id": initech.id}}
    shared = register(globex, partnership["id"], initech.id, **body).json
    assert globex.get(f"/companies/{initech.id}").json["active_deal_registrations"] == 1
    listed = globex.get("/companies").json["items"]
    assert [c["active_deal_registrations"] for c in listed] == [1]
    partner_deal = deal_row(shared["deal_id"])
    won = db.session.scalar(
        db.select(Stage).filter_by(pipeline_id=partner_deal.pipeline_id, kind="won")
    )
    globex.patch(f"/deals/{partner_deal.id}", {"stage_id": won.id})
    assert globex.get(f"/companies/{initech.id}").json["active_deal_registrations"] == 0


def test_the_companies_list_filters_by_active_deal_registrations(api, world, partnership):
    globex = partnership["globex"]
    initech = make_company(world.other_account)
    make_company(world.other_account, "Hooli", "hooli.example")
    body = {"from": {"type": "company", "id": initech.id}}
    assert register(globex, partnership["id"], initech.id, **body).status_code == 201
    listed = globex.get("/companies?min_active_deal_registrations=1").json["items"]
    assert [c["name"] for c in listed] == ["Initech"]
    assert len(globex.get("/companies?min_active_deal_registrations=0").json["items"]) == 2
    assert api.get("/companies?min_active_deal_registrations=1").json["items"] == []
    for bad in ("-1", "many", "99999999999"):
        refused = globex.get(f"/companies?min_active_deal_registrations={bad}")
        assert refused.status_code == 422, bad
        assert "min_active_deal_registrations" in refused.json["error"]["details"]["fields"]
