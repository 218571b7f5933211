"""A live server in a thread and Debian's Chromium driven by Playwright, with Office stubbed."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import RequestIsolatedClient, app_environment, empty_tables
from tests.services import free_port, unavailable
from tracklog import create_app
from tracklog.config import Config
from tracklog.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OFFICE_CDN = "https://appsforoffice.microsoft.com/**"
STUB = Path(__file__).with_name("office_stub.js")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "addin"


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


@pytest.fixture
def port() -> int:
    """The port the live server will listen on (known before the app is built)."""
    return free_port()


@pytest.fixture
def base_url(port: int) -> str:
    """The live server's URL, also the app's public base URL, so the pane calls it."""
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
        """Shut the server down (the 'server unreachable' scenario)."""
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
    app.extensions["tracklog.hits"].close()


@pytest.fixture
def open_pane(browser: Any, live: Any) -> Iterator[Callable[..., Any]]:
    """Opens a pane page with the Office stub configured; every page is closed at the end."""
    contexts: list[Any] = []

    def open_page(path: str, office: dict[str, Any], token: str | None, width: int = 360) -> Any:
        """A page at path with the stub given `office` and the token already stored."""
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.route(OFFICE_CDN, lambda route: route.fulfill(body="", content_type="text/javascript"))
        stored = {"tracklog.token": token} if token else {}
        page.add_init_script(
            f"window.__officeConfig = {json.dumps(office)};"
            f"try {{ for (const [k, v] of Object.entries({json.dumps(stored)}))"
            " localStorage.setItem(k, v); } catch (error) {}"
        )
        page.add_init_script(path=str(STUB))
        page.goto(f"{live.url}{path}")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Saves a page's screenshot as test-artifacts/addin/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        """The path of the saved screenshot."""
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
