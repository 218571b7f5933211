"""Every page of the web app works in Chromium under its Content-Security-Policy: no violation
is reported while the pages load and run (the pane: tests/addin/test_pane_csp.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.addin.conftest import WATCH_VIOLATIONS
from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tracklog.demo import DEMO_PASSWORD, seed_demo
from tracklog.extensions import db
from tracklog.models import Contact, Deal, Message, User

pytestmark = pytest.mark.slow


def pages_of_the_demo() -> list[str]:
    """A path of every kind of page, with records and mail from the demo account."""
    contact = db.session.scalar(select(Contact).order_by(Contact.id))
    deal = db.session.scalar(select(Deal).order_by(Deal.id))
    message = db.session.scalar(select(Message).where(Message.tracking != "off"))
    return [
        "/",
        "/contacts",
        f"/contacts/{contact.id}",
        "/companies",
        "/deals",
        f"/deals/{deal.id}",
        "/deals/board",
        "/tickets/board",
        "/tasks",
        "/settings/pipelines",
        "/messages",
        f"/messages/{message.public_id}",
        "/logging/why",
        "/settings",
        "/settings/never-log",
        "/settings/audit",
        "/settings/tokens",
        "/settings/devices",
        "/api/docs",
    ]


def refused(page: Any) -> list[str]:
    """What the policy refused on the page so far."""
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


def test_every_page_runs_under_its_policy(browser: Any, live: Any):
    seed_demo()
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    paths = pages_of_the_demo()
    context = browser.new_context()
    console: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: console.append(message.text))
        page.add_init_script(WATCH_VIOLATIONS)
        page.goto(f"{live.url}/sign-in")
        assert refused(page) == []
        page.fill("#email", admin.email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live.url}/")
        seen = {}
        for path in paths:
            response = page.goto(f"{live.url}{path}")
            assert response.status == 200, path
            assert "script-src 'self';" in response.headers["content-security-policy"]
            seen[path] = refused(page)
        page.goto(f"{live.url}/contacts/{paths[2].rsplit('/', 1)[1]}")
        card = page.locator("[data-activity-id]:has([data-action=thread])").first
        card.locator("[data-expand]").click()
        card.locator("[data-action=thread]").click()
        page.wait_for_selector(".activity-thread:not([hidden]) .thread-item")
        seen["thread"] = refused(page)
        said = [line for line in console if "Content Security Policy" in line]
        injected = page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.__ran = true"; document.body.append(s);
                       return window.__ran === true; }"""
        )
        control = refused(page)
    finally:
        context.close()
    assert {path: found for path, found in seen.items() if found} == {}
    assert not injected and control and control[0].startswith("script-src")
    assert said == []
