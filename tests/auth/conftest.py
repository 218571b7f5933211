"""Fixtures of the identity tests: a stub Entra ID, a hand-moved clock, a live server and a real
SMTP sink as the outgoing relay.

`app` is not imported from tests.browser here (it would put every test of the package on SQLite
only): the end-to-end module imports it for itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from tests.browser import base_url, live, port, screenshots  # noqa: F401 - for the e2e tests
from tests.idp_stub import StubIdentityProvider
from tests.services import free_port
from tracklog.auth.entra import entra_keys
from tracklog.models import utcnow

CLIENT_ID = "c6c1f32b-5e55-4997-881a-753cc1d563b7"
CLIENT_SECRET = "stub-client-secret"
TENANT_ID = "8f2c1c33-5b2a-4f0e-9d53-0c3f1f7e2a11"
UNLINKED_TENANT_ID = "1d0b7a51-2f4e-4c9b-8a77-3e5d6c2b9f40"
FOREIGN_TENANT_ID = "f00dface-0000-4000-8000-000000000bad"
AUDIENCE = f"api://tracklog.test/{CLIENT_ID}"


@pytest.fixture(scope="session")
def idp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubIdentityProvider]:
    """One stub identity provider for the whole run."""
    directory: Path = tmp_path_factory.mktemp("idp")
    with StubIdentityProvider(directory, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as stub:
        yield stub


@pytest.fixture
def idp(idp_server: StubIdentityProvider) -> Iterator[StubIdentityProvider]:
    """The stub in its initial state, with the process-wide key cache emptied around the test."""
    idp_server.reset()
    entra_keys.clear()
    yield idp_server
    entra_keys.clear()


@pytest.fixture
def entra_settings(idp: StubIdentityProvider) -> dict[str, Any]:
    """ENTRA_* settings pointing at the stub: two allowed tenants, one of them without account."""
    return {
        "ENTRA_CLIENT_ID": CLIENT_ID,
        "ENTRA_CLIENT_SECRET": CLIENT_SECRET,
        "ENTRA_TENANTS": [TENANT_ID, UNLINKED_TENANT_ID],
        "ENTRA_AUTHORITY": idp.url,
        "ENTRA_CA_BUNDLE": str(idp.ca_file),
    }


@pytest.fixture
def app_config(app_config: dict[str, Any], entra_settings: dict[str, Any]) -> dict[str, Any]:
    """The base test settings plus Entra ID sign-in against the stub."""
    return {**app_config, **entra_settings}


class HandMovedClock:
    """A clock that stands still until a test moves it; waits are noted, not slept."""

    def __init__(self) -> None:
        self.current = utcnow()
        self.waits: list[float] = []

    def now(self) -> datetime:
        """The time the test set."""
        return self.current

    def sleep(self, seconds: float) -> None:
        """Note the pause the app asked for."""
        self.waits.append(seconds)

    def advance(self, **delta: float) -> None:
        """Move the clock forward (timedelta's keywords)."""
        self.current += timedelta(**delta)


@pytest.fixture
def clock(app: Flask) -> HandMovedClock:
    """The app's clock for sign-in, sessions and throttling, moved by the test."""
    app.config["CLOCK"] = HandMovedClock()
    return app.config["CLOCK"]


class MailSink:
    """An SMTP server that keeps every mail it is given (tracklog's outgoing relay in tests)."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the mail and accept it."""
        self.mails.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def relay(app: Flask) -> Iterator[MailSink]:
    """A real SMTP sink on a free port, set as the app's TRACKLOG_OUTGOING_SMTP."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["OUTGOING_SMTP"] = f"127.0.0.1:{controller.port}"
    yield sink
    controller.stop()
