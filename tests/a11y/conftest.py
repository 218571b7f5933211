"""Accessibility tests: the live server, Chromium, and the pane opened with Office stubbed."""

from tests.addin.conftest import open_pane  # noqa: F401
from tests.browser import app, base_url, live, port, screenshots  # noqa: F401
