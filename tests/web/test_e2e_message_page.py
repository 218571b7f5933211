"""The message page in Chromium at 1,280 px: the open-history table fits, long links included."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests import factories
from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.tracking.helpers import CHROME_WINDOWS, GMAIL_PROXY, OUTLOOK_DESKTOP, compose
from tests.web.test_home import hits

LONG_URL = (
    "https://initech.example/pricing/enterprise-plan-with-priority-support-and-onboarding"
    "?utm_source=newsletter&utm_medium=email&utm_campaign=spring-renewal-offer-for-customers"
    "&utm_content=header-button-with-a-long-identifier-0123456789abcdef0123456789abcdef"
)
WIDTH = 1280


def test_the_open_history_fits_a_1280_pixel_window(browser: Any, live: Any, api, world):
    factories.make_contact(
        world.account, "peter@initech.example", first_name="Peter", last_name="Gibbons"
    )
    html = f'<p>See <a href="{LONG_URL}">our plans</a>.</p>'
    sent = compose(api, ["peter@initech.example"], html=html)
    hits(
        sent["message_id"],
        ("click", CHROME_WINDOWS, "40.107.22.7", 1, timedelta(seconds=2)),
        ("open", GMAIL_PROXY, "66.249.84.10", None, timedelta(minutes=30)),
        ("open", OUTLOOK_DESKTOP, "81.229.10.20", None, timedelta(minutes=50)),
        ("click", CHROME_WINDOWS, "81.229.10.20", 1, timedelta(minutes=52)),
    )
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live.url}/sign-in")
        page.fill("#email", world.admin.email)
        page.fill("#password", factories.PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live.url}/")
        page.goto(f"{live.url}/messages/{sent['message_id']}")
        rows = page.locator("table.open-history tbody tr")
        assert rows.count() == 4
        widths = page.evaluate(
            """() => {
                const table = document.querySelector("table.open-history");
                return {
                    page: document.documentElement.scrollWidth,
                    table: table.getBoundingClientRect().right,
                    container: table.parentElement.getBoundingClientRect().right,
                    cells: Math.max(...[...table.querySelectorAll("td")].map(
                        (cell) => cell.scrollWidth - cell.clientWidth)),
                };
            }"""
        )
        assert widths["page"] <= WIDTH
        assert widths["table"] <= widths["container"] + 1
        assert widths["cells"] <= 0
    finally:
        context.close()
