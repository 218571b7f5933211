"""Keep me signed in and the signed-in devices page in Chromium against a live server."""

from __future__ import annotations

from typing import Any

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.factories import PASSWORD

TIMEOUT_MS = 10000


def signed_in_context(browser: Any, live: Any, agent: str, remember: bool) -> tuple[Any, Any]:
    """A browser context signed in as Alice through the form; its context and page."""
    context = browser.new_context(user_agent=agent)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live.url}/sign-in")
    page.get_by_label("Email").fill("alice@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    if remember:
        page.get_by_label("Keep me signed in").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")
    return context, page


def test_a_remembered_browser_survives_a_restart_and_signs_out_the_others(
    browser, live, world, screenshots
):
    laptop, page = signed_in_context(browser, live, "Mozilla/5.0 (X11; Linux x86_64) Laptop", True)
    phone, phone_page = signed_in_context(browser, live, "Mozilla/5.0 (iPhone) Phone", False)
    device = next(c for c in laptop.cookies() if c["name"] == "tracklog_device")
    assert device["httpOnly"] and device["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == "", "no sign-in cookie is readable by scripts"
    laptop.clear_cookies(name="session")
    page.goto(f"{live.url}/settings/devices")
    rows = page.locator("#devices tbody tr")
    assert rows.count() == 2
    assert "this device" in page.locator("#devices tr.current").inner_text()
    screenshots(page, "signed-in-devices")
    page.get_by_role("button", name="Sign out everywhere else").click()
    page.wait_for_url(f"{live.url}/settings/devices")
    assert rows.count() == 1
    phone_page.goto(f"{live.url}/")
    assert phone_page.url.startswith(f"{live.url}/sign-in")
    laptop.close(), phone.close()
