"""Setting the legal basis of several contacts from the contacts list, in Chromium."""

from __future__ import annotations

from tests import factories
from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tracklog.extensions import db
from tracklog.models import Contact


def test_selected_contacts_get_the_chosen_legal_basis(
    sign_in_as,
    live,
    world,
    screenshots,
):
    from playwright.sync_api import expect

    people = [factories.make_contact(world.account, f"p{n}@initech.example") for n in range(3)]
    page = sign_in_as("alice@acme.example")
    page.goto(f"{live.url}/contacts")

    for person in people[:2]:
        page.check(f'input[name=ids][value="{person.id}"]')
    page.select_option("#bulk-legal-basis-choice", "legitimate_interest")
    screenshots(page, "contacts-bulk-legal-basis")
    page.click("#bulk-legal-basis button[type=submit]")

    expect(page.locator(".flash-success")).to_have_text("Legal basis set on 2 contacts.")
    db.session.expire_all()
    stored = [db.session.get(Contact, person.id).legal_basis for person in people]
    assert stored == ["legitimate_interest", "legitimate_interest", None]
