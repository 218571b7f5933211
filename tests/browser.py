"""Fixtures for browser tests: a live server in a thread and Debian's Chromium driven by Playwright.

A test package's conftest imports the fixtures it needs from here
(`from tests.browser import port, base_url, app, live, screenshots  # noqa: F401`); `browser` is
defined once in tests/chromium.py and imported by tests/conftest.py, since Playwright's sync API
runs one instance per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import RequestIsolatedClient, app_environment, empty_tables
from tests.services import free_port
from tracklog import create_app
from tracklog.config import Config
from tracklog.extensions import db
from tracklog.tracking.hits import hit_journal

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture
def port() -> int:
    """The port the live server will listen on (known before the app is built)."""
    return free_port()


@pytest.fixture
def base_url(port: int) -> str:
    """The live server's URL, also the app's public base URL."""
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def app(
    sqlite_url: str, tmp_path: Path, app_config: dict[str, Any], base_url: str
) -> Iterator[Flask]:
    """The tracklog app on SQLite whose public base URL is the live server."""
    environment = app_environment(sqlite_url, tmp_path, TRACKLOG_BASE_URL=base_url)
    application = create_app(Config(environment), app_config)
    application.test_client_class = RequestIsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def live(app: Flask, port: int, base_url: str) -> Iterator[Any]:
    """The app served over real HTTP in a thread; stop() takes it down early."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    running = {"up": True}

    def stop() -> None:
        """Shut the server down (for 'server unreachable' scenarios)."""
        if running["up"]:
            running["up"] = False
            server.shutdown()
            server.server_close()

    server.url = base_url
    server.stop = stop
    yield server
    app.extensions["tracklog.hub"].close_all("test over")
    stop()
    app.extensions["tracklog.hub"].stop()
    hit_journal(app).close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Saves a page's screenshot as test-artifacts/<test package>/<name>.png."""
    folder = ARTIFACTS / Path(request.node.path).parent.name

    def save(page: Any, name: str) -> Path:
        """The path of the saved screenshot."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
