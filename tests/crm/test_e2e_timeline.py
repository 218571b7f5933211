"""Record timelines in Chromium against a live server: the one-pin rule with its dialog, and the
activity-type filter saved per user and per record type."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_timeline import activity_at


@pytest.fixture
def app_config(app_config):
    """CSRF protection on, as in production: the pages send the token with every API call."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def open_record(page: Any, live: Any, path: str) -> Any:
    """Go to a record page and wait until its timeline script is ready."""
    page.goto(f"{live.url}{path}")
    page.wait_for_selector("[data-timeline][data-ready=true]")
    return page


def card_ids(page: Any) -> list[int]:
    """The activity ids of the timeline's cards, top first."""
    return [
        int(i)
        for i in page.eval_on_selector_all(
            "[data-activity]", "cs => cs.map(c => c.dataset.activityId)"
        )
    ]


def test_one_pin_per_record_asks_before_replacing_it(sign_in_as, live, world, screenshots):
    from playwright.sync_api import expect

    contact = factories.make_contact(world.account, first_name="Peter")
    first = activity_at(world.account, [("contact", contact.id)], 3, "note", "Kick-off call")
    second = activity_at(world.account, [("contact", contact.id)], 1, "email", "Pricing")
    path = f"/contacts/{contact.id}"
    page = open_record(sign_in_as("alice@acme.example"), live, path)
    assert card_ids(page) == [second.id, first.id]

    first_card = page.locator(f'[data-activity-id="{first.id}"]')
    expand = first_card.locator("[data-expand]")
    expand.focus()
    page.keyboard.press("Enter")
    expect(expand).to_have_attribute("aria-expanded", "true")
    expect(first_card.locator(".activity-body")).to_be_visible()

    first_card.locator("[data-action=pin]").click()
    expect(page.locator("[data-activity]").first).to_have_attribute("data-pinned", "true")
    assert card_ids(page) == [first.id, second.id]

    dialog = page.locator("[data-confirm-dialog]")
    second_pin = page.locator(f'[data-activity-id="{second.id}"] [data-action=pin]')
    second_pin.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Another activity is pinned")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    screenshots(page, "timeline-replace-pin-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert card_ids(page) == [first.id, second.id]

    page.locator(f'[data-activity-id="{second.id}"] [data-action=pin]').click()
    dialog.locator("[data-confirm-ok]").click()
    expect(page.locator("[data-activity]").first).to_have_attribute(
        "data-activity-id", str(second.id)
    )
    expect(page.locator(f'[data-activity-id="{second.id}"]')).to_have_attribute(
        "data-pinned", "true"
    )
    expect(page.locator(f'[data-activity-id="{first.id}"]')).to_have_attribute(
        "data-pinned", "false"
    )
    assert page.locator(".pin-badge").count() == 1
    screenshots(page, "timeline-pinned")

    bob = open_record(sign_in_as("bob@acme.example", width=390), live, path)
    assert card_ids(bob) == [second.id, first.id]
    expect(bob.locator("[data-activity]").first).to_have_attribute("data-pinned", "true")
    screenshots(bob, "timeline-phone-other-user")


def test_type_filter_is_saved_per_user_and_per_record_type(sign_in_as, live, world, screenshots):
    from playwright.sync_api import expect

    first = factories.make_contact(world.account, first_name="Peter")
    second = factories.make_contact(world.account, "milton@initech.example", first_name="Milton")
    company = factories.make_company(world.account)
    for record in (("contact", first.id), ("contact", second.id), ("company", company.id)):
        activity_at(world.account, [record], 2, "note", f"Note on {record[0]} {record[1]}")
        activity_at(world.account, [record], 1, "email", f"Mail to {record[0]} {record[1]}")

    page = open_record(sign_in_as("alice@acme.example"), live, f"/contacts/{first.id}")
    notes = page.locator(".activity-note")
    expect(notes).to_have_count(1)
    page.locator("[data-timeline-filter] input[value=note]").uncheck()
    expect(notes).to_have_count(0)
    expect(page.locator(".activity-email")).to_have_count(1)
    screenshots(page, "timeline-filtered")

    open_record(page, live, f"/contacts/{second.id}")
    expect(page.locator(".activity-note")).to_have_count(0)
    assert not page.locator("[data-timeline-filter] input[value=note]").is_checked()
    open_record(page, live, f"/companies/{company.id}")
    expect(page.locator(".activity-note")).to_have_count(1)

    bob = open_record(sign_in_as("bob@acme.example"), live, f"/contacts/{second.id}")
    expect(bob.locator(".activity-note")).to_have_count(1)


def test_an_activity_put_on_another_record_with_the_picker_appears_there(
    sign_in_as, live, world, screenshots
):
    from playwright.sync_api import expect

    contact = factories.make_contact(world.account, first_name="Peter")
    company = factories.make_company(world.account, "Initech", "initech.example")
    call = activity_at(world.account, [("contact", contact.id)], 1, "call", "Budget call")
    page = open_record(sign_in_as("alice@acme.example"), live, f"/contacts/{contact.id}")
    card = page.locator(f'[data-activity-id="{call.id}"]')
    card.locator("[data-expand]").click()
    card.locator("[data-action=edit-associations]").click()
    picker = card.locator("[data-editor-picker]")
    picker.fill("initech")
    expect(page.locator("[role=listbox] [role=option]")).to_have_count(1)
    expect(picker).to_have_attribute("aria-expanded", "true")
    picker.press("ArrowDown")
    expect(picker).to_have_attribute(
        "aria-activedescendant", f"{picker.get_attribute('id')}-option-0"
    )
    screenshots(page, "timeline-association-picker")
    picker.press("Enter")
    chips = page.locator(f'[data-activity-id="{call.id}"] [data-activity-records] > li')
    expect(chips).to_have_count(2)

    open_record(page, live, f"/companies/{company.id}")
    expect(page.locator(f'[data-activity-id="{call.id}"]')).to_have_count(1)
    page.locator(f'[data-activity-id="{call.id}"] [data-action=delete]').click()
    page.locator("[data-confirm-dialog] [data-confirm-ok]").click()
    expect(page.locator("[data-activity]")).to_have_count(0)
    open_record(page, live, f"/contacts/{contact.id}")
    expect(page.locator("[data-activity]")).to_have_count(0)
