"""WCAG 2.2 AA: every page of the web app and the Outlook pane, checked with axe-core in Chromium,
in English (light theme), Japanese and Swedish (dark theme), has no serious or critical violation.

One test per language (xdist spreads them); each signs in once to the demo account and walks every
page in one browser context, so a language costs one seeding and one sign-in. Each page checked is
also saved as a screenshot (test-artifacts/a11y/), the loose reference a layout change is looked at
against.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import BROWSER_TIMEOUT_MS
from tracklog.auth.tokens import create_token
from tracklog.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tracklog.extensions import db
from tracklog.models import Company, Contact, Deal, Message, Pipeline, Ticket, User

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
# The rules of WCAG 2.0, 2.1 and 2.2, levels A and AA, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")
LOCALES = {"en": "en-US", "ja": "ja-JP", "sv": "sv-SE"}
SCHEMES = {"en": "light", "ja": "dark", "sv": "dark"}
STATIC_PAGES = (
    "/",
    "/contacts",
    "/companies",
    "/deals",
    "/tickets",
    "/deals/board",
    "/tickets/board",
    "/tasks",
    "/messages",
    "/insights",
    "/templates",
    "/logging/why",
    "/contacts/new",
    "/deals/new",
    "/contacts/import",
    "/settings",
    "/settings/me",
    "/settings/users",
    "/settings/pipelines",
    "/settings/never-log",
    "/settings/addresses",
    "/settings/mailbox",
    "/settings/tracking-rules",
    "/settings/tokens",
    "/settings/devices",
    "/settings/webhooks",
    "/settings/partners",
    "/settings/audit",
    "/search?q=na",
    "/api/docs",
    "/no-such-page",
)


def first_id(model: Any, account_id: int) -> int:
    """The id of the account's first record of a kind."""
    query = select(model.id).where(model.account_id == account_id).order_by(model.id)
    return db.session.scalar(query.limit(1))


def demo_pages() -> tuple[User, list[str]]:
    """The demo account's admin and every page to check, records and messages included."""
    seed_demo()
    admin = db.session.scalar(select(User).where(User.email == DEMO_USERS[0][0]))
    account_id = admin.account_id
    message = db.session.scalar(
        select(Message.public_id).where(Message.account_id == account_id).limit(1)
    )
    records = [
        f"/contacts/{first_id(Contact, account_id)}",
        f"/companies/{first_id(Company, account_id)}",
        f"/deals/{first_id(Deal, account_id)}",
        f"/tickets/{first_id(Ticket, account_id)}",
        f"/settings/pipelines/{first_id(Pipeline, account_id)}",
        f"/messages/{message}",
        f"/messages/{message}/why",
    ]
    return admin, [*STATIC_PAGES, *records]


@cache
def axe_source() -> str:
    """axe-core's bundled script, ending in an expression so evaluating it answers nothing."""
    return AXE.read_text(encoding="utf-8") + "\n;undefined"


def violations(page: Any) -> list[str]:
    """The serious and critical WCAG violations axe-core finds on the page, one line each."""
    # Evaluated rather than added as a script tag, which the pages' CSP rightly refuses.
    page.evaluate(axe_source())
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact,
                targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
            }));
        }""",
        WCAG_TAGS,
    )
    return [
        f"{item['impact']} {item['id']}: {', '.join(item['targets'])}"
        for item in found
        if item["impact"] in BLOCKING
    ]


def screenshot_name(path: str) -> str:
    """A page's screenshot name that stays the same from run to run (message ids do not)."""
    return re.sub(r"tl_\w+", "message", path.strip("/")).replace("/", "-") or "home"


def signed_in(browser: Any, base_url: str, email: str, locale: str) -> Any:
    """A page of a fresh context in the locale, signed in as the user."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base_url}/sign-in")
    assert not violations(page), "the sign-in page"
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def pane_office(language: str, email: str, mode: str) -> dict[str, Any]:
    """The Office stub's settings for a draft (compose) or a received mail (read)."""
    office = {"mode": mode, "userEmail": email, "displayLanguage": LOCALES[language]}
    if mode == "compose":
        office.update(recipients={"to": ["someone@initech.example"]}, subject="Pricing")
        office["body"] = "<p>Hello</p>"
    else:
        office.update(subject="Pricing", read={"from": "someone@initech.example"})
    return office


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_every_page_and_the_pane_have_no_serious_violation(
    browser, live, open_pane, screenshots, language
):
    admin, paths = demo_pages()
    scheme = SCHEMES[language]
    page = signed_in(browser, live.url, admin.email, LOCALES[language])
    page.emulate_media(color_scheme=scheme)
    found: dict[str, list[str]] = {}
    for path in paths:
        page.goto(f"{live.url}{path}")
        assert page.get_attribute("html", "lang") == language, path
        found[path] = violations(page)
        screenshots(page, f"{language}-{scheme}-{screenshot_name(path)}")
    token = create_token(admin, "a11y")[1]
    for mode in ("compose", "read"):
        pane = open_pane(f"/taskpane/{mode}.html", pane_office(language, admin.email, mode), token)
        pane.emulate_media(color_scheme=scheme)
        pane.wait_for_selector("body[data-ready=true]", timeout=BROWSER_TIMEOUT_MS)
        found[f"pane ({mode})"] = violations(pane)
        screenshots(pane, f"{language}-{scheme}-pane-{mode}")
    page.context.close()
    failing = {where: lines for where, lines in found.items() if lines}
    assert not failing, json.dumps(failing, indent=1, ensure_ascii=False)
