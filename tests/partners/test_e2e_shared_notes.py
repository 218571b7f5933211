"""A shared deal in Chromium against a live server: the rep posts a shared message, comments on it
and adds a product line; the partner sees them on its own copy of the deal, and the Shared tab
shows only what is shared."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_e2e_timeline import open_record
from tests.partners.test_shared_notes import share_note


@pytest.fixture
def app_config(app_config):
    """CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_a_shared_message_its_comment_and_a_product_line_reach_the_partner(
    api,
    shared,
    live: Any,  # noqa: F811
    sign_in_as,
    screenshots,  # noqa: F811
):
    share_note(api, shared["acme_deal"], "Only for Acme.", shared=False)
    alice = open_record(sign_in_as("alice@acme.example"), live, f"/deals/{shared['acme_deal']}")
    alice.click("[data-shared-message] summary")
    alice.fill("#shared-message-body", "Can you book the demo?")
    alice.click("[data-shared-message] button[type=submit]")
    alice.wait_for_selector("text=Shared message posted")
    card = alice.locator("[data-activity]", has_text="Can you book the demo?")
    card.locator("textarea[name=body]").fill("Tuesday works for us.")
    card.locator(".comment-form button").click()
    alice.wait_for_selector("text=Comment added.")
    alice.click("#products details summary")
    alice.fill("#line-name", "Widgets Pro")
    alice.fill("#line-price", "120")
    alice.click("#products form[action$='/line-items'] button[type=submit]")
    alice.wait_for_selector("text=Product line added.")
    alice.click("nav.mail-views >> text=Shared")
    alice.wait_for_selector("[data-shared-change]")
    tab = alice.inner_text("#timeline")
    assert "Can you book the demo?" in tab and "Only for Acme." not in tab
    screenshots(alice, "acme-shared-tab")

    hank = open_record(sign_in_as("hank@globex.example"), live, f"/deals/{shared['globex_deal']}")
    text = hank.inner_text("main")
    assert "Can you book the demo?" in text and "Tuesday works for us." in text
    assert "Widgets Pro" in text and "Only for Acme." not in text
    assert hank.locator("[data-activity] [data-action=delete]").count() == 0  # Acme's words
    screenshots(hank, "globex-deal")
