"""Keyboard-only walks: signing in, logging a note, moving a deal and reading a message's history
with Tab, Enter, arrows and the pages' shortcuts, never a click."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from tests.conftest import BROWSER_TIMEOUT_MS
from tracklog.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tracklog.extensions import db
from tracklog.models import Activity, Contact, Deal, User

MAX_TABS = 60


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the element matching selector has focus (it must, in the page's order)."""
    for _press in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_core_walks_need_only_a_keyboard(browser, live):
    from playwright.sync_api import expect

    seed_demo()
    admin = db.session.scalar(select(User).where(User.email == DEMO_USERS[0][0]))
    contact = db.session.scalar(select(Contact).where(Contact.account_id == admin.account_id))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/sign-in")
        tab_to(page, "#email")
        page.keyboard.type(admin.email)
        tab_to(page, "#password")
        page.keyboard.type(DEMO_PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live.url}/")

        page.keyboard.press("?")
        assert page.locator("#shortcuts").is_visible()
        page.keyboard.press("Escape")
        assert not page.locator("#shortcuts").is_visible()

        page.goto(f"{live.url}/contacts/{contact.id}")
        page.keyboard.press("n")
        page.keyboard.type("Called about the renewal, keyboard only")
        tab_to(page, ".note-form button[type=submit]")
        page.keyboard.press("Enter")
        page.get_by_text("Called about the renewal, keyboard only").first.wait_for()

        page.goto(f"{live.url}/deals/board")
        page.keyboard.press("j")
        card = page.evaluate("document.activeElement.closest('.board-card').dataset.id")
        page.keyboard.press("m")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#board-status")).to_have_text(re.compile(r"\S"))

        page.goto(f"{live.url}/messages")
        tab_to(page, "table a[href^='/messages/tl_']")
        page.keyboard.press("Enter")
        page.wait_for_selector("table.open-history")
    finally:
        context.close()

    db.session.expire_all()
    notes = select(Activity.id).where(Activity.body_text.contains("keyboard only"))
    assert db.session.scalar(notes) is not None
    deal = db.session.get(Deal, int(card))
    assert deal.stage.order == 1
