"""Fixtures for logging tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.services import free_port
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.smtpd import SmtpReceiver
from tracklog.maillog.store import store_inbound


@pytest.fixture
def deliver(world):
    """Store a mail as the BCC receiver would, process it, and return the stored record."""

    def run(mail_bytes: bytes, account=None, draft: str | None = None, channel: str = "smtp"):
        """Deliver one mail to an account's logging address and process it."""
        account = account or world.account
        inbound = store_inbound(
            account.id,
            channel,
            mail_bytes,
            envelope_to=f"log+{account.bcc_key}@x",
            draft_public_id=draft,
        )
        return process_inbound(inbound.id)

    return run


@pytest.fixture
def start(app: Flask) -> Iterator:
    """Starts receivers on free ports (the test's app unless told otherwise); stops them after."""
    started: list[SmtpReceiver] = []

    def run(application: Flask = app, **options) -> SmtpReceiver:
        """A running receiver."""
        receiver = SmtpReceiver(application, "127.0.0.1", free_port(), **options)
        receiver.start()
        started.append(receiver)
        return receiver

    yield run
    for receiver in started:
        receiver.stop()
