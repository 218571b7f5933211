"""The partner pages through a browser-like client: the partnerships settings page, the record
cards' forms, the companies list's registrations, and one account never seeing the other's."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from tests.factories import make_company, make_contact, make_deal, make_user
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.models import Deal, Partnership, RecordAssociation, SharedDeal


@pytest.fixture
def alice(app, world):
    """A client signed in as Acme's admin (the selling side)."""
    client = app.test_client()
    sign_in(client, "alice@acme.example")
    return client


@pytest.fixture
def hank(app, world):
    """A client signed in as Globex's admin (the partner side)."""
    client = app.test_client()
    sign_in(client, "hank@globex.example")
    return client


def text_of(response, status: int = 200) -> str:
    """A response's HTML, unescaped, after checking its status."""
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return html_lib.unescape(response.get_data(as_text=True))


def invite_code(page: str) -> str:
    """The invite code a page shows."""
    return re.search(r'id="invite-code-value" class="token" value="(tlp_[^"]+)"', page).group(1)


@pytest.fixture
def partnership(alice, hank) -> Partnership:
    """Acme invited Globex through the pages, and Globex accepted."""
    code = invite_code(text_of(alice.post("/settings/partners/invite", data={}), 201))
    assert hank.post("/settings/partners/accept", data={"invite_code": code}).status_code == 302
    return db.session.scalar(db.select(Partnership))


def test_an_invite_code_is_shown_once_and_accepted_by_the_partner(alice, hank, world):
    page = text_of(alice.post("/settings/partners/invite", data={"note": "Reseller"}), 201)
    code = invite_code(page)
    listing = text_of(alice.get("/settings/partners"))
    assert code not in listing and "Waiting for the partner to accept" in listing
    assert "Reseller" in listing
    accepted = hank.post("/settings/partners/accept", data={"invite_code": code})
    assert accepted.headers["Location"].endswith("/settings/partners")
    theirs = text_of(hank.get("/settings/partners"))
    assert "Acme Sales" in theirs and "The partnership is active." in theirs
    assert "We are their partner" in theirs and "Active" in theirs
    again = text_of(hank.post("/settings/partners/accept", data={"invite_code": code}), 404)
    assert "unknown or was already used" in again


def test_notification_recipients_and_round_robin_are_saved(alice, world, partnership):
    carol = make_user(world.account, "carol@acme.example")
    form = {
        "notify_user_ids": [str(world.admin.id), str(world.user.id)],
        "assignment_mode": "round_robin",
        "rotation_user_ids": [str(world.user.id), str(carol.id)],
        "rep_user_id": str(world.admin.id),
    }
    saved = alice.post(f"/settings/partners/{partnership.id}", data=form)
    assert saved.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Partnership, partnership.id)
    assert changed.selling_notify_ids == [world.admin.id, world.user.id]
    assert (changed.assignment_mode, changed.assignee_ids) == (
        "round_robin",
        [world.user.id, carol.id],
    )
    page = text_of(alice.get("/settings/partners"))
    assert re.search(rf'name="rotation_user_ids" value="{carol.id}" checked', page)
    stranger = alice.post(
        f"/settings/partners/{partnership.id}",
        data={"notify_user_ids": [str(world.other_admin.id)]},
    )
    assert "must be a list of ids of active users of your account" in text_of(stranger, 422)


def test_the_partner_side_sets_its_recipients_but_never_the_assignment(hank, world, partnership):
    page = text_of(hank.get("/settings/partners"))
    assert "assignment_mode" not in page
    saved = hank.post(
        f"/settings/partners/{partnership.id}",
        data={"notify_user_ids": [str(world.other_admin.id)]},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Partnership, partnership.id).partner_notify_ids == [world.other_admin.id]


def test_either_side_ends_a_partnership(hank, alice, partnership):
    ended = hank.post(f"/settings/partners/{partnership.id}/end")
    assert ended.status_code == 302
    page = text_of(alice.get("/settings/partners"))
    assert "Ended" in page and f'id="partnership-settings-{partnership.id}"' not in page


