"""Fixtures: an app on SQLite and on PostgreSQL, its clients, signed-in helpers, a live server."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from tests import factories
from tests.chromium import browser  # noqa: F401 - one Chromium for the whole run (session scope)
from tests.imap_server import dovecot, imap_user  # noqa: F401 - one Dovecot for the whole run
from tests.services import fresh_postgres_database, postgres_reason, unavailable
from tests.web.test_sign_in import sign_in
from tracklog import create_app
from tracklog.config import Config
from tracklog.extensions import db
from tracklog.migrate import upgrade
from tracklog.models import Base
from tracklog.tracking.hits import hit_journal

# The tests' files (SQLite databases, instance folders, journals) in memory where the machine has
# a tmpfs: an SQLite commit on disk waits ~3 ms for its fsync, in memory a few microseconds.
# Set before pytest picks its temporary root, so xdist's workers and served processes use it too.
MEMORY_FILESYSTEM = "/dev/shm"
if "TMPDIR" not in os.environ and os.access(MEMORY_FILESYSTEM, os.W_OK):
    os.environ["TMPDIR"] = MEMORY_FILESYSTEM
    tempfile.tempdir = None

BACKENDS = ["sqlite", "postgres"]
# How long a browser test waits for a page to do something.
BROWSER_TIMEOUT_MS = 10000


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the usable cores, as the tests wait on browsers, served
    processes and databases for part of their time (on 2 cores: 17 min with 2, less with 3)."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test run (skipped or failed when unreachable)."""
    reason = postgres_reason()
    if reason:
        unavailable("PostgreSQL", reason)
    with fresh_postgres_database() as url:
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file of this test run."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tracklog.db'}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each data-layer test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


def app_environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment a test app is configured from."""
    return {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_INSTANCE_PATH": str(instance),
        "TRACKLOG_SECRET_KEY": "test-secret-key-not-for-production",
        "TRACKLOG_BASE_URL": "https://tracklog.test",
        "TRACKLOG_BCC_DOMAIN": "bcc.tracklog.test",
        **extra,
    }


def empty_tables() -> None:
    """Remove every row so the next test starts from an empty, migrated database, with its ids
    counting from 1 again. Only the tables holding rows are emptied, by DELETE: a TRUNCATE of
    every table costs PostgreSQL half a second per test, as each table gets new files. (SQLite
    counts from the largest id left, so an empty table starts from 1 by itself.)"""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    holding = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
    )
    with db.engine.begin() as connection:
        filled = set(connection.execute(text(holding)).scalars())
        for name in tables:
            if name in filled:
                connection.execute(text(f'DELETE FROM "{name}"'))
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "SELECT setval(format('%I', sequencename), 1, false) FROM pg_sequences"
                    " WHERE schemaname = 'public' AND last_value IS NOT NULL"
                )
            )


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Flask settings a test may change before the app is built."""
    return {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


class RequestIsolatedClient(FlaskClient):
    """Runs each request in a fresh app context, as in production, not in the test's own."""

    def open(self, *args: Any, **kwargs: Any):
        """One request with its own `g` and database session."""
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The tracklog app on a migrated, empty database."""
    application = create_app(Config(app_environment(database_url, tmp_path)), app_config)
    application.test_client_class = RequestIsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """Runs the CLI's commands against the app."""
    return app.test_cli_runner()


@pytest.fixture
def world(app: Flask) -> factories.World:
    """Two accounts, each with an admin and a user holding API tokens."""
    return factories.make_world()


@pytest.fixture
def api(client: FlaskClient, world: factories.World) -> factories.ApiClient:
    """A JSON client signed in as the first account's admin."""
    return factories.ApiClient(client, world.admin_token)


@pytest.fixture
def live(app) -> Iterator[str]:
    """The app served over real HTTP on a free port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    app.extensions["tracklog.hub"].close_all("test over")
    server.shutdown()
    app.extensions["tracklog.hub"].stop()
    hit_journal(app).close()


@pytest.fixture
def alice(client: FlaskClient, world: factories.World) -> FlaskClient:
    """The client signed in as Acme's admin."""
    sign_in(client, "alice@acme.example")
    return client


@pytest.fixture
def sign_in_as(
    browser: Any,  # noqa: F811 - the Chromium fixture imported above
    live: Any,
) -> Iterator[Callable[..., Any]]:
    """Opens a new browser context signed in through the sign-in page; closed at the end."""
    contexts: list[Any] = []

    def open_as(email: str, width: int = 1280) -> Any:
        """A page of a fresh context, signed in as the user with this address."""
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live.url}/sign-in")
        page.fill("#email", email)
        page.fill("#password", factories.PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
