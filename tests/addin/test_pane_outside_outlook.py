"""The panes opened outside Outlook: a sentence in the reader's language, never a message key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PANES = ["/taskpane/compose.html", "/taskpane/read.html"]
CATALOGUES = Path(__file__).resolve().parents[2] / "taskpane" / "i18n"


def explanation(language: str) -> str:
    """The catalogue's sentence for a pane opened outside Outlook."""
    catalogue = json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))
    return catalogue["error.outsideOutlook"]


def started(page: Any) -> Any:
    """Wait until the pane has given up starting."""
    page.wait_for_selector("body[data-ready=true]", timeout=10000)
    return page


@pytest.mark.parametrize("path", PANES)
def test_a_pane_in_a_plain_browser_tab_says_it_runs_inside_outlook(open_pane, path):
    page = started(open_pane(path, None, None))
    assert page.inner_text("#error") == explanation("en")
    assert page.locator("main > section:visible").count() == 0


@pytest.mark.parametrize(("locale", "language"), [("ja-JP", "ja"), ("sv-SE", "sv")])
def test_the_explanation_follows_the_browsers_language(open_pane, locale, language):
    page = started(open_pane(PANES[0], None, None, locale=locale))
    assert page.inner_text("#error") == explanation(language)
    assert page.get_attribute("html", "lang") == language
    assert page.inner_text("h1") != "Track and log this mail"


def test_office_js_started_with_no_host_is_outside_outlook_too(open_pane):
    page = started(open_pane(PANES[1], {"mode": "read", "host": None}, None))
    assert page.inner_text("#error") == explanation("en")