def test_non_admins_get_403_and_no_link(app, world):
    bob = app.test_client()
    sign_in(bob, "bob@acme.example")
    assert bob.get("/settings/partners").status_code == 403
    refused = text_of(bob.post("/settings/partners/invite"), 403)
    assert "Only an admin can invite a partner." in refused and "Partnerships" not in refused
    assert bob.post("/settings/partners/accept", data={"invite_code": "tlp_x"}).status_code == 403
    assert "/settings/partners" not in text_of(bob.get("/settings/me"))


def test_another_accounts_partnership_is_not_found(app, alice, world):
    other = make_user(world.other_account, "wanda@globex.example", role="admin")
    wanda = app.test_client()
    sign_in(wanda, other.email)
    code = invite_code(text_of(wanda.post("/settings/partners/invite", data={}), 201))
    theirs = db.session.scalar(db.select(Partnership))
    assert code
    assert alice.post(f"/settings/partners/{theirs.id}/end").status_code == 404
    assert alice.post(f"/settings/partners/{theirs.id}", data={}).status_code == 404


def register_form(partnership: Partnership, **changes: str) -> dict[str, str]:
    """The contact card's Add form, filled in."""
    return {
        "partnership_id": str(partnership.id),
        "name": "Globex x Initech",
        "amount": "12000",
        "close_date": "2027-03-31",
        "product_interest": "Widgets Pro",
        "introduction": "Met at the fair.",
        "pain_or_opportunity": "Their widgets break.",
        "next_steps": "Demo next week.",
        **changes,
    }


def test_a_refused_registration_keeps_the_form_and_says_why(hank, world, partnership):
    contact = make_contact(world.other_account, "ceo@initech.example")
    refused = hank.post(
        f"/contacts/{contact.id}/shared-deals", data=register_form(partnership, amount="lots")
    )
    page = text_of(refused, 422)
    assert "Some fields are not valid." in page and "must be a number" in page
    assert 'value="Globex x Initech"' in page and "Demo next week.</textarea>" in page
    assert db.session.scalar(db.select(db.func.count(SharedDeal.id))) == 0


def test_a_registration_from_a_company_card_counts_on_the_companies_list(hank, world, partnership):
    company = make_company(world.other_account)
    added = hank.post(f"/companies/{company.id}/shared-deals", data=register_form(partnership))
    assert added.status_code == 302
    card = text_of(hank.get(f"/companies/{company.id}"))
    assert "Globex x Initech" in card and "Acme Sales" in card
    listing = text_of(hank.get("/companies?registrations=1"))
    assert "Initech" in listing and re.search(r"data-registrations>1<", listing)
    assert "Initech" not in text_of(hank.get("/companies?registrations=2")).split("<tbody>")[1]


def test_a_contact_page_shows_only_its_own_accounts_side(alice, hank, world, partnership):
    theirs = make_contact(world.other_account, "ceo@initech.example")
    hank.post(f"/contacts/{theirs.id}/shared-deals", data=register_form(partnership))
    private = make_deal(world.other_account, "Globex private deal")
    db.session.add(
        RecordAssociation(
            account_id=world.other_account.id,
            from_type="contact",
            from_id=theirs.id,
            to_type="deal",
            to_id=private.id,
        )
    )
    db.session.commit()
    ours = make_contact(world.account, "ceo@initech.example")
    selling = db.session.scalar(db.select(Deal).filter_by(account_id=world.account.id))
    mine = text_of(alice.get(f"/contacts/{ours.id}"))
    assert "Globex x Initech" not in mine and "Globex private deal" not in mine
    assert alice.get(f"/contacts/{theirs.id}").status_code == 404
    assert alice.get(f"/deals/{private.id}").status_code == 404
    partner_page = text_of(hank.get(f"/contacts/{theirs.id}"))
    shared_card = partner_page.split('id="shared-deals"')[1].split("</section>")[0]
    assert "Globex x Initech" in shared_card and "Globex private deal" not in shared_card
    assert f"/deals/{selling.id}" not in partner_page


