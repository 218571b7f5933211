"""The insights page in Chromium, in English, Japanese and Swedish: the three charts render from the
server without a console error, their numbers in tables for screen readers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import app, base_url, live, port, screenshots  # noqa: F401 - live server
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tests.tracking.test_insights import seed_insights
from tracklog.extensions import db

HEADINGS = {
    "en": ("Insights", "Monday"),
    "ja": ("インサイト", "月曜日"),
    "sv": ("Insikter", "måndag"),
}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_the_insights_page_draws_its_charts_in_each_language(
    sign_in_as: Any,
    live: Any,  # noqa: F811
    api: Any,
    world: Any,
    screenshots: Any,  # noqa: F811
    locale: str,
) -> None:
    seed_insights(api, world)
    world.admin.locale = locale
    db.session.commit()
    page = sign_in_as(world.admin.email)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.click("nav a[href='/insights']")
    page.wait_for_selector("svg#opens-heat-map")
    heading, monday = HEADINGS[locale]
    assert page.inner_text("h1") == heading
    assert page.locator("svg[role=img]").count() == 3
    assert page.locator("#opens-heat-map rect[data-count]").count() == 7 * 24
    assert page.text_content("#funnel text[data-step=sent]") == "7"
    assert monday in page.text_content("#opens-table")
    assert page.locator("#users-table tbody tr").count() == 2
    page.select_option("#days", "7")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/insights\?days=7&user=all$"))
    assert page.text_content("#funnel text[data-step=sent]") == "7"
    screenshots(page, f"insights-{locale}")
    assert problems == []
