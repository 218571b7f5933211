"""Browser tests of the add-in: the shared live server and Chromium, pages with Office stubbed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import app, base_url, live, port, screenshots  # noqa: F401

OFFICE_CDN = "https://appsforoffice.microsoft.com/**"
STUB = Path(__file__).with_name("office_stub.js")
# Collects what the Content-Security-Policy refuses, before any script of the page runs.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}`);
});
"""


@pytest.fixture
def open_pane(browser: Any, live: Any) -> Iterator[Callable[..., Any]]:  # noqa: F811
    """Opens a pane page with the Office stub configured; every page is closed at the end."""
    contexts: list[Any] = []

    def open_page(
        path: str,
        office: dict[str, Any] | None,
        token: str | None,
        width: int = 360,
        locale: str = "en-US",
    ) -> Any:
        """A page at path with the stub given `office` (None: no Office at all, as in a plain
        browser tab) and the token already stored."""
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.route(OFFICE_CDN, lambda route: route.fulfill(body="", content_type="text/javascript"))
        stored = {"tracklog.token": token} if token else {}
        page.add_init_script(WATCH_VIOLATIONS)
        page.add_init_script(
            f"window.__officeConfig = {json.dumps(office)};"
            f"try {{ for (const [k, v] of Object.entries({json.dumps(stored)}))"
            " localStorage.setItem(k, v); } catch (error) {}"
        )
        if office is not None:
            page.add_init_script(path=str(STUB))
        page.goto(f"{live.url}{path}")
        return page

    yield open_page
    for context in contexts:
        context.close()