def test_the_deal_card_shares_after_confirming_and_edits_shared_fields(
    alice, hank, world, partnership
):
    deal = make_deal(world.account, "Initech renewal", amount=5000)
    form = {"partnership_id": str(partnership.id), "partner_contact": "hank@globex.example"}
    refused = text_of(
        alice.post(f"/deals/{deal.id}/share", data={**form, "welcome_note": "Hi"}), 400
    )
    assert "Confirm that you checked with the partner" in refused and "Hi</textarea>" in refused
    shared = alice.post(f"/deals/{deal.id}/share", data={**form, "confirmed": "yes"})
    assert shared.status_code == 302
    page = text_of(alice.get(f"/deals/{deal.id}"))
    assert "Shared with Globex" in page
    twin = db.session.scalar(db.select(Deal).filter_by(account_id=world.other_account.id))
    changed = hank.post(
        f"/deals/{twin.id}/shared",
        data={"product_interest": "Widgets Max", "compensation_eligible": "yes"},
    )
    assert changed.status_code == 302
    page = text_of(alice.get(f"/deals/{deal.id}"))
    assert 'value="Widgets Max"' in page
    assert "hank (partner) changed Product interest from “” to “Widgets Max”" in page
    assert "hank (partner) changed Eligible for compensation from “no” to “yes”" in page
    assert re.search(
        r'id="shared-compensation-eligible" name="compensation_eligible" value="yes" checked', page
    )


@pytest.mark.parametrize(
    ("locale", "heading", "card"),
    [("ja", "パートナーを招待", "共有取引"), ("sv", "Bjud in en partner", "Delad affär")],
)
def test_the_partner_pages_speak_japanese_and_swedish(
    alice, world, partnership, locale, heading, card
):
    world.admin.locale = locale
    db.session.commit()
    assert heading in text_of(alice.get("/settings/partners"))
    contact = make_contact(world.account, "ceo@initech.example")
    assert card in text_of(alice.get(f"/contacts/{contact.id}"))


def test_bad_forms_answer_a_page_never_a_500(alice, hank, world, partnership):
    contact = make_contact(world.other_account, "ceo@initech.example")
    path = f"/contacts/{contact.id}/shared-deals"
    assert "There is no partnership abc." in text_of(
        hank.post(path, data=register_form(partnership, partnership_id="abc")), 404
    )
    text_of(hank.post(path, data=register_form(partnership, name="Glo\x00bex")), 422)
    text_of(hank.post(path, data=register_form(partnership, amount="1e99")), 422)
    text_of(hank.post(f"/contacts/{2**31}/shared-deals", data=register_form(partnership)), 404)
    deal = make_deal(world.account)
    share = {"partnership_id": str(2**31), "confirmed": "yes", "partner_contact": "x"}
    text_of(alice.post(f"/deals/{deal.id}/share", data=share), 404)
    text_of(alice.post(f"/deals/{deal.id}/shared", data={"product_interest": "x" * 300}), 404)
    settings = {"notify_user_ids": ["abc", str(2**31)], "assignment_mode": "never"}
    page = text_of(alice.post(f"/settings/partners/{partnership.id}", data=settings), 422)
    assert "Notified of partner deal activity" in page
    text_of(alice.post(f"/settings/partners/{2**31}/end"), 404)
    text_of(hank.post("/settings/partners/accept", data={"invite_code": "tlp_\x00"}), 422)
    text_of(alice.post("/settings/partners/invite", data={"note": "x" * 201}), 422)


def test_the_selling_sides_companies_list_counts_its_own_twins(alice, hank, world, partnership):
    theirs = make_contact(world.other_account, "ceo@initech.example")
    hank.post(f"/contacts/{theirs.id}/shared-deals", data=register_form(partnership))
    selling = db.session.scalar(db.select(Deal).filter_by(account_id=world.account.id))
    initech = make_company(world.account)
    make_company(world.account, "Hooli", "hooli.example")
    db.session.add(
        RecordAssociation(
            account_id=world.account.id,
            from_type="company",
            from_id=initech.id,
            to_type="deal",
            to_id=selling.id,
        )
    )
    db.session.commit()
    listing = text_of(alice.get("/companies?registrations=1")).split("<tbody>")[1]
    assert "Initech" in listing and "Hooli" not in listing
    card = text_of(alice.get(f"/companies/{initech.id}")).split('id="shared-deals"')[1]
    assert "Globex x Initech" in card.split("</section>")[0] and "Add</summary>" not in card
