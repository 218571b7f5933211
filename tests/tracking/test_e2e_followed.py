"""Followed mail and the template library in Chromium, in English, Japanese and Swedish: the
filters narrow the list, a column sorts it, the export keeps the filters; a template is added and
listed with its verdict."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import app, base_url, live, port, screenshots  # noqa: F401 - live server
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tests.tracking.helpers import compose
from tracklog.extensions import db

TEXTS = {
    "en": ("Followed mail", "Templates", "Not enough sends to judge yet"),
    "ja": ("フォロー中のメール", "テンプレート", "判断するには送信数がまだ足りません"),
    "sv": ("Följda mejl", "Mallar", "För få utskick för att bedöma ännu"),
}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_followed_mail_filters_sorts_and_exports(
    sign_in_as: Any,
    live: Any,  # noqa: F811
    api: Any,
    world: Any,
    screenshots: Any,  # noqa: F811
    locale: str,
) -> None:
    compose(api, ["peter@initech.example"], item_id="a", subject="To Peter")
    compose(api, ["milton@initech.example"], item_id="b", subject="To Milton")
    world.admin.locale = locale
    db.session.commit()
    page = sign_in_as(world.admin.email)
    page.click("nav a[href='/messages']")
    followed, _templates, _verdict = TEXTS[locale]
    assert page.inner_text("h1") == followed
    assert page.locator("table.followed-mail tbody tr").count() == 2
    page.fill("#recipient", "milton")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/messages?*recipient=milton*")
    rows = page.locator("table.followed-mail tbody tr")
    assert rows.count() == 1 and "To Milton" in rows.first.inner_text()
    export = page.locator("a[href*='export.csv']").get_attribute("href")
    assert "recipient=milton" in export
    page.click("table.followed-mail thead a[href*='sort=opens']")
    page.wait_for_url("**sort=opens*")
    assert page.locator("th[aria-sort]").count() == 1
    screenshots(page, f"followed-{locale}")


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_a_template_is_added_and_listed_with_its_verdict(
    sign_in_as: Any,
    live: Any,  # noqa: F811
    world: Any,
    locale: str,
) -> None:
    world.admin.locale = locale
    db.session.commit()
    page = sign_in_as(world.admin.email)
    page.click("nav a[href='/templates']")
    _followed, templates, verdict = TEXTS[locale]
    assert page.inner_text("h1") == templates
    page.fill("#template-name", "Intro")
    page.fill("#template-subject", "Meet Acme")
    page.fill("#template-html", "<p>Hello</p><script>alert(1)</script>")
    page.check("input[name=shared]")
    page.click("#template-form button[type=submit]")
    row = page.wait_for_selector("tr[data-template-id]")
    assert "Intro" in row.inner_text() and verdict in row.inner_text()
    row.query_selector("a").click()
    assert page.input_value("#template-html") == "<p>Hello</p>"
