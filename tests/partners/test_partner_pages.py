"""The partner pages in Chromium against a live server: a partner registers a deal from its
contact's "Shared deal" card, and a selling rep shares an existing deal from its page."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tracklog.extensions import db
from tracklog.models import Deal, Partnership, SharedDeal
from tracklog.partners.partnerships import accept_invitation, change_partnership, invite_partner


@pytest.fixture
def app_config(app_config):
    """CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def partnership(world) -> Partnership:
    """Acme sells through Globex; Acme's new registrations go to Bob, its named rep."""
    partnership, code = invite_partner(world.admin)
    accept_invitation(world.other_admin, code)
    change_partnership(
        world.admin, partnership.id, {"assignment": {"mode": "rep", "user_ids": [world.user.id]}}
    )
    return partnership


def test_a_partner_registers_a_deal_from_its_contact(
    sign_in_as, live, world, partnership, screenshots
):
    from playwright.sync_api import expect

    gina = factories.make_user(world.other_account, "gina@globex.example")
    contact = factories.make_contact(world.other_account, "ceo@initech.example", first_name="Ceo")
    page = sign_in_as(gina.email)
    page.goto(f"{live.url}/contacts/{contact.id}")
    card = page.locator("#shared-deals")
    expect(card).to_contain_text("None yet.")
    card.get_by_text("Add", exact=True).click()
    card.get_by_label("Register with").select_option(label="Acme Sales")
    card.get_by_label("Deal name").fill("Globex x Initech")
    card.get_by_label("Amount").fill("12000")
    card.get_by_label("Close date").fill("2027-03-31")
    card.get_by_label("Product interest").fill("Widgets Pro")
    card.get_by_label("Introduction").fill("Met at the fair.")
    card.get_by_label("Pain or opportunity").fill("Their widgets break.")
    card.get_by_label("Next steps").fill("Demo next week.")
    screenshots(page, "shared-deal-add")
    card.get_by_role("button", name="Register the deal").click()

    expect(page.locator(".flash")).to_contain_text("The deal was registered with the partner.")
    listed = page.locator("#shared-deals [data-shared-deals] li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Globex x Initech")
    expect(listed).to_contain_text("Acme Sales")
    listed.get_by_role("link").click()
    expect(page.locator("#deal-sharing")).to_contain_text("Shared with Acme Sales")
    expect(page.locator('[data-shared-note="next_steps"]')).to_have_text("Demo next week.")

    shared = db.session.scalar(db.select(SharedDeal))
    selling = db.session.get(Deal, shared.selling_deal_id)
    assert selling.account_id == world.account.id and selling.owner_id == world.user.id
    bob = sign_in_as(world.user.email)
    bob.goto(f"{live.url}/deals/{selling.id}")
    expect(bob.locator("h1")).to_have_text("Globex x Initech")
    expect(bob.locator("#deal-sharing")).to_contain_text("Shared with Globex")
    expect(bob.locator('[data-shared-note="introduction"]')).to_have_text("Met at the fair.")
    expect(bob.locator("#shared-product-interest")).to_have_value("Widgets Pro")
    screenshots(bob, "shared-deal-selling-side")


def test_a_rep_shares_a_deal_once_confirmed(sign_in_as, live, world, partnership, screenshots):
    from playwright.sync_api import expect

    gina = factories.make_user(world.other_account, "gina@globex.example")
    deal = factories.make_deal(world.account, "Initech renewal", amount=5000)
    page = sign_in_as(world.user.email)
    page.goto(f"{live.url}/deals/{deal.id}")
    card = page.locator("#deal-sharing")
    card.get_by_text("Share this deal").click()
    card.get_by_label("Partner contact").fill(gina.email)
    card.get_by_label("Welcome note").fill("Welcome aboard, Gina.")
    card.get_by_role("button", name="Share with the partner").click()

    problems = page.locator("#share-problems")
    expect(problems).to_contain_text("Confirm that you checked with the partner")
    expect(card.get_by_label("Partner contact")).to_have_value(gina.email)
    expect(card.get_by_label("Welcome note")).to_have_value("Welcome aboard, Gina.")
    screenshots(page, "share-deal-needs-confirmation")
    assert db.session.scalar(db.select(db.func.count(SharedDeal.id))) == 0

    card.get_by_label("I have checked with the partner that they can work this deal").check()
    card.get_by_role("button", name="Share with the partner").click()
    expect(page.locator(".flash")).to_contain_text("The deal is shared with the partner.")
    expect(page.locator("#deal-sharing")).to_contain_text("Shared with Globex")

    shared = db.session.scalar(db.select(SharedDeal))
    twin = db.session.get(Deal, shared.partner_deal_id)
    assert twin.account_id == world.other_account.id and twin.owner_id == gina.id
    theirs = sign_in_as(gina.email)
    theirs.goto(f"{live.url}/deals/{twin.id}")
    expect(theirs.locator("h1")).to_have_text("Initech renewal")
    expect(theirs.locator('[data-shared-note="welcome_note"]')).to_have_text(
        "Welcome aboard, Gina."
    )
    screenshots(theirs, "shared-deal-partner-side")


def test_an_admin_invites_and_ends_after_confirming(sign_in_as, live, world, screenshots):
    from playwright.sync_api import expect

    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/settings/me")
    page.locator(".settings-nav").get_by_role("link", name="Partners").click()
    page.get_by_label("Note (optional, such as who the partner is)").fill("Globex, reseller")
    page.locator("#invite-partner").get_by_role("button", name="Invite a partner").click()
    code = page.locator("#invite-code-value")
    expect(code).to_have_value(re.compile(r"^tlp_"))
    screenshots(page, "partners-invite-code")

    partnership = db.session.scalar(db.select(Partnership))
    section = page.locator(f"#partnership-settings-{partnership.id}")
    end = section.get_by_role("button", name="End the partnership")
    expect(end).to_be_hidden()
    section.get_by_text("End this partnership…").click()
    expect(section).to_contain_text("This cannot be undone.")
    end.click()
    expect(page.locator(".flash")).to_contain_text("The partnership was ended.")
    expect(page.locator(f"#partnership-{partnership.id} .status")).to_have_text("Ended")
    expect(page.locator("#invite-code-value")).to_have_count(0)
    screenshots(page, "partners-ended")
