"""Debian's Chromium driven by Playwright: one browser for the whole test run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless (skipped, or failed under CI=true, when it is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        unavailable("Playwright", str(error))
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        unavailable("Chromium", f"{CHROMIUM} is missing; apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()
