"""The dispatcher's wiring: the hit recorder's housekeeping sends deliveries on its own."""

from __future__ import annotations

import time

import pytest

from tests.tracking.helpers import OUTLOOK_DESKTOP, compose, pixel_path
from tracklog.tracking.hits import hit_journal


@pytest.fixture
def app_config(app_config):
    """The recorder runs as a thread of the app, as in development."""
    return {**app_config, "HIT_RECORDER_THREAD": True}


def test_the_recorder_sends_an_open_to_the_webhook_by_itself(app, api, receiver, recipient):
    assert api.post("/webhooks", {"url": receiver.url, "events": ["open"]}).status_code == 201
    sent = compose(api, ["peter@initech.example"])
    try:
        recipient.get(pixel_path(sent["html"]), headers={"User-Agent": OUTLOOK_DESKTOP})
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        hit_journal(app).close()
    assert [headers["X-Tracklog-Event"] for headers, _body in receiver.received] == ["open"]
