"""A deal's mail in Chromium: switch between the deal's mail and its contacts' mail, associate a
contact's mail with the deal, move one to a new deal and remove one, each from its card."""

from __future__ import annotations

import re

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_deal_mail import deals, on_deals  # noqa: F401 - the deals fixture
from tests.crm.test_e2e_timeline import app_config, open_record  # noqa: F401
from tracklog.extensions import db
from tracklog.models import Deal


def test_associate_move_and_remove_from_the_deal_page(sign_in_as, live, deals, screenshots):  # noqa: F811 - deals, the fixture imported above
    from playwright.sync_api import expect

    path = f"/deals/{deals.renewal.id}"
    page = open_record(sign_in_as("alice@acme.example"), live, f"{path}?mail=contacts")
    tabs = page.get_by_role("navigation", name="Which mail")
    expect(tabs.get_by_role("link", name="Mail of this deal's contacts")).to_have_attribute(
        "aria-current", "page"
    )
    lunch = page.locator(f'[data-activity-id="{deals.joannas.id}"]')
    expect(lunch.get_by_text("Associated with this deal")).to_have_count(0)
    lunch.get_by_role("button", name="Associate with this deal").click()
    page.wait_for_selector("[data-timeline][data-ready=true]")
    expect(page.get_by_text("The mail is on this deal now.")).to_be_visible()
    assert "mail=contacts" in page.url
    lunch = page.locator(f'[data-activity-id="{deals.joannas.id}"]')
    expect(lunch.get_by_text("Associated with this deal")).to_have_count(1)

    terms = page.locator(f'[data-activity-id="{deals.on_renewal.id}"]')
    terms.get_by_label("Move to another deal").select_option(label="A new deal…")
    terms.get_by_role("button", name="Move", exact=True).click()
    page.wait_for_selector("[data-timeline][data-ready=true]")
    expect(page.get_by_text("The mail was moved to Renewal terms.")).to_be_visible()
    screenshots(page, "deal-contact-mail")

    page.get_by_role("navigation", name="Which mail").get_by_role(
        "link", name="Mail associated with this deal"
    ).click()
    page.wait_for_url(re.compile(r"mail=deal"))
    page.wait_for_selector("[data-timeline][data-ready=true]")
    cards = page.locator("[data-activity]")
    expect(cards).to_have_count(1)
    cards.first.get_by_role("button", name="Remove from this deal").click()
    page.wait_for_selector("[data-timeline][data-ready=true]")
    expect(page.get_by_text("No mail on this deal yet.")).to_be_visible()

    db.session.expire_all()
    assert on_deals(deals.joannas) == {}
    [new_id] = on_deals(deals.on_renewal)
    assert db.session.get(Deal, new_id).name == "Renewal terms"
